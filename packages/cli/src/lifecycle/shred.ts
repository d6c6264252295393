import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { usageError } from "../errors.js";
import { signReportBytes } from "../flows/audit-report-sign.js";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import type { AuditSigningKey } from "./audit-signing-key.js";
import { readDisconnectJournal, writeDisconnectJournal, type DisconnectSubject } from "./disconnect-journal.js";
import type { CrashHook } from "./ports.js";
import type { ShredTarget } from "./shred-plan.js";
import type { IdentityDestroyResult } from "@connect-ops/replication";

export const SHRED_JOURNAL = "shred";
export const ATTESTATION_FORMAT = "connect-ops/shred-attestation@1";

/** The signed record `shred` leaves: which recipients' identities were destroyed, where, when. */
export interface ShredAttestation {
  readonly format: typeof ATTESTATION_FORMAT;
  readonly tool: { readonly name: "connect-ops"; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly subject?: DisconnectSubject;
  readonly destroyed: readonly ShredTarget[];
  readonly notDestroyed: readonly ShredTarget[];
  /** The sealed-copy ledger at the time (its SHA-256 and size): the copies the attestation speaks for. */
  readonly ledger: { readonly entries: number; readonly sha256: string };
}

interface ShredJournal {
  readonly format: "connect-ops/shred-journal@1";
  readonly startedAt: string;
  readonly targets: readonly ShredTarget[];
}

/** How `shred` reaches the enrolled nodes (the inventory's transports). Each call may throw the transport's error. */
export interface ShredNodePorts {
  /** The node's identity file, read into memory only (never written anywhere); null when absent. */
  readIdentity(node: string): Promise<Buffer | null>;
  /** Destroys the node's identity file when its SHA-256 is `identitySha256` (replication's `destroyNodeIdentity`). */
  destroy(node: string, identitySha256: string): Promise<IdentityDestroyResult>;
}

export interface ShredPorts {
  readonly stateDir: string;
  readonly journalDir: string;
  readonly signingKey: AuditSigningKey;
  /** The targets (`planShred`), asked for only when no shred journal exists yet. */
  readonly plan: () => Promise<ShredTarget[]>;
  readonly now: () => number;
  readonly crash: CrashHook;
  readonly toolVersion: string;
  /** The enrolled nodes' transports; undefined when no inventory names them (their targets stay pending). */
  readonly nodes?: ShredNodePorts;
}

export interface ShredOutcome {
  readonly attestation: ShredAttestation;
  readonly attestationFile: string;
  readonly signatureFile: string;
  readonly resumed: boolean;
  /** False while a target is still pending (a node that could not be reached): exit 3, a re-run finishes it. */
  readonly complete: boolean;
}

/** Shreds an identity file (aside, overwrite, fsync, unlink), then fsyncs its directory; a file already gone is destroyed. */
async function destroyIdentity(path: string, onStep: (step: "aside" | "overwritten") => void): Promise<number> {
  const { shredFile, syncDirectory } = await import("@connect-ops/credential-vault");
  const { ignoreMissing } = await import("@connect-ops/connection-core");
  const bytes = (await ignoreMissing(shredFile(path, { onStep }))) ?? 0;
  await syncDirectory(dirname(path));
  return bytes;
}

/**
 * Adds the salted digests of `identities` to every fingerprint set the
 * disconnect journal keeps, before they are destroyed: an
 * `AGE-SECRET-KEY-1…` of a shredded identity found anywhere later is residue.
 * Idempotent (a resumed shred adds the same digests again).
 */
async function addIdentityFingerprints(journalDir: string, identities: readonly string[]): Promise<void> {
  const { withIdentityFingerprints } = await import("@connect-ops/connection-core");
  const disconnect = await readDisconnectJournal(journalDir);
  if (identities.length === 0 || disconnect === undefined) return;
  await writeDisconnectJournal(journalDir, {
    ...disconnect,
    fingerprints: disconnect.fingerprints.map((set) => withIdentityFingerprints(set, identities)),
  });
}

/** The identities of the local targets still to be destroyed (appliance, escrow), read from their files. */
async function localIdentities(targets: readonly ShredTarget[]): Promise<string[]> {
  const { readIdentityFile } = await import("@connect-ops/credential-vault");
  const { ignoreMissing } = await import("@connect-ops/connection-core");
  const { lstat } = await import("node:fs/promises");
  const identities: string[] = [];
  for (const target of targets)
    if (
      target.role !== "node" &&
      target.state === "pending" &&
      (await ignoreMissing(lstat(target.where))) !== undefined
    )
      identities.push(...(await readIdentityFile(target.where)));
  return identities;
}

function withoutReason(target: ShredTarget): ShredTarget {
  const copy: { -readonly [K in keyof ShredTarget]?: ShredTarget[K] } = { ...target };
  delete copy.reason;
  return copy as ShredTarget;
}

/**
 * One enrolled node's identity: read into memory and fingerprinted when it is
 * the recorded file (nothing written anywhere but the salted digests), then
 * destroyed over the node's transport. A node that cannot be reached stays
 * `pending` with the transport's reason (a re-run retries it); another file
 * at the identity's place is `not-destroyed` and left alone.
 */
async function shredNode(ports: ShredPorts, target: ShredTarget): Promise<ShredTarget> {
  const name = target.node ?? "";
  const expected = target.identitySha256 ?? "";
  if (ports.nodes === undefined)
    return {
      ...target,
      attempts: (target.attempts ?? 0) + 1,
      reason: `no inventory names node ${name}: re-run with --inventory FILE (or --cluster-conf FILE) naming it`,
    };
  const { isConnectOpsError } = await import("@connect-ops/connection-core");
  let result: IdentityDestroyResult;
  try {
    const bytes = await ports.nodes.readIdentity(name);
    if (bytes !== null) {
      try {
        if (createHash("sha256").update(bytes).digest("hex") === expected) {
          const identities = bytes
            .toString("latin1")
            .split(/\r?\n/)
            .map((line) => line.trim())
            .filter((line) => line.startsWith("AGE-SECRET-KEY-1"));
          await addIdentityFingerprints(ports.journalDir, identities);
        }
      } finally {
        bytes.fill(0);
      }
    }
    ports.crash("shred:node-fingerprinted");
    result = await ports.nodes.destroy(name, expected);
  } catch (error) {
    if (!isConnectOpsError(error)) throw error;
    return { ...target, attempts: (target.attempts ?? 0) + 1, reason: `${error.message} (re-run to finish)` };
  }
  ports.crash("shred:destroyed-node");
  const rest = withoutReason(target);
  const destroyedAt = new Date(ports.now()).toISOString();
  if (result.result === "destroyed") return { ...rest, state: "destroyed", bytes: result.bytes, destroyedAt };
  if (result.result === "absent") return { ...rest, state: "destroyed", bytes: 0, absent: true, destroyedAt };
  const found =
    result.detail === "link"
      ? "a symbolic link"
      : result.detail === "special"
        ? "not a regular file"
        : `another file (SHA-256 ${result.detail})`;
  return {
    ...rest,
    state: "not-destroyed",
    reason: `the file there is ${found}, not the enrolled identity: left alone; copies sealed to this recipient stay residue`,
  };
}

/**
 * Crypto-shredding (issue 17.3), after a completed disconnect: destroys each
 * planned identity — local files here, enrolled nodes' over their transport
 * (journaled: a re-run resumes, never re-plans; a node that could not be
 * reached stays pending and the outcome is not `complete`), then writes
 * `shred-attestation.json` and its raw Ed25519 signature `.sig`, signed with
 * the audit signing key (the verify-cleanup report's). Throws `CLI_USAGE` when
 * no completed disconnect is recorded: the identity still opens the vault then.
 */
export async function runShred(ports: ShredPorts): Promise<ShredOutcome> {
  const disconnect = await readDisconnectJournal(ports.journalDir);
  if (disconnect?.completedAt === undefined)
    throw usageError(
      "shred destroys the identities that open the credentials: it runs only after a completed disconnect",
      "run `connect-ops disconnect` (or `disconnect --shred`) first; nothing was changed",
    );
  const existing = await readJournal<ShredJournal>(ports.journalDir, SHRED_JOURNAL);
  let journal: ShredJournal = existing ?? {
    format: "connect-ops/shred-journal@1",
    startedAt: new Date(ports.now()).toISOString(),
    targets: await ports.plan(),
  };
  if (existing === undefined) await writeJournal(ports.journalDir, SHRED_JOURNAL, journal);
  await addIdentityFingerprints(ports.journalDir, await localIdentities(journal.targets));
  ports.crash("shred:planned");
  for (const [index, target] of journal.targets.entries()) {
    if (target.state !== "pending") continue;
    let done: ShredTarget;
    if (target.role === "node") done = await shredNode(ports, target);
    else {
      const bytes = await destroyIdentity(target.where, (step) => ports.crash(`shred:${target.role}-${step}`));
      ports.crash(`shred:destroyed-${target.role}`);
      done = { ...target, state: "destroyed", bytes, destroyedAt: new Date(ports.now()).toISOString() };
    }
    journal = { ...journal, targets: journal.targets.map((entry, at) => (at === index ? done : entry)) };
    await writeJournal(ports.journalDir, SHRED_JOURNAL, journal);
  }
  const { STATE_FILES, atomicWriteFile, removeStaleTemps } = await import("@connect-ops/credential-vault");
  const { readFile } = await import("node:fs/promises");
  const { ignoreMissing } = await import("@connect-ops/connection-core");
  const ledgerBytes =
    (await ignoreMissing(readFile(join(ports.stateDir, STATE_FILES.sealedCopies)))) ?? Buffer.alloc(0);
  const { readSealedCopies } = await import("@connect-ops/credential-vault");
  const attestation: ShredAttestation = {
    format: ATTESTATION_FORMAT,
    tool: { name: "connect-ops", version: ports.toolVersion },
    startedAt: journal.startedAt,
    finishedAt: new Date(ports.now()).toISOString(),
    ...(disconnect.subject === undefined ? {} : { subject: disconnect.subject }),
    destroyed: journal.targets.filter((target) => target.state === "destroyed"),
    notDestroyed: journal.targets
      .filter((target) => target.state !== "destroyed")
      .map((target) => ({ ...target, state: "not-destroyed" as const })),
    ledger: {
      entries: (await readSealedCopies(ports.stateDir)).length,
      sha256: createHash("sha256").update(ledgerBytes).digest("hex"),
    },
  };
  const bytes = Buffer.from(`${JSON.stringify(attestation, null, 2)}\n`);
  const attestationFile = join(ports.stateDir, STATE_FILES.shredAttestation);
  // A run killed mid-write left `.shred-attestation.json.tmp-…` (or the .sig's): this run's write replaces both.
  await removeStaleTemps(ports.stateDir, [STATE_FILES.shredAttestation, `${STATE_FILES.shredAttestation}.sig`]);
  await atomicWriteFile(attestationFile, bytes, { mode: 0o644 });
  await atomicWriteFile(`${attestationFile}.sig`, signReportBytes(bytes, ports.signingKey.privateKeyPem), {
    mode: 0o644,
  });
  ports.crash("shred:attested");
  return {
    attestation,
    attestationFile,
    signatureFile: `${attestationFile}.sig`,
    resumed: existing !== undefined,
    complete: journal.targets.every((target) => target.state !== "pending"),
  };
}

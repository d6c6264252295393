import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { usageError } from "../errors.js";
import { signReportBytes } from "../flows/audit-report-sign.js";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import type { AuditSigningKey } from "./audit-signing-key.js";
import { readDisconnectJournal, writeDisconnectJournal, type DisconnectSubject } from "./disconnect-journal.js";
import type { CrashHook } from "./ports.js";
import type { ShredTarget } from "./shred-plan.js";

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

export interface ShredPorts {
  readonly stateDir: string;
  readonly journalDir: string;
  readonly signingKey: AuditSigningKey;
  /** The targets (`planShred`), asked for only when no shred journal exists yet. */
  readonly plan: () => Promise<ShredTarget[]>;
  readonly now: () => number;
  readonly crash: CrashHook;
  readonly toolVersion: string;
}

export interface ShredOutcome {
  readonly attestation: ShredAttestation;
  readonly attestationFile: string;
  readonly signatureFile: string;
  readonly resumed: boolean;
}

/** Overwrites, fsyncs and unlinks an identity file, then fsyncs its directory; a file already gone is destroyed. */
async function destroyIdentity(path: string): Promise<number> {
  const { shredFile, syncDirectory } = await import("@connect-ops/credential-vault");
  const { ignoreMissing } = await import("@connect-ops/connection-core");
  const bytes = (await ignoreMissing(shredFile(path))) ?? 0;
  await syncDirectory(dirname(path));
  return bytes;
}

/**
 * Adds the salted digests of each identity still to be destroyed to every
 * fingerprint set the disconnect journal keeps, before it is destroyed: an
 * `AGE-SECRET-KEY-1…` of a shredded identity found anywhere later is residue.
 * Idempotent (a resumed shred adds the same digests again).
 */
async function fingerprintIdentities(journalDir: string, targets: readonly ShredTarget[]): Promise<void> {
  const { readIdentityFile } = await import("@connect-ops/credential-vault");
  const { ignoreMissing, withIdentityFingerprints } = await import("@connect-ops/connection-core");
  const { lstat } = await import("node:fs/promises");
  const identities: string[] = [];
  for (const target of targets)
    if (target.state === "pending" && (await ignoreMissing(lstat(target.where))) !== undefined)
      identities.push(...(await readIdentityFile(target.where)));
  const disconnect = await readDisconnectJournal(journalDir);
  if (identities.length === 0 || disconnect === undefined) return;
  await writeDisconnectJournal(journalDir, {
    ...disconnect,
    fingerprints: disconnect.fingerprints.map((set) => withIdentityFingerprints(set, identities)),
  });
}

/**
 * Crypto-shredding (issue 17.3), after a completed disconnect: destroys each
 * planned identity (journaled: a re-run resumes, never re-plans), then writes
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
  await fingerprintIdentities(ports.journalDir, journal.targets);
  ports.crash("shred:planned");
  for (const [index, target] of journal.targets.entries()) {
    if (target.state !== "pending") continue;
    const bytes = await destroyIdentity(target.where);
    ports.crash(`shred:destroyed-${target.role}`);
    const done: ShredTarget = {
      ...target,
      state: "destroyed",
      bytes,
      destroyedAt: new Date(ports.now()).toISOString(),
    };
    journal = { ...journal, targets: journal.targets.map((entry, at) => (at === index ? done : entry)) };
    await writeJournal(ports.journalDir, SHRED_JOURNAL, journal);
  }
  const { STATE_FILES, atomicWriteFile } = await import("@connect-ops/credential-vault");
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
    notDestroyed: journal.targets.filter((target) => target.state !== "destroyed"),
    ledger: {
      entries: (await readSealedCopies(ports.stateDir)).length,
      sha256: createHash("sha256").update(ledgerBytes).digest("hex"),
    },
  };
  const bytes = Buffer.from(`${JSON.stringify(attestation, null, 2)}\n`);
  const attestationFile = join(ports.stateDir, STATE_FILES.shredAttestation);
  await atomicWriteFile(attestationFile, bytes, { mode: 0o644 });
  await atomicWriteFile(`${attestationFile}.sig`, signReportBytes(bytes, ports.signingKey.privateKeyPem), {
    mode: 0o644,
  });
  return { attestation, attestationFile, signatureFile: `${attestationFile}.sig`, resumed: existing !== undefined };
}

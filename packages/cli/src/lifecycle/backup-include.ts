import {
  CONNECT_DIR,
  includeCredentials,
  openSnapshot,
  readIncludedCredentials,
  type IncludedManifest,
} from "@connect-ops/backup-hooks";
import { recordSealedCopy, sealBytes, sha256Hex, type EnrolledNode } from "@connect-ops/credential-vault";
import { join } from "node:path";
import { usageError } from "../errors.js";
import type { BackupCredentials } from "../flows/backup-bundle.js";
import type { EscrowRecipient } from "../flows/backup-escrow.js";
import { recordEscrow } from "../flows/escrow-record.js";
import { recordIncludedCopy, sha256OfFile } from "../flows/included-copies.js";
import type { OpenedAppliance } from "./ports.js";

/** What an include needs: the primary's vault, the backup recipients (resolved from flags and config), the clock. */
export interface IncludePorts {
  readonly appliance: OpenedAppliance;
  readonly backupRecipients: string[];
  /** Recorded in the sealed document, so a restore keeps the nodes enrolled. */
  readonly enrolledNodes?: readonly EnrolledNode[];
  /** `--escrow FILE`: its recipient is among `backupRecipients`; an identity file is recorded so `shred` destroys it. */
  readonly escrow?: EscrowRecipient;
  readonly now: () => number;
}

export interface IncludeRequest {
  /** A snapshot dir or a data dir's `current` link, resolved. */
  readonly snapshot: string;
  /** Process an incomplete snapshot or one of a data dir where a backup is running. */
  readonly force: boolean;
}

export interface IncludeOutcome {
  readonly snapshot: string;
  readonly changed: boolean;
  readonly manifest: IncludedManifest;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

/**
 * Seals the vault's credentials to the backup recipients and writes them into
 * the snapshot (`github-connect/credentials.age` + `manifest.json`). Every
 * input is checked before the vault is opened. Idempotent: the same vault
 * generation and recipients change nothing and decrypt nothing.
 */
export async function includeIntoSnapshot(ports: IncludePorts, request: IncludeRequest): Promise<IncludeOutcome> {
  const { appliance, backupRecipients: recipients } = ports;
  const snapshot = await openSnapshot(request.snapshot, { force: request.force });
  const seen = await appliance.vault.readMeta();
  if (seen?.appId === undefined || seen.keyFingerprint === undefined || seen.tokenExpiresAt === undefined) {
    throw usageError(
      `no GitHub Connect credentials are sealed in ${appliance.stateDir}`,
      "run `connect-ops connect` first, or use `connect-ops backup redact` for snapshots of a disconnected appliance",
    );
  }
  // Harmless: a copy that is absent or unreadable is not the same copy, so it is rewritten below
  // (and a snapshot that cannot be written fails there, with its own error).
  const existing = await readIncludedCredentials(snapshot.path).catch(() => undefined);
  if (
    existing !== undefined &&
    existing.manifest.generation === seen.generation &&
    sameSet(existing.manifest.recipients, recipients)
  ) {
    await recordCopy(appliance.journalDir, snapshot.path, existing.manifest);
    return { snapshot: snapshot.path, changed: false, manifest: existing.manifest };
  }

  // Under the vault lock: a concurrent token refresh cannot swap the sealed file between meta and bundle,
  // and the state dir's ledgers (escrow, sealed copies) have one writer at a time.
  const lock = await appliance.vault.lock();
  let sealed: Uint8Array;
  let opened: Awaited<ReturnType<typeof appliance.vault.open>>;
  try {
    if (ports.escrow?.holdsIdentity === true)
      await recordEscrow(appliance.stateDir, { path: ports.escrow.path, recipient: ports.escrow.recipient });
    opened = await appliance.vault.open(appliance.identities);
    const { meta, bundle } = opened;
    const document: BackupCredentials = {
      format: "connect-ops/backup-credentials@1",
      credentials: bundle,
      ...(meta.recordId === undefined ? {} : { recordId: meta.recordId }),
      ...(meta.record === undefined ? {} : { record: meta.record }),
      ...(meta.residue === undefined ? {} : { residue: meta.residue }),
      ...(meta.retiredResidue === undefined || meta.retiredResidue.length === 0
        ? {}
        : { retiredResidue: meta.retiredResidue }),
      ...(ports.enrolledNodes === undefined || ports.enrolledNodes.length === 0
        ? {}
        : { enrolledNodes: [...ports.enrolledNodes] }),
    };
    const plaintext = Buffer.from(JSON.stringify(document), "utf8");
    try {
      sealed = await sealBytes(plaintext, recipients);
    } finally {
      plaintext.fill(0);
    }
    // Listed before it is written: a copy interrupted half-way is still accounted for.
    await recordSealedCopy(appliance.stateDir, {
      sha256: sha256Hex(sealed),
      recipients: [...recipients],
      kind: "snapshot",
      where: join(snapshot.path, "github-connect", "credentials.age"),
      at: new Date(ports.now()).toISOString(),
    });
  } finally {
    await lock.release();
  }
  const { meta, bundle } = opened;
  const result = await includeCredentials(snapshot.path, {
    sealed,
    manifest: {
      generation: meta.generation,
      appId: bundle.app.appId,
      keyFingerprint: meta.keyFingerprint ?? seen.keyFingerprint,
      tokenExpiresAt: meta.tokenExpiresAt ?? seen.tokenExpiresAt,
      recipients,
    },
    now: () => new Date(ports.now()),
  });
  await recordCopy(appliance.journalDir, snapshot.path, result.manifest);
  return { snapshot: snapshot.path, changed: result.changed, manifest: result.manifest };
}

/** The copy's hash, for `backup scan --policy include` (flows/included-copies.ts). */
async function recordCopy(journalDir: string, snapshotDir: string, manifest: IncludedManifest): Promise<void> {
  await recordIncludedCopy(journalDir, {
    generation: manifest.generation,
    keyFingerprint: manifest.keyFingerprint,
    sha256: await sha256OfFile(join(snapshotDir, CONNECT_DIR, "credentials.age")),
  });
}

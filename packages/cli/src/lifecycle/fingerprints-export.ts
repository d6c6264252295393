import type { CredentialVault } from "@connect-ops/credential-vault";
import { lstat } from "node:fs/promises";
import { dirname } from "node:path";
import { usageError } from "../errors.js";
import { FINGERPRINT_EXPORT_FORMAT, loadResidueFingerprints, type ExportedSubject } from "../flows/fingerprints.js";
import { readDisconnectJournal } from "./disconnect-journal.js";

/** What the export reads: the state dir's vault meta and disconnect journal (it writes only `--out`). */
export interface FingerprintExportPorts {
  readonly stateDir: string;
  readonly vault: CredentialVault;
  readonly journalDir: string;
  readonly now: () => number;
}

export interface FingerprintExportRequest {
  /** `--out FILE`, resolved. */
  readonly outFile: string;
  /** `--out` as typed, for messages. */
  readonly given: string;
  /** Replace an existing regular file. */
  readonly force: boolean;
}

export interface FingerprintExportOutcome {
  readonly file: string;
  readonly fingerprintSets: readonly string[];
  readonly subject?: ExportedSubject;
  /** How many sealed copies of the ledger the file lists (hash and recipients each). */
  readonly sealedCopies: number;
  readonly bytes: number;
}

/** Refuses, before anything is read or written, a target that exists (without --force), is not a file, or has no directory. */
async function checkTarget(request: FingerprintExportRequest): Promise<void> {
  const target = await lstat(request.outFile).catch(() => undefined);
  if (target !== undefined && !target.isFile())
    throw usageError(
      `--out ${request.given} exists and is not a regular file`,
      "pass --out with the path of a new file (a directory, link or device is never replaced)",
    );
  if (target !== undefined && !request.force)
    throw usageError(
      `--out ${request.given} already exists`,
      "pass --force to replace it, or choose another --out FILE",
    );
  const parent = await lstat(dirname(request.outFile)).catch(() => undefined);
  if (parent?.isDirectory() !== true)
    throw usageError(
      `the directory of --out ${request.given} does not exist`,
      "create it first, or choose another --out FILE",
    );
}

/**
 * Writes the secret-free fingerprint sets of this state dir (the vault's and
 * every set the disconnect journal kept), the SHA-256 and recipients of every
 * sealed copy the ledger recorded (an audit off the appliance holds no
 * identity: that is how it knows one of ours) and the ids of the connection, so an
 * auditor can run `verify-cleanup --fingerprints FILE` or `backup scan
 * --fingerprints FILE` off the appliance. The file holds salted one-way
 * digests only (docs/security-model.md), so mode 0644; written atomically.
 * Throws CLI_USAGE (exit 2) for a bad target or when there is nothing to export.
 */
export async function exportFingerprints(
  ports: FingerprintExportPorts,
  request: FingerprintExportRequest,
): Promise<FingerprintExportOutcome> {
  await checkTarget(request);
  const sets = await loadResidueFingerprints({ stateDir: ports.stateDir });
  const journal = await readDisconnectJournal(ports.journalDir);
  const meta = await ports.vault.readMeta();
  const { readSealedCopies } = await import("@connect-ops/credential-vault");
  const sealedCopies = (await readSealedCopies(ports.stateDir)).map((copy) => ({
    sha256: copy.sha256,
    recipients: copy.recipients,
  }));
  const recorded = journal?.subject ?? meta;
  const subject: ExportedSubject | undefined =
    recorded?.cloudUrl === undefined || recorded.appId === undefined || recorded.appSlug === undefined
      ? undefined
      : {
          cloudUrl: recorded.cloudUrl,
          appId: recorded.appId,
          appSlug: recorded.appSlug,
          ...(recorded.installationId === undefined ? {} : { installationId: recorded.installationId }),
          ...(recorded.recordId === undefined ? {} : { recordId: recorded.recordId }),
        };
  const document = {
    format: FINGERPRINT_EXPORT_FORMAT,
    exportedAt: new Date(ports.now()).toISOString(),
    ...(subject === undefined ? {} : { subject }),
    fingerprints: sets,
    sealedCopies,
  };
  const bytes = Buffer.from(`${JSON.stringify(document, null, 2)}\n`);
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  await atomicWriteFile(request.outFile, bytes, { mode: 0o644 });
  return {
    file: request.outFile,
    fingerprintSets: sets.map((set) => set.id),
    ...(subject === undefined ? {} : { subject }),
    sealedCopies: sealedCopies.length,
    bytes: bytes.length,
  };
}

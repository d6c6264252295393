import { scanPath, type AgeAudit, type Finding, type ScanResult } from "@connect-ops/backup-hooks";
import { createResidueMatcher, errnoCode } from "@connect-ops/connection-core";
import { lstat, realpath } from "node:fs/promises";
import type { ResidueFingerprints } from "@connect-ops/connection-core";
import type { ScanProgress, ThreadsReport } from "@connect-ops/backup-hooks";
import { usageError } from "../errors.js";

/** What a scan needs: the fingerprints (loaded once the path is known to exist) and a progress sink. */
export interface ScanPorts {
  readonly loadFingerprints: () => Promise<ResidueFingerprints[]>;
  readonly progress: { readonly onProgress?: (progress: ScanProgress) => void; done(): void };
  /** The sealed-copy ledger and identities age files are judged with (lifecycle/audit-age.ts); absent: each is a gap. */
  readonly loadAgeAudit?: () => Promise<AgeAudit>;
  /** How the scan threads went (a failed thread's files were read on the main thread): for the log. */
  readonly onThreads?: (report: ThreadsReport) => Promise<void>;
}

export interface ScanRequest {
  /** A snapshot, a data dir, or one file or archive (resolved). */
  readonly path: string;
  /** The path as the operator typed it (for messages). */
  readonly typedPath: string;
  readonly maxDepth?: number | undefined;
  /** Walk into other filesystems mounted inside the path (default: each mount point is a gap). */
  readonly crossMounts?: boolean;
}

export interface ScanOutcome {
  readonly result: ScanResult;
  /** Ids of the fingerprint sets looked for. */
  readonly fingerprintIds: readonly string[];
}

/** Scans `path` for any trace of the credentials, from fingerprints only (never the secret). */
export async function scanBackupPath(ports: ScanPorts, request: ScanRequest): Promise<ScanOutcome> {
  const { path } = request;
  const { progress } = ports;
  await lstat(path).catch((error: unknown) => {
    const code = errnoCode(error);
    // ENOTDIR: a component of the path is a file, so the path does not exist either.
    throw code === "ENOENT" || code === "ENOTDIR"
      ? usageError(
          `${request.typedPath} does not exist`,
          "pass a snapshot dir, a backup data dir (GHE_DATA_DIR) or one file or archive",
        )
      : usageError(
          `${request.typedPath} cannot be read (${code ?? "error"})`,
          "check the path and its permissions, and run the scan as a user who can read the backup",
          error,
        );
  });
  // `/`, `/proc`, `/sys`, `/dev` (or a link to them) are never walked: they are no backup, and reading them reads the host.
  const { systemTreeRefusal } = await import("@connect-ops/backup-hooks");
  const refusal = systemTreeRefusal(await realpath(path), request.typedPath);
  if (refusal !== undefined) throw refusal;
  const sets = await ports.loadFingerprints();
  const age = await ports.loadAgeAudit?.();
  try {
    const result = await scanPath(path, {
      matcher: createResidueMatcher(sets),
      ...(age === undefined ? {} : { age }),
      ...(request.maxDepth === undefined ? {} : { maxDepth: request.maxDepth }),
      crossMounts: request.crossMounts === true,
      ...(progress.onProgress === undefined ? {} : { onProgress: progress.onProgress }),
      ...(ports.onThreads === undefined ? {} : { onThreads: ports.onThreads }),
    });
    return { result, fingerprintIds: sets.map((set) => set.id) };
  } finally {
    progress.done();
  }
}

/** The vault's generation now and the hashes of the sealed copies include recorded for it (flows/included-copies.ts). */
export interface CurrentCopies {
  readonly generation: number;
  readonly sha256: ReadonlySet<string>;
}

export interface IncludePolicySplit {
  /** Still residue: everything but a sealed copy of the current generation. */
  readonly findings: Finding[];
  /** Sealed copies of the current generation, proved by their hash: what the include policy keeps on purpose. */
  readonly accepted: Array<{ readonly path: string; readonly generation: number }>;
}

/**
 * `backup scan --policy include`: a sealed copy (`github-connect/credentials.age`, top level of
 * a snapshot, not inside an archive) whose SHA-256 is one include recorded for the vault's
 * current generation is not residue. A copy of an older generation, one the state dir never
 * recorded (or an edited one), and every other finding stay findings.
 */
export async function splitForIncludePolicy(
  findings: readonly Finding[],
  current: CurrentCopies | undefined,
  hashOf: (path: string) => Promise<string>,
): Promise<IncludePolicySplit> {
  const kept: Finding[] = [];
  const accepted: IncludePolicySplit["accepted"] = [];
  for (const finding of findings) {
    // A sealed copy met as an age file under another name or in an archive carries its hash (issue 13.3).
    const candidate =
      current !== undefined &&
      finding.form === "sealed-copy" &&
      (finding.sha256 !== undefined ||
        (finding.member === undefined && finding.path.endsWith("/github-connect/credentials.age")));
    if (candidate && current.sha256.has(finding.sha256 ?? (await hashOf(finding.path)))) {
      accepted.push({ path: finding.path, generation: current.generation });
    } else {
      kept.push(finding);
    }
  }
  return { findings: kept, accepted };
}

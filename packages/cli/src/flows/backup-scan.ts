import { scanPath, type ScanResult } from "@connect-ops/backup-hooks";
import { createResidueMatcher } from "@connect-ops/connection-core";
import { lstat } from "node:fs/promises";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { scanProgressLine } from "./backup-progress.js";
import { loadResidueFingerprints } from "./fingerprints.js";

export interface ScanRequest {
  /** A snapshot, a data dir, or one file or archive. */
  readonly path: string;
  readonly maxDepth?: number | undefined;
  readonly fingerprintsFile?: string | undefined;
}

export interface ScanOutcome {
  readonly result: ScanResult;
  /** Ids of the fingerprint sets looked for. */
  readonly fingerprintIds: readonly string[];
}

/** Scans `path` for any trace of the credentials, from fingerprints only (never the secret). */
export async function scanBackupPath(context: CommandContext, request: ScanRequest): Promise<ScanOutcome> {
  const path = context.resolvePath(request.path);
  if ((await lstat(path).catch(() => undefined)) === undefined) {
    throw usageError(`${request.path} does not exist`, "pass a snapshot dir, a backup data dir (GHE_DATA_DIR) or one file or archive");
  }
  const sets = await loadResidueFingerprints({ stateDir: context.globals.stateDir, fingerprintsFile: request.fingerprintsFile, cwd: context.io.cwd });
  const progress = scanProgressLine(context);
  try {
    const result = await scanPath(path, {
      matcher: createResidueMatcher(sets),
      ...(request.maxDepth === undefined ? {} : { maxDepth: request.maxDepth }),
      ...(progress.onProgress === undefined ? {} : { onProgress: progress.onProgress }),
    });
    return { result, fingerprintIds: sets.map((set) => set.id) };
  } finally {
    progress.done();
  }
}

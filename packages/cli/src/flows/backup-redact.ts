import { applyBackupPolicy, openSnapshot, redactSnapshot, type RedactionReport } from "@connect-ops/backup-hooks";
import { createResidueMatcher } from "@connect-ops/connection-core";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { loadResidueFingerprints } from "./fingerprints.js";

export interface RedactRequest {
  readonly snapshot: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly fingerprintsFile?: string | undefined;
}

/** Redacts one snapshot (a snapshot dir or a `current` link). Refuses an incomplete one or a running backup unless `force`. */
export async function redactBackupSnapshot(context: CommandContext, request: RedactRequest): Promise<RedactionReport> {
  // The snapshot is checked first: a wrong path is reported as such even when no fingerprints are at hand.
  const snapshot = await openSnapshot(context.resolvePath(request.snapshot), { force: request.force });
  const sets = await loadResidueFingerprints({ stateDir: context.globals.stateDir, fingerprintsFile: request.fingerprintsFile, cwd: context.io.cwd });
  return redactSnapshot(snapshot.path, { matcher: createResidueMatcher(sets), dryRun: request.dryRun, now: () => new Date(context.io.now()) });
}

/** The hook's redact policy: `current` of the data dir, through the library's policy entry point. */
export async function redactCurrent(context: CommandContext, request: { dataDir: string; force: boolean; fingerprintsFile?: string | undefined }): Promise<RedactionReport> {
  const dataDir = context.resolvePath(request.dataDir);
  await openSnapshot(join(dataDir, "current"), { force: request.force });
  const sets = await loadResidueFingerprints({ stateDir: context.globals.stateDir, fingerprintsFile: request.fingerprintsFile, cwd: context.io.cwd });
  const applied = await applyBackupPolicy({ dataDir, policy: "redact", force: request.force, matcher: createResidueMatcher(sets), now: () => new Date(context.io.now()) });
  if (applied.policy !== "redact") throw new Error("applyBackupPolicy returned another policy than asked");
  return applied.redaction;
}

/** A redaction is complete when nothing failed and the scan had no gaps; otherwise residue may remain. */
export function redactionComplete(report: RedactionReport): boolean {
  return report.failed.length === 0 && report.gaps.length === 0;
}

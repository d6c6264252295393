import type { Finding } from "@connect-ops/backup-hooks";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";

/**
 * The residue the last `backup scan` found, per snapshot, for `metrics`
 * (connect_ops_backup_residue_findings). Counts only: no path inside a
 * snapshot, no secret. Written to the state dir when it exists (an auditor's
 * scan off the appliance has none and records nothing).
 */
const FILE = "last-residue.json";
const SNAPSHOT_ID = /^\d{8}T\d{6}$/;

/** Findings per snapshot of a scan of `scanned` (a data dir, a snapshot, or a file in one). */
export function residueBySnapshot(scanned: string, findings: readonly Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const own = SNAPSHOT_ID.test(basename(scanned)) ? basename(scanned) : undefined;
  for (const finding of findings) {
    const first = relative(scanned, finding.path).split(sep)[0] ?? "";
    const snapshot = SNAPSHOT_ID.test(first) ? first : (own ?? basename(scanned));
    counts[snapshot] = (counts[snapshot] ?? 0) + 1;
  }
  return counts;
}

/** The snapshots a scan of `scanned` covered: every snapshot of a data dir, or the snapshot scanned itself. */
async function snapshotsOf(scanned: string): Promise<string[]> {
  if (SNAPSHOT_ID.test(basename(scanned))) return [basename(scanned)];
  const { listSnapshots } = await import("@connect-ops/backup-hooks");
  try {
    return (await listSnapshots(scanned)).snapshots.map((snapshot) => snapshot.id);
  } catch {
    return []; // not a data dir (a file, an archive): the counts name what was scanned
  }
}

export async function recordResidue(stateDir: string, scanned: string, findings: readonly Finding[]): Promise<void> {
  if (!existsSync(stateDir)) return;
  const snapshots = await snapshotsOf(scanned);
  const counts = Object.fromEntries(snapshots.map((id) => [id, 0]));
  Object.assign(counts, residueBySnapshot(scanned, findings));
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  await atomicWriteFile(join(stateDir, FILE), Buffer.from(`${JSON.stringify({ snapshots: counts }, null, 2)}\n`), {
    mode: 0o600,
  });
}

export function readResidue(stateDir: string): Record<string, number> {
  const path = join(stateDir, FILE);
  if (!existsSync(path)) return {};
  const parsed = JSON.parse(readFileSync(path, "utf8")) as { snapshots?: unknown };
  const counts: Record<string, number> = {};
  if (typeof parsed.snapshots === "object" && parsed.snapshots !== null) {
    for (const [id, value] of Object.entries(parsed.snapshots)) if (typeof value === "number") counts[id] = value;
  }
  return counts;
}

import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { SnapshotEntry } from "./disconnect-journal.js";

export interface SnapshotReview {
  readonly entries: SnapshotEntry[];
  /** Snapshots whose redaction left something behind (rewrite failures or gaps): disconnect stays incomplete. */
  readonly unfinished: number;
}

/**
 * Step 5. With `purge`, redacts every snapshot of every data dir (idempotent:
 * a second run rewrites nothing); without it, only scans and lists what still
 * holds residue or a sealed copy, with the recipients that can open it.
 * Incomplete snapshots are included: a half-written backup can hold the key too.
 */
export async function reviewSnapshots(
  dataDirs: readonly string[],
  matcher: ResidueMatcher,
  purge: boolean,
  now: () => number,
): Promise<SnapshotReview> {
  const { listSnapshots, redactSnapshot, scanPath } = await import("@connect-ops/backup-hooks");
  const entries: SnapshotEntry[] = [];
  let unfinished = 0;
  for (const dataDir of dataDirs) {
    const info = await listSnapshots(dataDir);
    for (const snapshot of info.snapshots) {
      const base = { dataDir, snapshot: snapshot.id, path: snapshot.path, isCurrent: snapshot.isCurrent };
      if (purge) {
        const report = await redactSnapshot(snapshot.path, { matcher, now: () => new Date(now()) });
        const purged = report.changes.length + report.removed.length > 0;
        const left = report.failed.length + report.gaps.length;
        if (left > 0) unfinished += 1;
        entries.push({
          ...base,
          state: report.failed.length > 0 ? "holds-residue" : purged ? "purged" : "clean",
          findings: report.failed.length,
          sealedCopy: false,
          recipients: [],
          gaps: report.gaps.length,
        });
        continue;
      }
      const scan = await scanPath(snapshot.path, { matcher });
      const sealed = scan.findings.filter((finding) => finding.form === "sealed-copy");
      entries.push({
        ...base,
        state: scan.findings.length > 0 ? "holds-residue" : "clean",
        findings: scan.findings.length,
        sealedCopy: sealed.length > 0,
        recipients: [...new Set(sealed.flatMap((finding) => finding.recipients ?? []))],
        gaps: scan.gaps.length,
      });
    }
  }
  return { entries, unfinished };
}

import type { ResidueMatcher } from "@connect-ops/connection-core";
import { join, sep } from "node:path";
import {
  digestLines,
  listingGaps,
  listRegularFiles,
  locationResult,
  type AuditFinding,
  type AuditGap,
} from "../flows/audit-report.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";
import { toAuditFinding, toAuditGap } from "./verify-cleanup-scan.js";

const inside = (root: string, path: string): boolean => path === root || path.startsWith(`${root}${sep}`);

/**
 * Every snapshot of every data dir. The data dir is scanned as one tree, so
 * a file hard-linked into several snapshots is read once and a stray file
 * outside any snapshot is seen too; findings and gaps are then attributed to
 * each snapshot that holds the path (or one of its hard links). Sealed copies
 * left by `backup include` are findings with their recipients.
 */
export async function auditSnapshots(
  dataDirs: readonly string[],
  matcher: ResidueMatcher,
  crossMounts = false,
): Promise<LocationAudit[]> {
  const { listSnapshots, scanPath } = await import("@connect-ops/backup-hooks");
  const audits: LocationAudit[] = [];
  for (const dataDir of dataDirs) {
    let info: Awaited<ReturnType<typeof listSnapshots>>;
    try {
      info = await listSnapshots(dataDir);
    } catch (error) {
      const reason = `data dir not readable: ${(error as Error).message}`;
      audits.push({
        location: {
          kind: "data-dir",
          name: dataDir,
          path: dataDir,
          method: "residue scan",
          result: "gap",
          checks: [{ check: "list snapshots", result: "gap", detail: reason }],
          filesScanned: 0,
          bytesScanned: 0,
          scannedDigest: digestLines([]),
        },
        findings: [],
        gaps: [{ location: dataDir, path: dataDir, reason }],
      });
      continue;
    }
    const scan = await scanPath(info.dataDir, { matcher, crossMounts });
    const roots = info.snapshots.map((snapshot) => snapshot.path);
    const owners = (paths: readonly string[]): string[] => {
      const found = roots.filter((root) => paths.some((path) => inside(root, path)));
      return found.length > 0 ? found : [info.dataDir];
    };
    const findingsBy = new Map<string, AuditFinding[]>();
    const gapsBy = new Map<string, AuditGap[]>();
    const nameOf = (root: string): string => (root === info.dataDir ? `${info.dataDir} (outside snapshots)` : root);
    for (const finding of scan.findings) {
      for (const root of owners([finding.path, ...(finding.linkedPaths ?? [])]))
        findingsBy.set(root, [...(findingsBy.get(root) ?? []), toAuditFinding(nameOf(root), finding)]);
    }
    for (const gap of scan.gaps)
      for (const root of owners([gap.path]))
        gapsBy.set(root, [...(gapsBy.get(root) ?? []), toAuditGap(nameOf(root), gap)]);
    for (const snapshot of info.snapshots) {
      const findings = findingsBy.get(snapshot.path) ?? [];
      const listing = await listRegularFiles(snapshot.path);
      const gaps = [...(gapsBy.get(snapshot.path) ?? []), ...listingGaps(snapshot.path, snapshot.path, listing)];
      const tags = [snapshot.isCurrent ? "current" : undefined, snapshot.incomplete ? "incomplete" : undefined]
        .filter(Boolean)
        .join(", ");
      audits.push({
        location: {
          kind: "snapshot",
          name: `${snapshot.path}${tags ? ` (${tags})` : ""}`,
          path: snapshot.path,
          method:
            "residue scan (plain files, tar members, gzip streams, nested) of the data dir, attributed per snapshot",
          result: locationResult(findings, gaps),
          checks: [
            {
              check: "residue scan",
              result: findings.length > 0 ? "residue" : gaps.length > 0 ? "gap" : "ok",
              detail: `${findings.length} finding(s), ${gaps.length} gap(s)`,
            },
          ],
          filesScanned: listing.files,
          bytesScanned: listing.bytes,
          scannedDigest: digestLines(listing.lines),
        },
        findings,
        gaps,
      });
    }
    const strayFindings = findingsBy.get(info.dataDir) ?? [];
    const all = await listRegularFiles(info.dataDir);
    const strayGaps = [...(gapsBy.get(info.dataDir) ?? []), ...listingGaps(nameOf(info.dataDir), info.dataDir, all)];
    audits.push({
      location: {
        kind: "data-dir",
        name: info.dataDir,
        path: info.dataDir,
        method: "residue scan of the whole data dir (hard links read once)",
        result: locationResult(strayFindings, strayGaps),
        checks: [
          {
            check: "files outside snapshots",
            result: strayFindings.length > 0 ? "residue" : strayGaps.length > 0 ? "gap" : "ok",
            detail: `${info.snapshots.length} snapshot(s), current ${info.current ?? "none"}`,
          },
        ],
        filesScanned: scan.filesScanned,
        bytesScanned: scan.bytesScanned,
        scannedDigest: digestLines(all.lines.map((line) => join(".", line))),
      },
      findings: strayFindings,
      gaps: strayGaps,
    });
  }
  return audits;
}

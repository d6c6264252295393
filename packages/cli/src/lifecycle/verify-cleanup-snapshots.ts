import type { AgeAudit } from "@connect-ops/backup-hooks";
import type { ResidueMatcher } from "@connect-ops/connection-core";
import { join, sep } from "node:path";
import {
  addLayers,
  digestLines,
  listingGaps,
  listRegularFiles,
  locationResult,
  type AuditFinding,
  type AuditGap,
  type AuditLocation,
} from "../flows/audit-report.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";
import { toAuditFinding, toAuditGap } from "./verify-cleanup-scan.js";

const inside = (root: string, path: string): boolean => path === root || path.startsWith(`${root}${sep}`);

/** A data dir that could not be audited as a whole: one gap, nothing scanned. */
function dataDirGap(dataDir: string, check: string, reason: string): LocationAudit {
  return {
    location: {
      kind: "data-dir",
      name: dataDir,
      path: dataDir,
      method: "residue scan",
      result: "gap",
      checks: [{ check, result: "gap", detail: reason }],
      filesScanned: 0,
      bytesScanned: 0,
      scannedDigest: digestLines([]),
      layersDecoded: {},
    },
    findings: [],
    gaps: [{ location: dataDir, path: dataDir, reason }],
  };
}

/** A snapshot the disconnect reviewed that is no longer in its data dir: shown gone (lstat), or a gap. */
async function recordedSnapshotAudit(path: string): Promise<LocationAudit> {
  const { lstat } = await import("node:fs/promises");
  const error = await lstat(path).then(
    () => undefined,
    (failure: unknown) => failure as NodeJS.ErrnoException,
  );
  const gone = error?.code === "ENOENT";
  const reason = gone
    ? `recorded by disconnect; ${path} no longer exists (the snapshot was pruned or moved)`
    : `recorded by disconnect but not audited: ${path} is not a snapshot of its data dir any more (${error?.code ?? "still there, not listed"})`;
  const location: AuditLocation = {
    kind: "snapshot",
    name: `${path} (recorded)`,
    path,
    method: "existence check of a snapshot the disconnect journal recorded",
    result: gone ? "clean" : "gap",
    checks: [{ check: "recorded snapshot", result: gone ? "ok" : "gap", detail: reason }],
    filesScanned: 0,
    bytesScanned: 0,
    scannedDigest: digestLines([]),
    layersDecoded: {},
  };
  return { location, findings: [], gaps: gone ? [] : [{ location: path, path, reason }] };
}
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
  recordedSnapshots: readonly { readonly dataDir: string; readonly path: string }[] = [],
  age?: AgeAudit,
): Promise<LocationAudit[]> {
  const { listSnapshots, scanPath } = await import("@connect-ops/backup-hooks");
  const audits: LocationAudit[] = [];
  for (const dataDir of dataDirs) {
    let info: Awaited<ReturnType<typeof listSnapshots>>;
    try {
      info = await listSnapshots(dataDir);
    } catch (error) {
      audits.push(dataDirGap(dataDir, "list snapshots", `data dir not readable: ${(error as Error).message}`));
      continue;
    }
    if (info.snapshots.length === 0) {
      // An empty data dir proves nothing about where the backups went: never clean.
      audits.push(dataDirGap(info.dataDir, "list snapshots", `no snapshot found in ${info.dataDir}`));
      continue;
    }
    const scan = await scanPath(info.dataDir, { matcher, crossMounts, ...(age === undefined ? {} : { age }) });
    const roots = info.snapshots.map((snapshot) => snapshot.path);
    const owners = (paths: readonly string[]): string[] => {
      const found = roots.filter((root) => paths.some((path) => inside(root, path)));
      return found.length > 0 ? found : [info.dataDir];
    };
    const findingsBy = new Map<string, AuditFinding[]>();
    const gapsBy = new Map<string, AuditGap[]>();
    const nameOf = (root: string): string => (root === info.dataDir ? `${info.dataDir} (outside snapshots)` : root);
    const layersOf = (root: string): Record<string, number> =>
      addLayers(
        ...scan.layeredFiles
          .filter((file) => owners([file.path, ...file.linkedPaths]).includes(root))
          .map((file) => file.layers),
      );
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
          layersDecoded: layersOf(snapshot.path),
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
        layersDecoded: scan.layersDecoded,
      },
      findings: strayFindings,
      gaps: strayGaps,
    });
  }
  const audited = new Set(audits.map((audit) => audit.location.path));
  for (const recorded of recordedSnapshots)
    if (!audited.has(recorded.path)) audits.push(await recordedSnapshotAudit(recorded.path));
  return audits;
}

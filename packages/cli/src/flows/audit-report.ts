import { errnoCode, ignoreMissing } from "@connect-ops/connection-core";
import { createHash } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import { join, relative } from "node:path";

export type Verdict = "clean" | "residue" | "inconclusive";
export type LocationKind = "cloud" | "primary" | "node" | "snapshot" | "data-dir";

/** One thing checked about a location and what came of it. */
export interface AuditCheck {
  readonly check: string;
  readonly result: "ok" | "residue" | "gap";
  readonly detail?: string;
}

export interface AuditLocation {
  readonly kind: LocationKind;
  readonly name: string;
  readonly path?: string;
  readonly method: string;
  readonly result: "clean" | "residue" | "gap";
  readonly checks: readonly AuditCheck[];
  readonly filesScanned: number;
  readonly bytesScanned: number;
  /** SHA-256 over the sorted `relative-path<TAB>size` lines of what was scanned. */
  readonly scannedDigest: string;
}

/** A trace of the credentials. Locations and fingerprint ids only, never secret bytes. */
export interface AuditFinding {
  readonly location: string;
  readonly path: string;
  readonly member?: string;
  readonly offset?: number;
  readonly length?: number;
  /** Scanner forms (`pem-key`, `pem-line`, `token`, `sealed-copy`) or the audit's own (`credential-file`, `vault`, `temp-file`, `cloud-app`, `cloud-record`). */
  readonly form: string;
  readonly encoding?: string;
  readonly fingerprintId: string;
  readonly recipients?: readonly string[];
  readonly linkedPaths?: readonly string[];
}

export interface AuditGap {
  readonly location: string;
  readonly path?: string;
  readonly member?: string;
  readonly reason: string;
}

export interface AuditSubject {
  readonly cloudUrl?: string;
  readonly appId?: number;
  readonly appSlug?: string;
  readonly installationId?: number;
  readonly recordId?: number;
}

export interface AuditReport {
  readonly format: "connect-ops/cleanup-report@1";
  readonly tool: { readonly name: "connect-ops"; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly verdict: Verdict;
  readonly fingerprintSets: readonly string[];
  readonly subject: AuditSubject;
  readonly totals: {
    readonly locations: number;
    readonly filesScanned: number;
    readonly bytesScanned: number;
    readonly scannedDigest: string;
  };
  readonly locations: readonly AuditLocation[];
  readonly findings: readonly AuditFinding[];
  readonly gaps: readonly AuditGap[];
}

/** Residue wins over gaps (exit 1); any gap without residue is inconclusive, never clean. */
export function verdictOf(findings: readonly unknown[], gaps: readonly unknown[]): Verdict {
  if (findings.length > 0) return "residue";
  return gaps.length > 0 ? "inconclusive" : "clean";
}

export function locationResult(findings: readonly unknown[], gaps: readonly unknown[]): AuditLocation["result"] {
  if (findings.length > 0) return "residue";
  return gaps.length > 0 ? "gap" : "clean";
}

export function digestLines(lines: readonly string[]): string {
  return `sha256:${createHash("sha256")
    .update([...lines].sort().join("\n"))
    .digest("hex")}`;
}

export interface Listing {
  readonly files: number;
  readonly bytes: number;
  readonly lines: string[];
  /** Why `root` could not be listed (EACCES, EIO…): the counts and digest then cover nothing of it. */
  readonly failure?: string;
}

/**
 * Regular files under `root` (symlinks not followed), as `relative-path<TAB>size` lines.
 * A root or file that is gone (ENOENT) is not listed; any other failure is returned as
 * `failure`, for the caller to report as a gap (listingGaps), never read as an empty tree.
 */
export async function listRegularFiles(root: string): Promise<Listing> {
  try {
    const stats = await ignoreMissing(lstat(root));
    if (stats === undefined) return { files: 0, bytes: 0, lines: [] };
    if (stats.isFile()) return { files: 1, bytes: stats.size, lines: [`.\t${stats.size}`] };
    const entries = (await ignoreMissing(readdir(root, { recursive: true, withFileTypes: true }))) ?? [];
    const lines: string[] = [];
    let bytes = 0;
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const size = (await ignoreMissing(lstat(path)))?.size;
      if (size === undefined) continue;
      bytes += size;
      lines.push(`${relative(root, path)}\t${size}`);
    }
    return { files: lines.length, bytes, lines };
  } catch (error) {
    return { files: 0, bytes: 0, lines: [], failure: errnoCode(error) ?? String(error) };
  }
}

/** The gap a listing that failed leaves in `location`'s report (none when it did not fail). */
export function listingGaps(location: string, root: string, listing: Listing): AuditGap[] {
  return listing.failure === undefined
    ? []
    : [
        {
          location,
          path: root,
          reason: `the file listing failed (${listing.failure}): counts and digest cover none of it`,
        },
      ];
}

/** The exact bytes that are signed and written: pretty JSON with a final newline. */
export function reportBytes(report: AuditReport): Buffer {
  return Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
}

import { errnoCode, ignoreMissing } from "@connect-ops/connection-core";
import { createHash } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import { join, relative } from "node:path";

export type Verdict = "clean" | "residue" | "inconclusive";
export type LocationKind = "cloud" | "primary" | "node" | "snapshot" | "data-dir" | "unreachable";

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
  /** Layers decoded while scanning it, by kind (`{ "gzip": 2, "tar": 1 }`); the report fills `{}` where nothing was scanned. */
  readonly layersDecoded?: Readonly<Record<string, number>>;
}

/** A location as the report lists it: the layer counts are always there. */
export type ReportedLocation = AuditLocation & { readonly layersDecoded: Readonly<Record<string, number>> };

/** A trace of the credentials. Locations and fingerprint ids only, never secret bytes. */
export interface AuditFinding {
  readonly location: string;
  readonly path: string;
  readonly member?: string;
  readonly offset?: number;
  readonly length?: number;
  /** Scanner forms (`pem-key`, `pem-line`, `token`, `key-content`, `token-content`, `sealed-copy`) or the audit's own (`credential-file`, `vault`, `temp-file`, `cloud-app`, `cloud-record`). */
  readonly form: string;
  readonly encoding?: string;
  readonly fingerprintId: string;
  readonly recipients?: readonly string[];
  /** A sealed copy after a shred: the recipients whose identities were not destroyed (they still open it). */
  readonly openableBy?: readonly string[];
  readonly linkedPaths?: readonly string[];
  /** A sealed copy met as an age file under any name: the SHA-256 (hex) of that age file (the ledger's key). */
  readonly sha256?: string;
}

export interface AuditGap {
  readonly location: string;
  readonly path?: string;
  readonly member?: string;
  readonly reason: string;
}

/**
 * Something the audit did not check: a `gap` (a place it could not read, also
 * in `gaps`, which makes the verdict inconclusive) or a `limit` (what the
 * detection method cannot see anywhere, said so that CLEAN is read for what it is).
 */
export interface NotChecked {
  readonly kind: "gap" | "limit";
  readonly location?: string;
  readonly path?: string;
  readonly member?: string;
  readonly reason: string;
}

/** Where the node list came from; `note` is "no nodes: standalone" for an appliance without replicas. */
export interface AuditTopology {
  readonly source: string;
  readonly nodes: number;
  readonly recordedNodes: number;
  readonly note?: string;
}

export const REPORT_FORMAT = "connect-ops/cleanup-report@2";

export interface AuditSubject {
  readonly cloudUrl?: string;
  readonly appId?: number;
  readonly appSlug?: string;
  readonly installationId?: number;
  readonly recordId?: number;
  readonly keyFingerprint?: string;
  /** The appliance as the connection record names it. */
  readonly hostname?: string;
  readonly ghesVersion?: string;
  /** `enterprise:acme` / `organization:octo`. */
  readonly account?: string;
}

/** The appliance facts of a connection record, for a report's subject (none when there is no record). */
export function recordFacts(
  record: { hostname: string; ghesVersion: string; account: { type: string; login: string } } | undefined,
): Pick<AuditSubject, "hostname" | "ghesVersion" | "account"> {
  if (record === undefined) return {};
  return {
    hostname: record.hostname,
    ghesVersion: record.ghesVersion,
    account: `${record.account.type}:${record.account.login}`,
  };
}

/** A credential presented to the cloud after the disconnect deleted everything, and the HTTP status it got (401 = refused). */
export interface DisconnectProof {
  readonly credential: string;
  readonly request: string;
  readonly status: number;
  readonly at: string;
}

export interface AuditReport {
  /** `@1` reports (no layers, notChecked, detectionMethod) still verify: the signature covers bytes, not a schema. */
  readonly format: typeof REPORT_FORMAT;
  readonly tool: { readonly name: "connect-ops"; readonly version: string };
  /** The version of the scanner's method: which layers it decodes and which forms it matches. */
  readonly detectionMethod: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly verdict: Verdict;
  readonly fingerprintSets: readonly string[];
  /** Where the fingerprints came from: the state dir, or `--fingerprints FILE` (an audit off the appliance). */
  readonly fingerprintSource: string;
  readonly subject: AuditSubject;
  readonly topology: AuditTopology;
  readonly totals: {
    readonly locations: number;
    readonly filesScanned: number;
    readonly bytesScanned: number;
    readonly scannedDigest: string;
  };
  readonly locations: readonly ReportedLocation[];
  readonly findings: readonly AuditFinding[];
  readonly gaps: readonly AuditGap[];
  /** Every gap, then every known limit of the method. */
  readonly notChecked: readonly NotChecked[];
  /** After `shred`: the attestation checked (signature with the audit key) and the sealed copies it made unopenable. */
  readonly shred?: {
    readonly attestation: string;
    readonly attestationSha256: string;
    readonly signature: "valid" | "invalid";
    readonly destroyedRecipients: readonly string[];
    readonly shredded: readonly {
      readonly location: string;
      readonly path: string;
      readonly sha256: string;
      readonly recipients: readonly string[];
      readonly coveredBy: "audited" | "attestation";
    }[];
  };
  /** Who ran the audit: the OS user and host (reports before this field lack it). */
  readonly ranBy?: { readonly user: string; readonly host: string };
  /** The disconnect journal's proofs (the old App key and token presented after the deletes). */
  readonly disconnectProofs?: readonly DisconnectProof[];
}

/** Sums layer counts (`{gzip: 1}` + `{gzip: 2, tar: 1}`). */
export function addLayers(...counts: ReadonlyArray<Readonly<Record<string, number>>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const count of counts) for (const [kind, n] of Object.entries(count)) total[kind] = (total[kind] ?? 0) + n;
  return total;
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

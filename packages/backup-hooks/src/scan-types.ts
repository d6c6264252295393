import type { ResidueMatcher } from "@connect-ops/connection-core";

/**
 * What was found. `pem-key`: a whole private key whose fingerprint matches; `pem-line`: one body line of it;
 * `key-content`: a run of the key's private numbers (bytes, or base64 text of them) in any surroundings;
 * `token-content`: a run of a token's secret part (its 36 random characters, or its JWT signature as
 * text or bytes), with or without `ghs_`.
 */
export type FindingForm =
  "pem-key" | "pem-line" | "token" | "key-content" | "token-content" | "sealed-copy" | "age-identity";

/**
 * How the secret was written where it was found: `raw` (LF PEM or a bare token),
 * `crlf`, `escaped` (`\n` / `\r\n` as two characters, JSON or SQL), `double-escaped`
 * (`\\n`), `one-line` (PEM body without separators), `base64` (inside a base64 run),
 * `age` (a sealed copy). The text decoders (issue 13) name the outermost text
 * encoding of the run the secret was found in: `base64` (also base64url),
 * `hex` (plain, `0x…`, separated, `xxd`/`hexdump -C` dumps), `percent`,
 * `string-escape` (JSON `\uXXXX`, SQL, C octal/`\x`), `utf-16`.
 */
export type FindingEncoding =
  | "raw"
  | "crlf"
  | "escaped"
  | "double-escaped"
  | "one-line"
  | "base64"
  | "hex"
  | "percent"
  | "string-escape"
  | "utf-16"
  | "age";

/** One trace of a credential. Holds locations and fingerprint ids only, never secret bytes. */
export interface Finding {
  /** The file on disk. */
  readonly path: string;
  /** Inner archive path(s), joined with `!` (`outer.tar!inner.tar.gz!etc/x`). */
  readonly member?: string;
  /** Byte offset in the innermost decoded stream (after gunzip, inside the tar member). */
  readonly offset: number;
  /** Length in bytes of the span that holds the secret in that stream (what redact overwrites). */
  readonly length: number;
  readonly form: FindingForm;
  readonly encoding: FindingEncoding;
  /** `classic` (40 characters) or `app-jwt` (`ghs_<APPID>_<JWT>`), for tokens only. */
  readonly variant?: "classic" | "app-jwt";
  /** Id of the fingerprint set that matched, or `unknown` for a sealed copy of another connection. */
  readonly fingerprintId: string;
  /** Other paths that are hard links to the same file (read once). */
  readonly linkedPaths?: readonly string[];
  /** For `sealed-copy`: the age recipients that can open it (from the manifest next to it). */
  readonly recipients?: readonly string[];
  /** For a `sealed-copy` met as an age file under any name: the SHA-256 (hex) of the binary age file, as the ledger records it. */
  readonly sha256?: string;
}

/** Something that could not be checked, so the scan cannot vouch for it. */
export interface Gap {
  readonly path: string;
  readonly member?: string;
  readonly reason: string;
}

export interface ScanResult {
  readonly findings: Finding[];
  readonly gaps: Gap[];
  readonly filesScanned: number;
  readonly bytesScanned: number;
  /** Layers decoded, by decoder kind (`{ gzip: 2, tar: 1 }`); a plain file is no layer. */
  readonly layersDecoded: Readonly<Record<string, number>>;
  /** The files in which a layer was decoded, with their counts (to attribute them to snapshots). */
  readonly layeredFiles: readonly LayeredFile[];
}

export interface LayeredFile {
  readonly path: string;
  readonly linkedPaths: readonly string[];
  readonly layers: Readonly<Record<string, number>>;
}

export interface ScanLimits {
  /** An archive (a file or member in any layer format) larger than this is not opened: a gap. */
  readonly maxArchiveBytes: number;
  /** Inflated bytes allowed per gzip stream. */
  readonly maxInflatedBytes: number;
  /** Inflated/compressed ratio allowed once `ratioCheckAfterBytes` have been inflated. */
  readonly maxInflateRatio: number;
  readonly ratioCheckAfterBytes: number;
}

export const DEFAULT_LIMITS: ScanLimits = {
  maxArchiveBytes: 64 * 1024 ** 3,
  maxInflatedBytes: 256 * 1024 ** 3,
  maxInflateRatio: 200,
  ratioCheckAfterBytes: 16 * 1024 ** 2,
};

export const DEFAULT_MAX_DEPTH = 6;

export interface ScanProgress {
  readonly filesScanned: number;
  readonly bytesScanned: number;
  readonly totalBytes: number;
}

/** A sealed copy this tool wrote, as the sealed-copy ledger records it (secret-free). */
export interface KnownSealedCopy {
  /** SHA-256 (hex) of the binary age file. */
  readonly sha256: string;
  readonly recipients: readonly string[];
}

/**
 * What the audit holds to judge an age file met anywhere (issue 13.3): the
 * ledger's hashes, and the identities (`AGE-SECRET-KEY-1…`) to trial-open the
 * others with, in memory only. Without either, every age file is a gap.
 */
export interface AgeAudit {
  readonly knownCopies: readonly KnownSealedCopy[];
  readonly identities: readonly string[];
}

export interface ScanOptions {
  /** The ledger and identities age files are judged with; absent: every age file not at the sealed-copy path is a gap. */
  readonly age?: AgeAudit;
  readonly matcher: ResidueMatcher;
  /** Walk into other filesystems mounted inside the tree; by default each mount point is a gap. */
  readonly crossMounts?: boolean;
  /** Archive nesting depth: each layer (tar, gzip, xz, zip, …) counts one (`x.tar!y.tar.gz` is 3). */
  readonly maxDepth?: number;
  readonly limits?: Partial<ScanLimits>;
  readonly onProgress?: (progress: ScanProgress) => void;
  /** Files scanned at once (on each scan thread); the gzip inflation runs on the libuv pool meanwhile. */
  readonly concurrency?: number;
  /** Scan threads (0: the calling thread only); by default scan-threads.ts threadCount() decides. */
  readonly threads?: number;
  /** Told once the threads are done: how many read files, and why any failed (their files were then read here). */
  readonly onThreads?: (report: ThreadsReport) => void | Promise<void>;
}

export interface ThreadsReport {
  readonly threads: number;
  readonly failures: readonly string[];
}

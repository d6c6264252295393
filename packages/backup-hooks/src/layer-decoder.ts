import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { ByteReader } from "./byte-reader.js";
import type { StreamContext } from "./scan-context.js";
import type { ScanLimits } from "./scan-types.js";

/**
 * How many bytes of a stream the decoders' `detect` sees: a tar header block,
 * and the first KiB of a script whose payload (an archive) follows it.
 */
export const HEAD_BYTES = 16 * 1024;

/** Where one stream sits in a rewrite (file, then members), and what the rewrite may touch. */
export interface RewriteContext {
  readonly matcher: ResidueMatcher;
  readonly limits: ScanLimits;
  readonly maxDepth: number;
  readonly depth: number;
  readonly members: readonly string[];
  /** Member chains (joined with `!`, "" for the file itself) holding findings, with all their prefixes. */
  readonly dirty: ReadonlySet<string>;
  /** A private dir inside the snapshot, for re-encoded members whose size changes. Never holds unredacted bytes. */
  readonly scratchDir: string;
}

/** Where re-encoded bytes go, in order. Resolves when the sink can take more (backpressure). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** A stream inside a layer: a tar member (named), or the single decoded stream of a compression (unnamed). */
export interface LayerChild {
  /** Added to the member chain (`x.tar!etc/conf`); undefined for a layer that only transforms bytes (gzip). */
  readonly name?: string;
  readonly reader: ByteReader;
}

/** What the walk offers every decoder: children made of the layer's own bytes. */
interface LayerWalk {
  /**
   * A reader over the next `length` bytes of the layer's stream (a stored tar
   * or zip member, a script's payload), to hand on as a child: the layer's raw
   * scan skips them, the child's walk scans them. Decoded streams (inflated,
   * decompressed) are not slices: the raw scan sees their source bytes.
   */
  slice(length: number): ByteReader;
}

/** What the walk offers a decoder that scans: hand a child on, and ask whether a head would be opened. */
export interface ScanWalk extends LayerWalk {
  /** Walks one child one layer deeper (decoders, then the detectors at the leaves). Consume it before the next. */
  child(child: LayerChild): Promise<void>;
  /** True when a decoder claims a stream starting with `head` (a member too big to open is a gap only then). */
  opens(head: Uint8Array): boolean;
}

/** What the walk offers a decoder that rewrites: the same, with the sink the child's redacted bytes go to. */
export interface RewriteWalk extends LayerWalk {
  child(child: LayerChild, out: ByteSink): Promise<void>;
  opens(head: Uint8Array): boolean;
}

/**
 * One layer format (a container or an encoding) of the walk shared by scan and
 * redact. A new decoder (issue 13: zlib, xz, zstd, bzip2, zip, base64, hex,
 * escapes, UTF-16, …) is one object implementing this, added to
 * `LAYER_DECODERS` in layer-walk.ts; scan and redact then both see it, with
 * the depth limit, member paths and gaps handled by the walk.
 */
export interface LayerDecoder {
  /** Names the layer in gaps (`nesting-depth-limit: tar at depth 4 …`). */
  readonly kind: string;
  /** True when `head` (the first bytes of a stream, at most HEAD_BYTES, fewer at its end) is this format. By content, never by name. */
  detect(head: Uint8Array): boolean;
  /**
   * True when `rewrite` writes every raw byte of the layer anew (a
   * compression): a secret the raw scan found in it (a gzip comment) does not
   * survive. Otherwise raw bytes outside children (tar headers) are copied, and
   * a secret among them makes the rewrite fail.
   */
  readonly reencodes?: boolean;
  /**
   * Walks the children of the layer in order through `walk.child`, reading
   * `reader` as a stream (bounded memory). Damage and limits are gaps of
   * `context` (this layer's stream); never throws for bad input.
   */
  open(reader: ByteReader, context: StreamContext, walk: ScanWalk): Promise<void>;
  /**
   * Writes the layer re-encoded to `out`, each child rewritten through
   * `walk.child`; everything that holds no finding stays byte-identical after
   * decoding. Throws `BACKUP_UNSUPPORTED_ARCHIVE` where it cannot (damage,
   * limits): redact names the file as failed. Absent: the layer cannot be
   * rewritten, and a finding inside it fails the same way.
   */
  rewrite?(reader: ByteReader, context: RewriteContext, out: ByteSink, walk: RewriteWalk): Promise<void>;
}

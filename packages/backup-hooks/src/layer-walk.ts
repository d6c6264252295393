import { ageLayer } from "./age-layer.js";
import { ByteReader } from "./byte-reader.js";
import { unsupportedArchive } from "./errors.js";
import { bzip2Layer } from "./bzip2-layer.js";
import { gitPackLayer } from "./git-pack-layer.js";
import { gzipLayer } from "./gzip-layer.js";
import { HEAD_BYTES, type ByteSink, type LayerDecoder, type RewriteContext } from "./layer-decoder.js";
import { RawLayerScan } from "./raw-scan.js";
import { addGap, addHit, countLayer, nested, type StreamContext } from "./scan-context.js";
import type { Finding } from "./scan-types.js";
import { scriptPayloadLayer } from "./script-payload-layer.js";
import { tarLayer } from "./tar-layer.js";
import { lzmaLayer, xzLayer } from "./xz-layer.js";
import { zipLayer } from "./zip-layer.js";
import { zlibLayer } from "./zlib-layer.js";
import { zstdLayer } from "./zstd-layer.js";
import { WindowScanner, type DecodedStreamPorts } from "./window-scanner.js";

/**
 * Every layer format the walk opens, tried in this order on the head of each
 * stream (a file, a member, a decoded stream). A new decoder goes here and
 * nowhere else: scan and redact both walk this list (see LayerDecoder).
 */
const COMPRESSIONS: readonly LayerDecoder[] = [gzipLayer, zlibLayer, xzLayer, zstdLayer, bzip2Layer];

export const LAYER_DECODERS: readonly LayerDecoder[] = [
  // An age file under any name (issue 13.3): a known copy, opened with our identities, or a gap.
  ageLayer,
  ...COMPRESSIONS,
  tarLayer,
  zipLayer,
  gitPackLayer,
  // No magic: its header fields are checked after every format that has one.
  lzmaLayer,
  // Text with a compressed payload after it (a self-extracting installer).
  scriptPayloadLayer(COMPRESSIONS),
];

export { HEAD_BYTES };

/** The decoder that opens a stream starting with `head`, or undefined for plain bytes. */
export function decoderFor(head: Uint8Array): LayerDecoder | undefined {
  return LAYER_DECODERS.find((decoder) => decoder.detect(head));
}

/** The next `length` bytes of `reader` as a child's stream, left out of the layer's raw scan. */
function sliceOf(reader: ByteReader, raw: RawLayerScan, length: number): ByteReader {
  raw.skip(reader.consumed, reader.consumed + length);
  return new ByteReader(reader.take(length));
}

/** One buffer as the chunk stream a ByteReader reads. */
async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(bytes);
}

/**
 * The ports of a leaf's detectors: an archive a text decoder finds (base64 of
 * a .tar.gz, hex of a gzip) is walked here as a stream one layer down (depth,
 * member `(base64)`, its gaps in `context`), and text limits are gaps.
 */
export function decodedStreamPorts(context: StreamContext): DecodedStreamPorts {
  return {
    opens: (bytes) => decoderFor(bytes.subarray(0, HEAD_BYTES)) !== undefined,
    async walk(bytes, encoding) {
      const inner: StreamContext = { ...nested(context, `(${encoding})`), findings: [] as Finding[] };
      await scanLayers(new ByteReader(once(bytes)), inner);
      return inner.findings;
    },
    limit: (reason) => {
      addGap(context, reason);
    },
  };
}

/** The window scanner of a leaf stream that is scanned: hits are findings of `context`. */
export function leafScanner(context: StreamContext): WindowScanner {
  return new WindowScanner(context.matcher, (hit) => addHit(context, hit), decodedStreamPorts(context));
}

/** Ports for a rewrite: only whether an embedded archive holds a secret matters (the scan before reported its gaps). */
function rewritePorts(context: RewriteContext): DecodedStreamPorts {
  return decodedStreamPorts({ ...context, path: "", linkedPaths: undefined, findings: [], gaps: [] });
}

/**
 * Feeds the rest of `reader` through one window scanner (the detectors), with
 * bounded memory. When scanning (no sink), the bytes read before damage are
 * scanned too: a finding there is real, the damage is the caller's gap.
 */
async function walkLeaf(reader: ByteReader, scanner: WindowScanner, scanBeforeDamage = false): Promise<void> {
  try {
    try {
      for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) await scanner.push(chunk);
    } catch (error) {
      if (scanBeforeDamage) await scanner.finish();
      throw error;
    }
    await scanner.finish();
  } finally {
    scanner.release();
  }
}

/**
 * Scans one stream: a layer a decoder detects is opened (depth permitting,
 * else a gap) and each child walked the same way; plain bytes go to the
 * detectors. The layer's own raw bytes go to the detectors too (RawLayerScan),
 * except those it hands on verbatim. Findings and gaps land in `context`;
 * never throws for bad input.
 */
export async function scanLayers(reader: ByteReader, context: StreamContext): Promise<void> {
  const decoder = decoderFor(await reader.peek(HEAD_BYTES));
  if (decoder === undefined) return walkLeaf(reader, leafScanner(context), true);
  const raw = new RawLayerScan(context.matcher, (hit) => addHit(context, hit), decodedStreamPorts(context));
  raw.attach(reader);
  try {
    if (context.depth + 1 > context.maxDepth) {
      addGap(
        context,
        `nesting-depth-limit: ${decoder.kind} at depth ${context.depth + 1} exceeds maxDepth ${context.maxDepth}`,
      );
      await reader.drain();
      return;
    }
    countLayer(context, decoder.kind);
    await decoder.open(reader, context, {
      child: (child) => scanLayers(child.reader, nested(context, child.name)),
      slice: (length) => sliceOf(reader, raw, length),
      opens: (head) => decoderFor(head) !== undefined,
    });
  } finally {
    reader.observe(undefined);
    await raw.finish();
  }
}

/**
 * Writes a redacted copy of one stream to `out`, walking it as scanLayers
 * does: layers are rebuilt by their decoder, plain bytes get every secret the
 * detectors find overwritten with `X` (same length). Past `maxDepth` (where the
 * scan stopped with a gap) a stream is patched as plain bytes. Throws
 * `BACKUP_UNSUPPORTED_ARCHIVE` for a layer that cannot be rebuilt, and for a
 * secret in raw bytes the decoder copies (a tar header) rather than re-encodes.
 */
export async function rewriteLayers(reader: ByteReader, context: RewriteContext, out: ByteSink): Promise<void> {
  const opens = (head: Uint8Array, depth: number): LayerDecoder | undefined =>
    depth + 1 <= context.maxDepth ? decoderFor(head) : undefined;
  const decoder = opens(await reader.peek(HEAD_BYTES), context.depth);
  if (decoder === undefined)
    return walkLeaf(
      reader,
      new WindowScanner(
        context.matcher,
        () => undefined,
        rewritePorts(context),
        (chunk) => out.write(chunk),
      ),
    );
  if (decoder.rewrite === undefined)
    throw unsupportedArchive(`cannot redact inside a ${decoder.kind} layer (no rewriter for it)`);
  const raw = new RawLayerScan(context.matcher, () => undefined, rewritePorts(context));
  raw.attach(reader);
  try {
    await decoder.rewrite(reader, context, out, {
      child: (child, childOut) => rewriteLayers(child.reader, nested(context, child.name), childOut),
      slice: (length) => sliceOf(reader, raw, length),
      opens: (head) => opens(head, context.depth + 1) !== undefined,
    });
  } finally {
    reader.observe(undefined);
    await raw.finish();
  }
  if (raw.hits > 0 && decoder.reencodes !== true)
    throw unsupportedArchive(
      `cannot redact a secret in the ${decoder.kind} layer's own bytes (a header, not a member)`,
      {
        hint: "remove the file from the snapshot by hand, or restore it from a snapshot taken before the connection",
      },
    );
}

import { ByteReader } from "./byte-reader.js";
import { unsupportedArchive } from "./errors.js";
import { gzipLayer } from "./gzip-layer.js";
import type { ByteSink, LayerDecoder, RewriteContext } from "./layer-decoder.js";
import { addGap, addHit, nested, type StreamContext } from "./scan-context.js";
import type { Finding } from "./scan-types.js";
import { tarLayer } from "./tar-layer.js";
import { BLOCK } from "./tar-header.js";
import { WindowScanner, type DecodedStreamPorts } from "./window-scanner.js";

/**
 * Every layer format the walk opens, tried in this order on the head of each
 * stream (a file, a member, a decoded stream). A new decoder goes here and
 * nowhere else: scan and redact both walk this list (see LayerDecoder).
 */
export const LAYER_DECODERS: readonly LayerDecoder[] = [gzipLayer, tarLayer];

/** How many bytes of a stream the decoders' `detect` sees: one tar header block. */
export const HEAD_BYTES = BLOCK;

/** The decoder that opens a stream starting with `head`, or undefined for plain bytes. */
export function decoderFor(head: Uint8Array): LayerDecoder | undefined {
  return LAYER_DECODERS.find((decoder) => decoder.detect(head));
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

/** Feeds the rest of `reader` through one window scanner (the detectors), with bounded memory. */
async function walkLeaf(reader: ByteReader, scanner: WindowScanner): Promise<void> {
  try {
    for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) await scanner.push(chunk);
    await scanner.finish();
  } finally {
    scanner.release();
  }
}

/**
 * Scans one stream: a layer a decoder detects is opened (depth permitting,
 * else a gap) and each child walked the same way; plain bytes go to the
 * detectors. Findings and gaps land in `context`; never throws for bad input.
 */
export async function scanLayers(reader: ByteReader, context: StreamContext): Promise<void> {
  const decoder = decoderFor(await reader.peek(HEAD_BYTES));
  if (decoder === undefined) return walkLeaf(reader, leafScanner(context));
  if (context.depth + 1 > context.maxDepth) {
    addGap(
      context,
      `nesting-depth-limit: ${decoder.kind} at depth ${context.depth + 1} exceeds maxDepth ${context.maxDepth}`,
    );
    return void (await reader.drain());
  }
  await decoder.open(reader, context, {
    child: (child) => scanLayers(child.reader, nested(context, child.name)),
    opens: (head) => decoderFor(head) !== undefined,
  });
}

/**
 * Writes a redacted copy of one stream to `out`, walking it as scanLayers
 * does: layers are rebuilt by their decoder, plain bytes get every secret the
 * detectors find overwritten with `X` (same length). Past `maxDepth` (where the
 * scan stopped with a gap) a stream is patched as plain bytes. Throws
 * `BACKUP_UNSUPPORTED_ARCHIVE` for a layer that cannot be rebuilt.
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
        // Only whether an embedded archive holds a secret matters here: the scan before the rewrite reported its gaps.
        decodedStreamPorts({ ...context, path: "", linkedPaths: undefined, findings: [], gaps: [] }),
        (chunk) => out.write(chunk),
      ),
    );
  if (decoder.rewrite === undefined)
    throw unsupportedArchive(`cannot redact inside a ${decoder.kind} layer (no rewriter for it)`);
  await decoder.rewrite(reader, context, out, {
    child: (child, childOut) => rewriteLayers(child.reader, nested(context, child.name), childOut),
    opens: (head) => opens(head, context.depth + 1) !== undefined,
  });
}

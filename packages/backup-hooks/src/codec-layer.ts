import { once } from "node:events";
import { Readable, type Duplex, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ByteReader } from "./byte-reader.js";
import { unsupportedArchive } from "./errors.js";
import type { ByteSink, LayerDecoder } from "./layer-decoder.js";
import { addGap } from "./scan-context.js";
import type { ScanLimits } from "./scan-types.js";

export const INFLATE_CHUNK = 256 * 1024;
const INFLATE_BUFFER = 16 * 1024 * 1024;
/** A rewrite is paced by the encoder, which is slower than the decoder: a deep buffer would only fill up. */
const REWRITE_INFLATE_BUFFER = INFLATE_CHUNK;

class InflateLimitError extends Error {}

/** How one inflation ended: `limit` when a bomb limit stopped it, `error` for damage (or a failure of the consumer). */
interface InflateOutcome {
  readonly inflated: number;
  readonly limit?: string;
  readonly error?: unknown;
}

/**
 * Decodes the rest of `reader` through `decoder` and hands the decoded bytes
 * to `consume` as one stream, stopping at the bomb limits of `limits`. zlib
 * runs on the libuv pool and the CLI codecs in their own process: the stream
 * decodes on another core while the main thread scans, and a deep output
 * buffer keeps it decoding while the main thread is busy.
 */
async function inflate(
  reader: ByteReader,
  limits: ScanLimits,
  decoder: Duplex,
  consume: (inflated: ByteReader) => Promise<void>,
): Promise<InflateOutcome> {
  const { maxInflatedBytes, maxInflateRatio, ratioCheckAfterBytes } = limits;
  let compressed = 0;
  let inflated = 0;
  let limit: string | undefined;
  const input = Readable.from(
    (async function* counted() {
      for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) {
        compressed += chunk.length;
        yield chunk;
      }
    })(),
    { objectMode: false, highWaterMark: INFLATE_CHUNK },
  );
  // pipeline() rejects as soon as a stream fails, while the consumer may still be scanning what it already
  // took: the outcome waits for it, so nothing it finds arrives after the file's scan has ended.
  let consumed: Promise<void> | undefined;
  try {
    await pipeline(input, decoder, async (chunks: AsyncIterable<Buffer>) => {
      const limited = (async function* checked() {
        for await (const chunk of chunks) {
          inflated += chunk.length;
          if (inflated > maxInflatedBytes) limit = `inflated size over ${maxInflatedBytes} bytes`;
          else if (inflated > ratioCheckAfterBytes && inflated > compressed * maxInflateRatio)
            limit = `inflate ratio over ${maxInflateRatio}:1 (a bomb?)`;
          if (limit !== undefined) throw new InflateLimitError(limit);
          yield chunk;
        }
      })();
      consumed = consume(new ByteReader(limited));
      await consumed;
    });
    return { inflated };
  } catch (error) {
    await consumed?.catch(() => undefined);
    // pipeline() may reject with its own AbortError once our limit stopped it: the limit is what happened.
    return limit === undefined ? { inflated, error } : { inflated, limit };
  }
}

/** Decoders' own errors: zlib's carry a `Z_` code (`Z_BUF_ERROR` for a damaged trailer), a codec process's CODEC_FAILED. */
function isDamage(error: unknown): error is Error & { code: string } {
  return error instanceof Error && /^(Z_[A-Z_]+|CODEC_FAILED)$/.test(String((error as { code?: unknown }).code));
}

function isUnavailable(error: unknown): error is Error & { code: string } {
  return error instanceof Error && (error as { code?: unknown }).code === "CODEC_UNAVAILABLE";
}

function errorText(error: unknown): string {
  return `${(error as NodeJS.ErrnoException).code ?? "error"} ${(error as Error).message}`;
}

/** A writable as a sink: waits for `drain` when its buffer is full. */
function writableSink(stream: Writable): ByteSink {
  return {
    async write(chunk) {
      if (!stream.write(chunk)) await once(stream, "drain");
    },
  };
}

function isPrematureClose(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ERR_STREAM_PREMATURE_CLOSE";
}

/** A compression format: how to recognise it, and the streams that decode and re-encode it. */
export interface Codec {
  readonly kind: string;
  detect(head: Uint8Array): boolean;
  /** A fresh decoding stream; `outputBuffer` is how far it may run ahead of the consumer. */
  decoder(outputBuffer: number): Duplex;
  /** A fresh encoding stream for the rewrite (same format), or undefined when the format cannot be re-encoded. */
  encoder?(): Duplex;
}

/**
 * A layer of one compressed stream (gzip, zlib, xz, zstd, bzip2): the decoded
 * bytes are its single unnamed child, with the bomb limits; damage is a
 * `corrupt-<kind>` gap, a missing decoder program a `decoder-unavailable` gap.
 * The rewrite decodes, rewrites and re-encodes as one stream: no decoded copy
 * ever touches the disk.
 */
export function codecLayer(codec: Codec): LayerDecoder {
  const { kind } = codec;
  const open: LayerDecoder["open"] = async (reader, context, walk) => {
    const outcome = await inflate(reader, context.limits, codec.decoder(INFLATE_BUFFER), (decoded) =>
      walk.child({ reader: decoded }),
    );
    if (outcome.limit !== undefined)
      addGap(context, `${kind}-inflate-limit: ${outcome.limit}; stopped after ${outcome.inflated} bytes`);
    else if (isUnavailable(outcome.error)) addGap(context, `decoder-unavailable: ${outcome.error.message}`);
    else if (outcome.error !== undefined) addGap(context, `corrupt-${kind}: ${errorText(outcome.error)}`);
    await reader.drain();
  };
  const encoder = codec.encoder?.bind(codec);
  if (encoder === undefined) return { kind, detect: codec.detect.bind(codec), open };
  return {
    kind,
    detect: codec.detect.bind(codec),
    reencodes: true,
    open,
    rewrite: (reader, context, out, walk) =>
      rewriteCodec(kind, codec.decoder(REWRITE_INFLATE_BUFFER), encoder(), reader, context, out, walk),
  };
}

async function rewriteCodec(
  kind: string,
  decoder: Duplex,
  encoder: Duplex,
  ...[reader, context, out, walk]: Parameters<NonNullable<LayerDecoder["rewrite"]>>
): Promise<void> {
  // Settled from the start: a sink failing while the decoding side still runs must not be an unhandled rejection.
  const encoded = Promise.allSettled([
    pipeline(encoder, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await out.write(chunk);
    }),
  ]).then(([settled]) => settled);
  const outcome = await inflate(reader, context.limits, decoder, async (decoded) => {
    await walk.child({ reader: decoded }, writableSink(encoder));
    encoder.end();
  });
  if (outcome.limit === undefined && outcome.error === undefined) {
    const encode = await encoded;
    if (encode.status === "rejected") throw encode.reason;
    return;
  }
  const failure =
    outcome.limit !== undefined
      ? unsupportedArchive(`a ${kind} stream decodes past its limit (${outcome.limit}); not redacted`, {
          hint: "inspect the archive by hand (it may be a compression bomb) or raise limits.maxInflatedBytes / maxInflateRatio",
        })
      : isDamage(outcome.error) || isUnavailable(outcome.error)
        ? unsupportedArchive(
            `cannot redact a damaged ${kind} stream (${outcome.error.code}: ${outcome.error.message})`,
            {
              cause: outcome.error,
            },
          )
        : outcome.error;
  encoder.destroy(failure instanceof Error ? failure : undefined);
  // The encoding side fails with our own failure (we just destroyed it), or first, with what made the decoding side stop.
  const encode = await encoded;
  throw encode.status === "rejected" && encode.reason !== failure && !isPrematureClose(encode.reason)
    ? encode.reason
    : failure;
}

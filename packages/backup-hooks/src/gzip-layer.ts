import { once } from "node:events";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip, type ZlibOptions } from "node:zlib";
import { ByteReader } from "./byte-reader.js";
import { unsupportedArchive } from "./errors.js";
import type { ByteSink, LayerDecoder } from "./layer-decoder.js";
import { addGap } from "./scan-context.js";
import type { ScanLimits } from "./scan-types.js";

const INFLATE_CHUNK = 256 * 1024;
const INFLATE_BUFFER = 16 * 1024 * 1024;
/** A rewrite is paced by deflate, which is slower than inflate: a deep buffer would only fill up. */
const REWRITE_INFLATE_BUFFER = INFLATE_CHUNK;

class InflateLimitError extends Error {}

/** How one inflation ended: `limit` when a bomb limit stopped it, `error` for damage (or a failure of the consumer). */
interface InflateOutcome {
  readonly inflated: number;
  readonly limit?: string;
  readonly error?: unknown;
}

/**
 * Inflates the rest of `reader` and hands the inflated bytes to `consume` as
 * one stream, stopping at the bomb limits of `limits`. zlib runs on the libuv
 * pool: this stream inflates on one core while the main thread scans other
 * files, and a deep output buffer keeps it inflating while the main thread is busy.
 */
async function inflate(
  reader: ByteReader,
  limits: ScanLimits,
  consume: (inflated: ByteReader) => Promise<void>,
  outputBuffer = INFLATE_BUFFER,
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
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: outputBuffer } as ZlibOptions);
  try {
    await pipeline(input, gunzip, async (chunks: AsyncIterable<Buffer>) => {
      const limited = (async function* checked() {
        for await (const chunk of chunks) {
          inflated += chunk.length;
          if (inflated > maxInflatedBytes) limit = `inflated size over ${maxInflatedBytes} bytes`;
          else if (inflated > ratioCheckAfterBytes && inflated > compressed * maxInflateRatio)
            limit = `inflate ratio over ${maxInflateRatio}:1 (gzip bomb?)`;
          if (limit !== undefined) throw new InflateLimitError(limit);
          yield chunk;
        }
      })();
      await consume(new ByteReader(limited));
    });
    return { inflated };
  } catch (error) {
    // pipeline() may reject with its own AbortError once our limit stopped it: the limit is what happened.
    return limit === undefined ? { inflated, error } : { inflated, limit };
  }
}

/** zlib's own errors (`Z_BUF_ERROR` for a damaged trailer, `Z_DATA_ERROR`, …) carry a `Z_` code. */
function isZlibError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && /^Z_[A-Z_]+$/.test(String((error as { code?: unknown }).code));
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

/** gzip (RFC 1952): magic 1f 8b and the deflate method. Concatenated members inflate as one stream. */
export const gzipLayer: LayerDecoder = {
  kind: "gzip",
  detect: (head) => head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08,

  async open(reader, context, walk) {
    const outcome = await inflate(reader, context.limits, (inflated) => walk.child({ reader: inflated }));
    if (outcome.limit !== undefined)
      addGap(context, `gzip-inflate-limit: ${outcome.limit}; stopped after ${outcome.inflated} bytes`);
    else if (outcome.error !== undefined) addGap(context, `corrupt-gzip: ${errorText(outcome.error)}`);
    await reader.drain();
  },

  /** Inflate, rewrite and deflate run as one stream: no inflated copy ever touches the disk. */
  async rewrite(reader, context, out, walk) {
    const gzip = createGzip();
    // Settled from the start: a sink failing while the inflate side still runs must not be an unhandled rejection.
    const deflated = Promise.allSettled([
      pipeline(gzip, async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) await out.write(chunk);
      }),
    ]).then(([settled]) => settled);
    const outcome = await inflate(
      reader,
      context.limits,
      async (inflated) => {
        await walk.child({ reader: inflated }, writableSink(gzip));
        gzip.end();
      },
      REWRITE_INFLATE_BUFFER,
    );
    if (outcome.limit === undefined && outcome.error === undefined) {
      const deflate = await deflated;
      if (deflate.status === "rejected") throw deflate.reason;
      return;
    }
    const failure =
      outcome.limit !== undefined
        ? unsupportedArchive(`a gzip stream inflates past its limit (${outcome.limit}); not redacted`, {
            hint: "inspect the archive by hand (it may be a gzip bomb) or raise limits.maxInflatedBytes / maxInflateRatio",
          })
        : isZlibError(outcome.error)
          ? unsupportedArchive(
              `cannot redact a damaged gzip stream (${outcome.error.code}: ${outcome.error.message})`,
              { cause: outcome.error },
            )
          : outcome.error;
    gzip.destroy(failure instanceof Error ? failure : undefined);
    // The deflate side fails with our own failure (we just destroyed it), or first, with what made the inflate side stop.
    const deflate = await deflated;
    throw deflate.status === "rejected" && deflate.reason !== failure && !isPrematureClose(deflate.reason)
      ? deflate.reason
      : failure;
  },
};

function isPrematureClose(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ERR_STREAM_PREMATURE_CLOSE";
}

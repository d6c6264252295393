import { createInflateRaw, type InflateRaw } from "node:zlib";
import { ByteReader } from "./byte-reader.js";
import type { ScanLimits } from "./scan-types.js";

/** Input is fed in pieces this small: zlib inflates a piece whole, so a bomb's output per piece stays bounded. */
const FEED = 16 * 1024;

/** A raw deflate stream stopped: `limit` for a bomb limit, `error` for damage or a truncated stream. */
export interface DeflateOutcome {
  readonly compressed: number;
  readonly inflated: number;
  readonly limit?: string;
  readonly error?: unknown;
}

class DeflateLimitError extends Error {}

function writeChunk(inflater: InflateRaw, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    inflater.write(chunk, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/**
 * Inflates one raw deflate stream (RFC 1951) that starts at `reader` and
 * whose length nothing tells (a zip member with a data descriptor): the
 * stream ends itself, and zlib's count of consumed input (`bytesWritten`)
 * says where, so the bytes fed past its end are put back on `reader`. The
 * inflated bytes go to `consume` as one stream, within the bomb limits.
 */
export async function inflateMember(
  reader: ByteReader,
  limits: ScanLimits,
  consume: (inflated: ByteReader) => Promise<void>,
): Promise<DeflateOutcome> {
  const inflater = createInflateRaw();
  let fed = 0;
  let inflated = 0;
  let limit: string | undefined;
  const limited = (async function* checked() {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > limits.maxInflatedBytes) limit = `inflated size over ${limits.maxInflatedBytes} bytes`;
      else if (inflated > limits.ratioCheckAfterBytes && inflated > fed * limits.maxInflateRatio)
        limit = `inflate ratio over ${limits.maxInflateRatio}:1 (a bomb?)`;
      if (limit !== undefined) throw new DeflateLimitError(limit);
      yield chunk;
    }
  })();
  // Settled at once: the consumer runs while we feed, and its failure must not be an unhandled rejection.
  const consumed = Promise.allSettled([consume(new ByteReader(limited))]).then(([settled]) => {
    // A consumer that stopped (a limit, its own failure) reads no more: the feeding must not wait on a full buffer.
    if (settled.status === "rejected") inflater.destroy();
    return settled;
  });
  let feedError: unknown;
  try {
    feeding: for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) {
      for (let offset = 0; offset < chunk.length; offset += FEED) {
        const piece = chunk.subarray(offset, offset + FEED);
        fed += piece.length;
        await writeChunk(inflater, piece);
        if (inflater.bytesWritten < fed) {
          // The stream ended inside this piece: what follows it belongs to the container.
          reader.unread(chunk.subarray(offset + piece.length - (fed - inflater.bytesWritten)));
          fed = inflater.bytesWritten;
          break feeding;
        }
      }
    }
    inflater.end();
  } catch (error) {
    feedError = error;
    inflater.destroy(error instanceof Error ? error : undefined);
  }
  const settled = await consumed;
  const error: unknown = feedError ?? (settled.status === "rejected" ? (settled.reason as unknown) : undefined);
  if (limit !== undefined) return { compressed: fed, inflated, limit };
  return error === undefined ? { compressed: fed, inflated } : { compressed: fed, inflated, error };
}

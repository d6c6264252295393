import { Readable } from "node:stream";
import type { ByteSink } from "../layer-decoder.js";

function* slices(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** `bytes` as a stream of `size`-byte chunks (the last one shorter), the way a read stream delivers a file. */
export function chunkStream(bytes: Buffer, size: number): Readable {
  return Readable.from(slices(bytes, size));
}

/** A sink that keeps what the walk writes, in order (each chunk copied: the walk may reuse its buffers). */
export function memorySink(): ByteSink & { bytes(): Buffer } {
  const chunks: Buffer[] = [];
  return {
    write(chunk) {
      chunks.push(Buffer.from(chunk));
      return Promise.resolve();
    },
    bytes: () => Buffer.concat(chunks),
  };
}

import { constants, createDeflate, createInflate, inflateSync, type ZlibOptions } from "node:zlib";
import { codecLayer, INFLATE_CHUNK } from "./codec-layer.js";

/** How much a trial inflation of a head may produce: enough to tell a zlib stream from noise. */
const TRIAL_OUTPUT = 64 * 1024;

/**
 * A zlib header (RFC 1950) of the kinds zlib writes: 0x78 (deflate, 32 KiB
 * window), a level byte of 01/5e/9c/da with a valid FCHECK and no preset
 * dictionary. Two bytes match random data once in 16 000 heads, so the head
 * must also inflate without an error as far as it goes (random deflate fails
 * within a few bytes: a bad block type, a distance too far back).
 */
function looksLikeZlib(head: Uint8Array): boolean {
  if (head.length < 3 || head[0] !== 0x78) return false;
  const level = head[1];
  if (level !== 0x01 && level !== 0x5e && level !== 0x9c && level !== 0xda) return false;
  try {
    inflateSync(head, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: TRIAL_OUTPUT });
    return true;
  } catch (error) {
    // Over the trial output: it inflates that far without an error (a compressible stream, or a bomb: the walk's limits decide).
    return (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
  }
}

/** zlib (RFC 1950): git loose objects (`blob N\0…`), PDF and PNG streams, application blobs. */
export const zlibLayer = codecLayer({
  kind: "zlib",
  detect: looksLikeZlib,
  decoder: (outputBuffer) =>
    createInflate({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: outputBuffer } as ZlibOptions),
  encoder: () => createDeflate(),
});

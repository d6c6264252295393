import { createGunzip, createGzip, type ZlibOptions } from "node:zlib";
import { codecLayer, INFLATE_CHUNK } from "./codec-layer.js";

/**
 * gzip (RFC 1952): magic 1f 8b and the deflate method, whatever the header
 * carries (FNAME, FCOMMENT, FEXTRA, FHCRC: zlib parses them; the raw scan reads
 * them). Concatenated members inflate as one stream. The rewrite writes a
 * plain gzip header: the name and comment fields do not survive it.
 */
export const gzipLayer = codecLayer({
  kind: "gzip",
  detect: (head) => head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08,
  decoder: (outputBuffer) =>
    createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: outputBuffer } as ZlibOptions),
  encoder: () => createGzip(),
});

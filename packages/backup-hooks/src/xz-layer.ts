import { codecLayer } from "./codec-layer.js";
import { codecProcess } from "./process-codec.js";

/**
 * xz and lzma-alone through the real `xz` (Node 20's zlib has neither, and no
 * maintained npm package decodes lzma-alone as a stream or encodes either: see
 * docs/backup.md). The decoder's memory is capped: a stream that asks for more
 * fails, which is a gap.
 */
const MEMORY_LIMIT = "--memlimit-decompress=256MiB";
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** The `.xz` stream header: its magic and a stream-flags byte pair with the reserved bits zero. */
function looksLikeXz(head: Uint8Array): boolean {
  return head.length >= 8 && XZ_MAGIC.every((byte, index) => head[index] === byte) && head[6] === 0;
}

/**
 * The `.lzma` (lzma-alone) header: a properties byte (lc+lp+pb as xz and
 * 7-Zip write them, lc+lp ≤ 4), a dictionary size of 2^n or 2^n + 2^(n-1)
 * (what every encoder writes), and an uncompressed size that is unknown
 * (all ones) or under 2^40. It has no magic: these fields are it.
 */
function looksLikeLzma(head: Uint8Array): boolean {
  if (head.length < 13) return false;
  const properties = head[0] ?? 0xff;
  if (properties >= 9 * 5 * 5) return false;
  const lc = properties % 9;
  const lp = Math.floor(properties / 9) % 5;
  if (lc + lp > 4) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dictionary = view.getUint32(1, true);
  const isDictionary = Array.from({ length: 20 }, (_, index) => 2 ** (index + 12)).some(
    (power) => dictionary === power || dictionary === power + power / 2,
  );
  if (!isDictionary) return false;
  const sizeLow = view.getUint32(5, true);
  const sizeHigh = view.getUint32(9, true);
  return (sizeLow === 0xffffffff && sizeHigh === 0xffffffff) || sizeHigh < 0x100;
}

const xz = (args: readonly string[]): ReturnType<typeof codecProcess> =>
  codecProcess({ program: "xz", args: [...args, "-q", "-T1"], debianPackage: "xz-utils" });

export const xzLayer = codecLayer({
  kind: "xz",
  detect: looksLikeXz,
  decoder: () => xz(["--format=xz", "-dc", MEMORY_LIMIT]),
  encoder: () => xz(["--format=xz", "-c"]),
});

export const lzmaLayer = codecLayer({
  kind: "lzma",
  detect: looksLikeLzma,
  decoder: () => xz(["--format=lzma", "-dc", MEMORY_LIMIT]),
  encoder: () => xz(["--format=lzma", "-c"]),
});

import { codecLayer } from "./codec-layer.js";
import { codecProcess } from "./process-codec.js";

/**
 * bzip2 through the real `bzip2` (no npm decoder is maintained, none encodes):
 * `BZh`, a block size digit, and the magic of a first block (π) or of an empty
 * stream's end (√π). Concatenated streams decode as one, as `bzip2 -dc` does.
 */
const BLOCK_MAGIC = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const END_MAGIC = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

function looksLikeBzip2(head: Uint8Array): boolean {
  if (head.length < 10 || head[0] !== 0x42 || head[1] !== 0x5a || head[2] !== 0x68) return false;
  const blockSize = head[3] ?? 0;
  if (blockSize < 0x31 || blockSize > 0x39) return false;
  const magic = head.subarray(4, 10);
  return [BLOCK_MAGIC, END_MAGIC].some((expected) => expected.every((byte, index) => magic[index] === byte));
}

const bzip2 = (args: readonly string[]): ReturnType<typeof codecProcess> =>
  codecProcess({ program: "bzip2", args: [...args, "-q"], debianPackage: "bzip2" });

export const bzip2Layer = codecLayer({
  kind: "bzip2",
  detect: looksLikeBzip2,
  decoder: () => bzip2(["-dc"]),
  encoder: () => bzip2(["-c"]),
});

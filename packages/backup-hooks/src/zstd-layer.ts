import { codecLayer } from "./codec-layer.js";
import { codecProcess } from "./process-codec.js";

/**
 * zstd through the real `zstd` (Node's zlib has it only from 22.15; fzstd
 * decodes but cannot encode, and a rewrite must): frames and skippable frames
 * concatenated, as `zstd -dc` reads them. Its default window limit (128 MiB)
 * stands: a frame that needs more is a gap.
 */
const zstd = (args: readonly string[]): ReturnType<typeof codecProcess> =>
  codecProcess({ program: "zstd", args: [...args, "-q", "--no-progress"], debianPackage: "zstd" });

/** A zstd frame (magic 28 b5 2f fd, the descriptor's reserved bit clear) or a skippable frame (50–5f 2a 4d 18). */
function looksLikeZstd(head: Uint8Array): boolean {
  if (head.length < 5) return false;
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return ((head[4] ?? 0xff) & 0x08) === 0;
  return (
    ((head[0] ?? 0) & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18 && head.length >= 8
  );
}

export const zstdLayer = codecLayer({
  kind: "zstd",
  detect: looksLikeZstd,
  decoder: () => zstd(["-dc"]),
  encoder: () => zstd(["-c"]),
});

import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { ByteReader } from "./byte-reader.js";
import type { ByteSink, RewriteContext } from "./layer-decoder.js";
import { rewriteLayers } from "./layer-walk.js";

const READ_CHUNK = 1024 * 1024;

function fileSink(handle: FileHandle): ByteSink {
  return {
    async write(chunk) {
      await handle.write(chunk);
    },
  };
}

/**
 * Writes a redacted copy of `input` to `output` (a new file, mode 0600),
 * through the same layer walk as the scan: gzip streams are inflated, rewritten
 * and deflated again as one stream, tar archives rebuilt member by member,
 * plain bytes patched in place. Memory stays bounded; no unredacted byte is
 * written anywhere. Throws `BACKUP_UNSUPPORTED_ARCHIVE` for a layer it cannot rebuild.
 */
export async function rewriteFile(input: string, output: string, context: RewriteContext): Promise<void> {
  const source = await open(input, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const out = await open(
      output,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await rewriteLayers(
        new ByteReader(source.createReadStream({ autoClose: false, highWaterMark: READ_CHUNK })),
        context,
        fileSink(out),
      );
      await out.sync();
    } finally {
      await out.close();
    }
  } finally {
    await source.close();
  }
}

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, unlink } from "node:fs/promises";

/** Overwrites a regular file with random bytes, fsyncs and unlinks it; returns its size. */
export async function shredFile(path: string): Promise<number> {
  const handle = await open(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  let size = 0;
  try {
    size = (await handle.stat()).size;
    if (size > 0) await handle.write(randomBytes(size), 0, size, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await unlink(path);
  return size;
}

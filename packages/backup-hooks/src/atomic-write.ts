import { constants } from "node:fs";
import { link, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Minimal durable write (ARCHITECTURE.md invariant 3) until credential-vault
 * exports its own: temp file O_EXCL, fsync, rename, fsync of the directory.
 */
export async function atomicWriteFile(path: string, bytes: Uint8Array, options: { mode: number }): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode);
  try {
    await handle.writeFile(bytes);
    await handle.chmod(options.mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await replaceWith(temp, [path]);
}

/** fsyncs a directory so a rename in it survives a crash. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Renames a finished (fsynced) temp file onto each target. Several targets
 * (hard links of one file inside the same snapshot) get links of the new file,
 * so they stay linked to each other; the old inode, shared with other
 * snapshots, is never written.
 */
export async function replaceWith(temp: string, targets: readonly string[]): Promise<void> {
  const directories = new Set<string>();
  try {
    for (const target of targets) {
      const staged = `${target}.${randomBytes(6).toString("hex")}.new`;
      await link(temp, staged);
      await rename(staged, target);
      directories.add(dirname(target));
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  directories.add(dirname(temp));
  for (const directory of directories) await syncDirectory(directory);
}

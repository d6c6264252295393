import { syncDirectory } from "@connect-ops/credential-vault";
import { randomBytes } from "node:crypto";
import { link, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

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

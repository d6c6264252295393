import { readdir, rename, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory } from "./atomic-write.js";
import { VAULT_FILES } from "./layout.js";
import { shreddingName, shredFile } from "./shred-file.js";

const PENDING = ".pending";

export interface RemovedFile {
  readonly path: string;
  readonly bytes: number;
}

/**
 * Overwrites every file of the vault with random bytes, fsyncs, unlinks it,
 * removes the directory and fsyncs its parent. Returns what it removed.
 * Overwriting is best effort on SSDs and journaling filesystems; the real
 * guarantee is that the identity that opens the sealed file is destroyed too.
 */
export async function destroyVaultDir(dir: string): Promise<RemovedFile[]> {
  const removed: RemovedFile[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return removed;
    throw error;
  }
  // The metas go aside first, each in one rename: shredding overwrites in place, and a
  // kill between the overwrite and the unlink must not leave a meta.json of random
  // bytes (every reader would take the vault for damaged, not for being destroyed).
  const doomed: { readonly path: string; readonly reported: string }[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (name !== VAULT_FILES.meta && name !== VAULT_FILES.meta + PENDING) doomed.push({ path, reported: path });
    else {
      const aside = shreddingName(path);
      await rename(path, aside);
      doomed.push({ path: aside, reported: path });
    }
  }
  await syncDirectory(dir);
  for (const { path, reported } of doomed) removed.push({ path: reported, bytes: await shredFile(path) });
  await syncDirectory(dir);
  await rmdir(dir);
  await syncDirectory(join(dir, ".."));
  return removed;
}

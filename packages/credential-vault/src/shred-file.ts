import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const ASIDE_SUFFIX = ".destroying";

/** The name a file is shredded under (`.NAME.destroying` beside it); a name of that form is its own. */
export function shreddingName(path: string): string {
  const name = basename(path);
  return isShreddingName(name) ? path : join(dirname(path), `.${name}${ASIDE_SUFFIX}`);
}

/** Whether a directory entry is a file a killed shred left aside (`.NAME.destroying`). */
export function isShreddingName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(ASIDE_SUFFIX) && name.length > 1 + ASIDE_SUFFIX.length;
}

export interface ShredSteps {
  /** Called after each step, for the crash harness: `aside` (renamed), `overwritten` (random bytes fsynced). */
  readonly onStep?: (step: "aside" | "overwritten") => void;
}

/**
 * Shreds a regular file: renames it aside to `.NAME.destroying` (one rename),
 * overwrites it with random bytes, fsyncs and unlinks it; returns its size.
 * The rename comes first so a kill between the overwrite and the unlink never
 * leaves random bytes under the file's own name (every reader would take the
 * file for damaged, not for being destroyed, and refuse to start). A call for
 * a file a killed run left aside finishes it; a file gone under both names
 * throws ENOENT (`ignoreMissing` reads that as destroyed already). Refuses a
 * symbolic link (ELOOP) or anything not a regular file (EISDIR) without moving it.
 */
export async function shredFile(path: string, steps: ShredSteps = {}): Promise<number> {
  const aside = shreddingName(path);
  if (aside !== path) {
    const entry = await lstat(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    });
    if (entry === undefined) {
      await lstat(aside); // ENOENT when neither name exists: destroyed already
    } else {
      if (!entry.isFile()) {
        const code = entry.isSymbolicLink() ? "ELOOP" : "EISDIR";
        throw Object.assign(new Error(`${code}: refusing to shred what is not a regular file, '${path}'`), {
          code,
          path,
        });
      }
      await rename(path, aside);
    }
    steps.onStep?.("aside");
  }
  return wipeInPlace(aside, steps);
}

/**
 * Overwrites a regular file where it is with random bytes of its length,
 * fsyncs and unlinks it; returns its size. For a caller that has already moved
 * the file aside under a name of its own (a second rename would leave a copy
 * under a name that caller does not know to finish). Never follows a link (ELOOP).
 */
export async function wipeInPlace(path: string, steps: ShredSteps = {}): Promise<number> {
  const handle = await open(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  let size = 0;
  try {
    size = (await handle.stat()).size;
    if (size > 0) await handle.write(randomBytes(size), 0, size, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  steps.onStep?.("overwritten");
  await unlink(path);
  return size;
}

import { realpath } from "node:fs/promises";
import { dirname } from "node:path";
import { BackupError } from "./errors.js";
import { unlessMissing } from "./fs-errors.js";
import { isInside } from "./tree-walk.js";

/**
 * Refuses a write target unless it is inside `root` and its directory is a
 * real directory (no symlinked directory on the way out of the snapshot).
 * `root` must already be a realpath. Throws `BACKUP_PATH_ESCAPE`.
 */
export async function assertWritableInside(root: string, path: string): Promise<void> {
  const parent = dirname(path);
  // A missing parent is no plain path inside the snapshot: refused below. Any other failure is thrown as it is.
  const realParent = await unlessMissing(realpath(parent));
  if (!isInside(root, path) || realParent !== parent || !isInside(root, realParent)) {
    throw new BackupError(
      "BACKUP_PATH_ESCAPE",
      `refusing to write ${path}: it is not a plain path inside the snapshot ${root}`,
      {
        category: "input",
        hint: "check the snapshot for symlinked directories or paths leading out of it; nothing was written",
        context: { path, snapshot: root },
      },
    );
  }
}

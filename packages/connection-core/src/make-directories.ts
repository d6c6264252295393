import { mkdirSync, statSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errnoCode, ignoreMissing } from "./errno.js";

/**
 * `mkdir -p` without Node's `{ recursive: true }`, which never returns for a
 * path under a directory that answers ENOENT to every mkdir (`/proc/nonexistent/x`:
 * libuv retries the parent forever, burning a core). Finds the nearest
 * existing ancestor, then creates each missing level once, with `mode`; the
 * first failure is thrown as the system error it is (ENOENT, EACCES, ENOTDIR,
 * EROFS…) for the caller to name. A level another process created meanwhile
 * is accepted when it is a directory.
 */
export async function makeDirectories(path: string, mode: number): Promise<void> {
  const missing: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const info = await ignoreMissing(stat(dir));
    if (info !== undefined) {
      if (!info.isDirectory()) throw notADirectory(dir);
      break;
    }
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir, { mode });
    } catch (error) {
      if (errnoCode(error) !== "EEXIST" || !(await stat(dir)).isDirectory()) throw error;
    }
  }
}

/** The synchronous twin of {@link makeDirectories}, for the few callers that cannot await. */
export function makeDirectoriesSync(path: string, mode: number): void {
  const missing: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const info = statSync(dir, { throwIfNoEntry: false });
    if (info !== undefined) {
      if (!info.isDirectory()) throw notADirectory(dir);
      break;
    }
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (error) {
      if (errnoCode(error) !== "EEXIST" || !statSync(dir).isDirectory()) throw error;
    }
  }
}

function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), {
    code: "ENOTDIR",
    errno: -20,
    syscall: "mkdir",
    path,
  });
}

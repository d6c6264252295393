import { lstat } from "node:fs/promises";
import { errnoCode, makeDirectories } from "@connect-ops/connection-core";
import { VaultError } from "./errors.js";

/**
 * Refuses a directory that another local user could tamper with: a symlink
 * (it could be re-pointed), group/world-writable, or owned by someone else.
 * Creates it with mode 0700 when `create` and it is missing.
 * Throws `VAULT_STATE_DIR_UNSAFE` (category `input`).
 */
export async function ensureSafeDirectory(path: string, { create = false } = {}): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || !create) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new VaultError("VAULT_NOT_INITIALISED", `${path} does not exist`, {
          category: "input",
          hint: "run `connect-ops init` first, or pass the right --state-dir",
          context: { path },
        });
      }
      throw unusable(path, error);
    }
    try {
      await makeDirectories(path, 0o700);
    } catch (mkdirError) {
      throw unusable(path, mkdirError);
    }
    stats = await lstat(path);
  }
  const unsafe = (reason: string, hint: string) =>
    new VaultError("VAULT_STATE_DIR_UNSAFE", `refusing ${path}: ${reason}`, {
      category: "input",
      hint,
      context: { path },
    });
  if (stats.isSymbolicLink()) throw unsafe("it is a symbolic link", "point --state-dir at the real directory");
  if (!stats.isDirectory()) throw unsafe("it is not a directory", "point --state-dir at a directory");
  if ((stats.mode & 0o022) !== 0) {
    throw unsafe("it is writable by group or others", `run \`chmod 700 ${path}\` and check nothing was planted in it`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw unsafe(
      `it is owned by uid ${stats.uid}, not by you (uid ${uid})`,
      "run connect-ops as the directory's owner",
    );
  }
}

/** A state dir that cannot be looked at or created (EACCES, EROFS, ENOTDIR…): the user's path or permissions, not a bug. */
function unusable(path: string, error: unknown): Error {
  const code = errnoCode(error);
  if (code === undefined) return error instanceof Error ? error : new Error(String(error));
  return new VaultError("VAULT_STATE_DIR_UNSAFE", `cannot use ${path} as the state dir (${code})`, {
    category: "input",
    hint:
      code === "EACCES" || code === "EPERM"
        ? "run as the user that owns the state dir's parent, or pass a --state-dir you can create"
        : "pass a --state-dir on a writable local file system",
    context: { path, errno: code },
    cause: error,
  });
}

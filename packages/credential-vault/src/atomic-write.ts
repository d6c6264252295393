import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { ignoreMissing, trackTemp } from "@connect-ops/connection-core";
import { lstat, open, readdir, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { VaultError } from "./errors.js";
import { removeAfterFailure, removeFileIfPresent } from "./remove-file.js";

/**
 * Named points inside a durable write, so tests can inject a failure (a
 * simulated crash) at each one and prove the old or the new file survives.
 */
export type WriteStep = "temp-created" | "temp-written" | "temp-synced" | "renamed" | "dir-synced";

/** Called before each step; throwing aborts the write exactly there. */
export type StepHook = (step: WriteStep, path: string) => void | Promise<void>;

export interface AtomicWriteOptions {
  readonly mode?: number;
  readonly onStep?: StepHook;
}

/** Length in hex digits of the random part of a temp name. */
const TEMP_ID_HEX = 12;

/** A fresh random id for a temp name (12 hex digits). */
export function newTempId(): string {
  return randomBytes(TEMP_ID_HEX / 2).toString("hex");
}

/**
 * The one temp-name scheme (issue 12): `.NAME.tmp-<12 hex>` beside the
 * target, so a directory listing finds leftovers and `isTempName` recognises
 * them wherever they were written (vault, journal, replicated node copies,
 * snapshots). Pass `id` to name a set of temps of one operation.
 */
export function tempNameFor(path: string, id: string = newTempId()): string {
  return join(dirname(path), `.${basename(path)}.tmp-${id}`);
}

/**
 * The same scheme as an sh glob, for the scripts that run on nodes (`for f in "$d"/GLOB`).
 * Explicit digit lists, not ranges: ranges in brackets depend on the locale.
 */
export const TEMP_NAME_GLOB = `.?*.tmp-${"[0123456789abcdef]".repeat(TEMP_ID_HEX)}`;

/**
 * Names earlier releases used and a crash may still have left on disk:
 * replication's node temps `.connect-ops-<hex>.NAME.tmp` and its known_hosts
 * writer's `.NAME.<12 hex>.tmp`. Recognised so sweeps and audits still find them.
 */
const LEGACY_TEMP_NAMES: readonly RegExp[] = [/^\.connect-ops-[0-9a-f]+\..+\.tmp$/, /^\..+\.[0-9a-f]{12}\.tmp$/];

/** Whether a directory entry is a temp file left by an interrupted atomic write (this scheme or a legacy one). */
export function isTempName(name: string): boolean {
  return /^\..+\.tmp-[0-9a-f]{12}$/.test(name) || LEGACY_TEMP_NAMES.some((legacy) => legacy.test(name));
}

/**
 * Removes the temp files an interrupted `atomicWriteFile` left in `dir`
 * (`.NAME.tmp-<12 hex>`, never renamed). Only plain files; anything else with
 * such a name is left alone. With `targets`, only the temps of those file
 * names (the state dir's ledgers, swept under the vault lock while other files
 * of the dir may be mid-write). Callers run it where no other writer of those
 * files is in flight (under the vault lock, or before their own write). A temp gone
 * meanwhile is fine; one that cannot be removed throws `VAULT_WRITE_FAILED`.
 */
export async function removeStaleTemps(dir: string, targets?: readonly string[]): Promise<void> {
  const prefixes = targets?.map((target) => `.${target}.tmp-`);
  for (const name of await readdir(dir)) {
    if (!isTempName(name)) continue;
    if (prefixes !== undefined && !prefixes.some((prefix) => name.startsWith(prefix))) continue;
    const path = join(dir, name);
    if ((await ignoreMissing(lstat(path)))?.isFile()) await removeFileIfPresent(path, "the leftover temp file");
  }
}

/** fsync a directory so a rename inside it survives power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `bytes` to `path` atomically and durably: a new temp file opened with
 * O_EXCL|O_NOFOLLOW (never reusing or following a planted name), fsync,
 * rename over the target, fsync of the directory. At any crash point the
 * target holds the old or the new bytes. Throws `VAULT_WRITE_FAILED` with the
 * errno code (ENOSPC, EACCES…) and removes its temp file on failure.
 */
export async function atomicWriteFile(
  path: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const step = options.onStep ?? (() => undefined);
  const temp = tempNameFor(path);
  let created = false;
  // A signal mid-write removes the temp before the process exits (connection-core temp-registry, issue 13.5).
  const untrack = trackTemp(temp);
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(temp, flags, options.mode ?? 0o600);
    created = true;
    try {
      await step("temp-created", temp);
      // open() applied the umask; the caller's mode is what the file must carry (a redacted 0644 stays 0644).
      await handle.chmod(options.mode ?? 0o600);
      await handle.writeFile(bytes);
      await step("temp-written", temp);
      await handle.sync();
      await step("temp-synced", temp);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    created = false;
    untrack();
    await step("renamed", path);
    await syncDirectory(dirname(path));
    await step("dir-synced", path);
  } catch (error) {
    const tempLeft = created ? await removeAfterFailure(temp) : undefined;
    untrack();
    if (error instanceof VaultError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error; // an injected fault or a bug: let it surface as it is
    const leftover =
      tempLeft === undefined ? "" : `; its temp file ${temp} could not be removed (${tempLeft}): delete it`;
    throw new VaultError("VAULT_WRITE_FAILED", `could not write ${path} (${code})${leftover}`, {
      category: "incomplete",
      hint:
        code === "ENOSPC"
          ? "free disk space and run the command again"
          : "check permissions of the directory and run again",
      context: { path, errno: code, ...(tempLeft === undefined ? {} : { tempLeft: temp }) },
      cause: error,
    });
  }
}

import { constants } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { ignoreMissing, systemClock } from "@connect-ops/connection-core";
import { VaultError } from "./errors.js";
import { removeAfterFailure, removeFileIfPresent } from "./remove-file.js";

export interface LockDeps {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Whether a process of this host is alive (signal 0). */
  readonly isProcessAlive: (pid: number) => boolean;
  readonly pid: number;
  readonly host: string;
}

export const defaultLockDeps: LockDeps = {
  now: () => systemClock.now(),
  sleep: (ms) => systemClock.sleep(ms),
  isProcessAlive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  },
  pid: process.pid,
  host: hostname(),
};

export interface LockOptions {
  /** How long to wait for another holder before failing with `VAULT_LOCKED`. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly deps?: Partial<LockDeps>;
}

/** A held lock; release it with `await using` or `release()`. */
export interface HeldLock extends AsyncDisposable {
  release(): Promise<void>;
}

/** A lock file whose writer died before writing its owner is stale after this long. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

interface LockOwner {
  pid: number;
  host: string;
  acquiredAt: string;
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  let created = false;
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(path, flags, 0o600);
    created = true;
    try {
      await handle.writeFile(JSON.stringify(owner));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && !created) return false;
    // A half-written lock (ENOSPC) would look held by nobody: remove it, and say what failed
    // (ENOSPC, EACCES) as a typed error instead of a bare errno (issue 8, fs hostility).
    const lockLeft = created ? await removeAfterFailure(path) : undefined;
    if (code === undefined) throw error;
    // A half-written lock left behind blocks the next run until it goes stale: say so.
    const leftover =
      lockLeft === undefined
        ? ""
        : `; the half-written lock file could not be removed (${lockLeft}): delete it once no connect-ops runs`;
    throw new VaultError("VAULT_WRITE_FAILED", `could not take the vault lock ${path} (${code})${leftover}`, {
      category: "incomplete",
      hint:
        code === "ENOSPC"
          ? "free disk space and run the command again"
          : "check permissions of the state dir and run the command again as its owner",
      context: { path, errno: code },
      cause: error,
    });
  }
}

async function readOwner(path: string): Promise<{ raw: string; owner: LockOwner | undefined } | undefined> {
  try {
    const raw = await readFile(path, "utf8");
    try {
      return { raw, owner: JSON.parse(raw) as LockOwner };
    } catch (error) {
      // An owner still being written (or torn) is unreadable, not an error: isStale decides on the file's age.
      if (error instanceof SyntaxError) return { raw, owner: undefined };
      throw error;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function isStale(path: string, current: { owner: LockOwner | undefined }, deps: LockDeps): Promise<boolean> {
  if (current.owner === undefined || typeof current.owner.pid !== "number") {
    const info = await ignoreMissing(stat(path)); // released meanwhile: not stale, the next try takes it
    return info !== undefined && deps.now() - info.mtimeMs > UNREADABLE_LOCK_GRACE_MS;
  }
  // A lock from another host (shared filesystem) is never broken automatically.
  return current.owner.host === deps.host && !deps.isProcessAlive(current.owner.pid);
}

/**
 * Breaking a stale lock is itself serialised by a short-lived `.break` file,
 * and the lock is re-read under it, so two waiters cannot both "break" the
 * lock and one of them delete the other's fresh lock.
 */
async function breakStaleLock(path: string, expectedRaw: string, deps: LockDeps): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker, { pid: deps.pid, host: deps.host, acquiredAt: new Date(deps.now()).toISOString() }))) {
    const info = await ignoreMissing(stat(breaker)); // the other breaker finished meanwhile
    if (info !== undefined && deps.now() - info.mtimeMs > UNREADABLE_LOCK_GRACE_MS)
      await removeFileIfPresent(breaker, "the stale lock-break file");
    return;
  }
  try {
    const again = await readOwner(path);
    if (again?.raw === expectedRaw) await removeFileIfPresent(path, "the stale vault lock");
  } finally {
    await removeFileIfPresent(breaker, "the lock-break file");
  }
}

/**
 * Takes the exclusive lock file at `path`. Waits while a live process holds
 * it; recovers a lock left by a dead process of this host. Throws
 * `VAULT_LOCKED` naming the holder when `timeoutMs` passes.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const deps: LockDeps = { ...defaultLockDeps, ...options.deps };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pollMs = options.pollMs ?? 25;
  const started = deps.now();
  const owner: LockOwner = { pid: deps.pid, host: deps.host, acquiredAt: new Date(started).toISOString() };
  const ownRaw = JSON.stringify(owner);
  for (;;) {
    if (await tryCreate(path, owner)) break;
    const current = await readOwner(path);
    if (current !== undefined && (await isStale(path, current, deps))) {
      await breakStaleLock(path, current.raw, deps);
      continue;
    }
    if (deps.now() - started >= timeoutMs) {
      const holder = current?.owner ? `process ${current.owner.pid} on ${current.owner.host}` : "another process";
      throw new VaultError("VAULT_LOCKED", `the vault is locked by ${holder}`, {
        category: "incomplete",
        hint: "wait for the other connect-ops command to finish and run again",
        context: { path },
      });
    }
    await deps.sleep(pollMs);
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    const current = await readOwner(path);
    if (current?.raw === ownRaw) await removeFileIfPresent(path, "the vault lock");
  };
  return { release, [Symbol.asyncDispose]: release };
}

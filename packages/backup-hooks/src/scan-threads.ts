import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ResidueFingerprints } from "@connect-ops/connection-core";
import { BackupError } from "./errors.js";
import type { FileEntry } from "./file-list.js";
import type { FileResult, ScanSettings } from "./scan-file.js";
import type { AgeAudit, ScanLimits } from "./scan-types.js";

/**
 * Scan threads (issue 13, performance): the files of one listing are read by
 * worker threads, each with its own layer walk and matcher, so detection uses
 * every core. The calling thread lists the tree, hands out one file at a time
 * to whichever thread has room, and gathers the results; the verdict is the
 * same as on one thread (findings are sorted at the end).
 */

/** What a scan thread is started with: secret-free fingerprint sets, the limits, and the age audit (in memory). */
export interface ThreadInit {
  readonly sets: readonly ResidueFingerprints[];
  readonly limits: ScanLimits;
  readonly maxDepth: number;
  readonly age?: AgeAudit;
}

export interface ThreadRequest {
  readonly id: number;
  readonly file: FileEntry;
}

export type ThreadReply =
  { readonly id: number; readonly result: FileResult } | { readonly id: number; readonly error: string };

/** Trees smaller than this are read on the calling thread: starting threads costs more than they save. */
export const THREADED_BYTES = 64 * 1024 * 1024;
const MAX_THREADS = 16;
export const THREADS_ENV = "CONNECT_OPS_SCAN_THREADS";

/**
 * The built worker entry (the CLI bundle's `scan-worker.mjs`, beside the entry;
 * this module is in a chunk one directory down). From the sources, or in the
 * single-file release, there is none: the scan runs on the calling thread.
 */
export function workerScript(): URL | undefined {
  for (const relative of ["./scan-worker.mjs", "../scan-worker.mjs"]) {
    const url = new URL(relative, import.meta.url);
    if (url.protocol === "file:" && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * How many scan threads read a tree of `totalBytes`: CONNECT_OPS_SCAN_THREADS
 * when set (0: the calling thread only), else one per core (at most 4) for a
 * tree of 64 MiB or more on a machine with two cores or more, else 0.
 */
export function threadCount(totalBytes: number, env: NodeJS.ProcessEnv = process.env): number {
  const setting = env[THREADS_ENV];
  if (setting !== undefined && setting !== "") {
    const count = /^\d{1,2}$/.test(setting) ? Number(setting) : Number.NaN;
    if (!(count <= MAX_THREADS))
      throw new BackupError(
        "BACKUP_CONFIG_INVALID",
        `${THREADS_ENV}=${JSON.stringify(setting)} is not a thread count`,
        {
          category: "input",
          hint: `set ${THREADS_ENV} to 0 (scan on one thread) up to ${MAX_THREADS}, or unset it to use one thread per core`,
        },
      );
    return count;
  }
  const cores = availableParallelism();
  return totalBytes >= THREADED_BYTES && cores >= 2 ? Math.min(cores, 4) : 0;
}

interface Thread {
  readonly worker: Worker;
  readonly inFlight: Map<number, FileEntry>;
  done: boolean;
}

/**
 * Reads every file `queue` yields on `count` threads started from `script`,
 * at most `perThread` files in flight on each, calling `onFile` with each
 * result as it comes. A thread that fails (it did not start, or it died)
 * hands its files in flight back: they and anything left are returned with
 * the reason, to be read on the calling thread, so no file goes unread
 * because a thread failed.
 */
export function scanOnThreads(
  queue: Iterator<FileEntry, void>,
  settings: ScanSettings,
  options: { readonly script: URL; readonly count: number; readonly perThread: number },
  onFile: (file: FileEntry, result: FileResult) => void,
): Promise<{ leftover: FileEntry[]; failures: string[] }> {
  const init: ThreadInit = {
    sets: settings.matcher.sets,
    limits: settings.limits,
    maxDepth: settings.maxDepth,
    ...(settings.age === undefined ? {} : { age: settings.age }),
  };
  const leftover: FileEntry[] = [];
  const failures: string[] = [];
  let nextId = 0;
  let exhausted = false;
  return new Promise((resolve) => {
    const threads: Thread[] = [];
    const settle = (): void => {
      if (threads.some((thread) => !thread.done)) return;
      // Each failed thread left one reason: when all did, nobody reads the rest of the queue but the caller.
      if (failures.length === threads.length && !exhausted)
        for (let next = queue.next(); next.done !== true; next = queue.next()) leftover.push(next.value);
      resolve({ leftover, failures });
    };
    const finish = (thread: Thread): void => {
      if (thread.done) return;
      thread.done = true;
      void thread.worker.terminate();
      settle();
    };
    const feed = (thread: Thread): void => {
      while (!exhausted && thread.inFlight.size < options.perThread) {
        const next = queue.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const id = nextId++;
        thread.inFlight.set(id, next.value);
        thread.worker.postMessage({ id, file: next.value } satisfies ThreadRequest);
      }
      if (thread.inFlight.size === 0) finish(thread);
    };
    const fail = (thread: Thread, reason: string): void => {
      if (thread.done) return;
      failures.push(reason);
      leftover.push(...thread.inFlight.values());
      thread.inFlight.clear();
      finish(thread);
    };
    for (let index = 0; index < options.count; index += 1) {
      const worker = new Worker(options.script, { workerData: init });
      const thread: Thread = { worker, inFlight: new Map(), done: false };
      threads.push(thread);
      worker.on("message", (reply: ThreadReply) => {
        const file = thread.inFlight.get(reply.id);
        if (file === undefined) return;
        thread.inFlight.delete(reply.id);
        if ("error" in reply)
          onFile(file, { findings: [], gaps: [{ path: file.path, reason: `read-error: ${reply.error}` }], layers: {} });
        else onFile(file, reply.result);
        feed(thread);
      });
      worker.on("error", (error) => fail(thread, error.message));
      worker.on("exit", (code) => fail(thread, `it exited (code ${code}) before its files were read`));
    }
    for (const thread of threads) feed(thread);
  });
}

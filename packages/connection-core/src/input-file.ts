import { constants } from "node:fs";
import { lstat, open, type FileHandle } from "node:fs/promises";
import { CoreError } from "./errors.js";

/**
 * The kinds of file an operator passes as an argument, each with a size cap
 * far above any real file of its kind (docs/reference/config-and-inventory.md
 * lists them). A file over its cap is refused before more than cap + 1 bytes
 * are read, so `/dev/zero` behind a symlink or a log that grows while we read
 * cannot pass.
 */
export const INPUT_CAPS = {
  license: 1 << 20,
  config: 1 << 20,
  inventory: 4 << 20,
  "cluster-conf": 4 << 20,
  "known-hosts": 4 << 20,
  recipients: 1 << 20,
  fingerprints: 16 << 20,
  "public-key": 64 << 10,
  "private-key": 64 << 10,
  identity: 64 << 10,
  report: 64 << 20,
  journal: 16 << 20,
  "ca-certificates": 4 << 20,
  /** `verify-cleanup --unreachable-copies`: one SHA-256 or path a line. */
  "copy-list": 4 << 20,
} as const;

export type InputKind = keyof typeof INPUT_CAPS;

/** How long one read of an input file may take before it is reported (an NFS mount that hangs). */
export const INPUT_READ_TIMEOUT_MS = 10_000;

export interface ReadInputOptions {
  /** What the file is, for the cap and for the message ("the inventory /x is a directory"). */
  readonly kind: InputKind;
  /** Overrides the kind's cap (tests; a caller with a tighter bound). */
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  /** The flag or argument the path came from, named in the message ("--license"). */
  readonly flag?: string;
}

/** What `lstat`/`fstat` says a path is, in an operator's words. */
function describeKind(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

function label(options: ReadInputOptions, path: string): string {
  return `${options.flag === undefined ? "" : `${options.flag} `}${path}`;
}

function notAFile(path: string, what: string, options: ReadInputOptions): CoreError {
  return new CoreError(
    "INPUT_NOT_A_FILE",
    `the ${options.kind} file ${label(options, path)} is ${what}, not a regular file`,
    {
      category: "input",
      hint: `pass the path of a regular ${options.kind} file`,
      context: { path, kind: options.kind, found: what },
    },
  );
}

function unreadable(path: string, error: NodeJS.ErrnoException, options: ReadInputOptions): CoreError {
  const reason =
    error.code === "ENOENT"
      ? "does not exist"
      : error.code === "EACCES" || error.code === "EPERM"
        ? "is not readable by this user"
        : `cannot be read (${error.code ?? "error"})`;
  return new CoreError("INPUT_UNREADABLE", `the ${options.kind} file ${label(options, path)} ${reason}`, {
    category: "input",
    hint:
      error.code === "ENOENT"
        ? "check the path (relative paths are resolved against the working directory)"
        : "check the file's permissions",
    context: { path, kind: options.kind, ...(error.code === undefined ? {} : { errno: error.code }) },
    cause: error,
  });
}

async function readCapped(handle: FileHandle, path: string, cap: number, options: ReadInputOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    // Never ask for more than one byte past the cap: that byte proves "over".
    const chunk = Buffer.allocUnsafe(Math.min(64 << 10, cap + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > cap) {
      throw new CoreError(
        "INPUT_TOO_LARGE",
        `the ${options.kind} file ${label(options, path)} is over the ${options.kind} size limit of ${formatBytes(cap)}`,
        {
          category: "input",
          hint: `a real ${options.kind} file is far smaller: check that the path names the right file`,
          context: { path, kind: options.kind, maxBytes: cap },
        },
      );
    }
  }
  return Buffer.concat(chunks, total);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} bytes`;
}

/**
 * Reads one file argument, bounded in kind, size and time (issue 18).
 * Only a regular file is read (a symlink to one is followed); a directory,
 * device, FIFO or socket is refused with `INPUT_NOT_A_FILE` without blocking
 * (the open is non-blocking, and what was opened is checked with `fstat`, so a
 * path swapped after the `lstat` cannot slip through). Throws `INPUT_TOO_LARGE`
 * past the kind's cap, `INPUT_UNREADABLE` for a missing or forbidden path, and
 * `INPUT_READ_TIMEOUT` when the read does not finish in time. All are
 * `category: "input"` (exit 2); nothing is written.
 */
export async function readInputFile(path: string, options: ReadInputOptions): Promise<Buffer> {
  const cap = options.maxBytes ?? INPUT_CAPS[options.kind];
  const timeoutMs = options.timeoutMs ?? INPUT_READ_TIMEOUT_MS;
  return await boundedInTime(
    readBounded(path, cap, options),
    timeoutMs,
    () =>
      new CoreError(
        "INPUT_READ_TIMEOUT",
        `reading the ${options.kind} file ${label(options, path)} did not finish within ${Math.round(timeoutMs / 1000)} s`,
        {
          category: "input",
          hint: "the path may be on a mount that does not answer (NFS): copy the file to a local disk and pass that",
          context: { path, kind: options.kind, timeoutMs },
        },
      ),
  );
}

/**
 * `work`, or `onTimeout()` thrown when it has not settled within `timeoutMs`.
 * A read stuck in the kernel cannot be cancelled; the command reports it and
 * goes on (the timer is unref'd, so it never keeps the process alive).
 */
export async function boundedInTime<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(path: string, cap: number, options: ReadInputOptions): Promise<Buffer> {
  let linkStats;
  try {
    linkStats = await lstat(path);
  } catch (error) {
    throw unreadable(path, error as NodeJS.ErrnoException, options);
  }
  if (!linkStats.isFile() && !linkStats.isSymbolicLink()) throw notAFile(path, describeKind(linkStats), options);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const errno = error as NodeJS.ErrnoException;
    if (errno.code === "ENXIO") throw notAFile(path, "a socket", options);
    throw unreadable(path, errno, options);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw notAFile(path, `${linkStats.isSymbolicLink() ? "a symbolic link to " : ""}${describeKind(stats)}`, options);
    return await readCapped(handle, path, cap, options);
  } finally {
    await handle.close();
  }
}

/** `readInputFile` as UTF-8 text. */
export async function readInputText(path: string, options: ReadInputOptions): Promise<string> {
  return (await readInputFile(path, options)).toString("utf8");
}

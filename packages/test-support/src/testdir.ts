import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";

/** A file's content, or a file with a mode. */
export type FileEntry = string | Uint8Array | { readonly content: string | Uint8Array; readonly mode?: number };

/**
 * One entry of a tree spec: a file, a directory (`{ dir: true }`, with an
 * optional mode), a symlink (`{ symlink: target }`, the target written as
 * given) or a hard link to another entry of the tree (`{ hardlink: path }`).
 */
export type TreeEntry =
  | FileEntry
  | { readonly dir: true; readonly mode?: number }
  | { readonly symlink: string }
  | { readonly hardlink: string };

/** Relative path (`/`-separated) → entry. Parents are created as needed; entries are written in the order given. */
export type TreeSpec = Readonly<Record<string, TreeEntry>>;

export interface TestDirOptions {
  /** Name prefix under the parent (default `connect-ops-test-`). The leak canary of test/ watches `e2e-*`. */
  readonly prefix?: string;
  /** Where to create it (default the OS temp dir). */
  readonly parent?: string;
  /** A tree to write inside it. */
  readonly files?: TreeSpec;
  /** The mode of the dir itself (mkdtemp gives 0700). */
  readonly mode?: number;
}

/** A scratch directory that removes itself; hold it with `using` or `await using`. */
export interface TestDir extends Disposable, AsyncDisposable {
  readonly path: string;
  /** `join(path, ...segments)`. */
  join(...segments: string[]): string;
  /** Writes more of the tree; throws on a path that leaves the dir (absolute or `..`). */
  write(files: TreeSpec): void;
}

/** Refuses absolute paths and `..` segments: a spec names places inside the dir, nowhere else. */
function insidePath(root: string, relative: string): string {
  const normalized = normalize(relative);
  if (relative === "" || isAbsolute(relative) || normalized === ".." || normalized.startsWith(`..${sep}`)) {
    throw new Error(`testdir: "${relative}" is not a path inside the dir; give a relative path without "..".`);
  }
  return join(root, normalized);
}

/** Writes `files` under `root`; modes are applied last, deepest first, so a read-only dir is still written into. */
export function writeTree(root: string, files: TreeSpec): void {
  const modes: [string, number][] = [];
  for (const [relative, entry] of Object.entries(files)) {
    const path = insidePath(root, relative);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof entry === "string" || entry instanceof Uint8Array) writeFileSync(path, entry);
    else if ("content" in entry) {
      writeFileSync(path, entry.content);
      if (entry.mode !== undefined) modes.push([path, entry.mode]);
    } else if ("dir" in entry) {
      mkdirSync(path, { recursive: true });
      if (entry.mode !== undefined) modes.push([path, entry.mode]);
    } else if ("symlink" in entry) symlinkSync(entry.symlink, path);
    else linkSync(insidePath(root, entry.hardlink), path);
  }
  modes.sort(([left], [right]) => right.split(sep).length - left.split(sep).length);
  for (const [path, mode] of modes) chmodSync(path, mode);
}

/** Gives the owner rwx on every directory below `path` again, so a test that removed access cannot keep its dir alive. */
function restoreOwnerAccess(path: string): void {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats === undefined || !stats.isDirectory()) return;
  if ((stats.mode & 0o700) !== 0o700) chmodSync(path, stats.mode | 0o700);
  for (const name of readdirSync(path)) restoreOwnerAccess(join(path, name));
}

function removeDir(path: string): void {
  restoreOwnerAccess(path);
  rmSync(path, { recursive: true, force: true });
}

/** Creates the dir now (for module scope and `using`); see `testdir`. */
export function testdirSync(options: TestDirOptions = {}): TestDir {
  const path = mkdtempSync(join(options.parent ?? tmpdir(), options.prefix ?? "connect-ops-test-"));
  try {
    if (options.files !== undefined) writeTree(path, options.files);
    if (options.mode !== undefined) chmodSync(path, options.mode);
  } catch (error) {
    removeDir(path);
    throw error;
  }
  return {
    path,
    join: (...segments) => join(path, ...segments),
    write: (files) => writeTree(path, files),
    [Symbol.dispose]: () => removeDir(path),
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        removeDir(path); // a failure rejects, as from an async function
        resolve();
      }),
  };
}

/**
 * A fresh scratch dir with `files` written in it, removed (whatever modes the
 * test left) when disposed: `await using dir = await testdir({ files })`.
 * Throws, leaving nothing behind, when the spec names a path outside the dir.
 */
export function testdir(options: TestDirOptions = {}): Promise<TestDir> {
  return new Promise((resolve) => {
    resolve(testdirSync(options)); // a failure rejects, as from an async function
  });
}

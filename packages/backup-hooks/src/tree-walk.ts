import { lstatSync, realpathSync } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, resolve, sep } from "node:path";
import { BackupError } from "./errors.js";
import { FileList } from "./file-list.js";
import { errnoOf } from "./fs-errors.js";
import { fsPath, joinRaw, readEntries, type RawPath } from "./raw-names.js";
import type { Gap } from "./scan-types.js";

export type { FileEntry } from "./file-list.js";

export interface TreeListing {
  readonly root: string;
  readonly files: FileList;
  readonly gaps: Gap[];
}

export interface WalkOptions {
  /** Walk into directories on other filesystems (mounts) too; by default each is a gap. */
  readonly crossMounts?: boolean;
}

/**
 * Where a symlink leads, resolved by the kernel (the whole chain, never by
 * string arithmetic: a chain of links that each look inside can still leave).
 * A link to a path inside the tree needs nothing (its target is walked as
 * itself); one that leaves the tree, loops or cannot be resolved is a gap; a
 * dangling link leads nowhere and holds nothing.
 */
function symlinkGap(root: string, link: RawPath): Gap | undefined {
  let target: string;
  try {
    // .native: libc realpath walks the chain in the kernel; the JS realpathSync normalises `..` in link targets as strings.
    target = realpathSync.native(fsPath(link));
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOENT") return undefined;
    return { path: link.path, reason: `unresolvable-symlink: ${code ?? "error"} (not followed)` };
  }
  return isInside(root, target)
    ? undefined
    : { path: link.path, reason: `symlink-outside-tree: leads to ${target}, not followed` };
}

export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Lists the regular files under `path` without following symlinks (a symlink
 * given as `path` itself is resolved once). Files sharing dev+inode are listed
 * once with their other paths. Unreadable directories, symlinks leaving the
 * tree and (unless `crossMounts`) directories on another filesystem are gaps;
 * sockets, FIFOs and devices are skipped (opening a FIFO would block). The
 * listing is compact (`FileList`): a million files fit in tens of MB.
 */
export async function walkTree(path: string, options: WalkOptions = {}): Promise<TreeListing> {
  const root = await realpath(resolve(path)).catch((error: unknown) => {
    throw new BackupError("BACKUP_NOT_FOUND", `cannot scan ${path}: ${errnoOf(error) ?? "not readable"}`, {
      category: "input",
      hint: "pass an existing snapshot, data dir, file or archive",
      context: { path },
    });
  });
  const gaps: Gap[] = [];
  const files = new FileList();
  const linked = new Map<string, { path: string; raw?: Buffer; size: number; linkedPaths: string[] }>();
  const top = await lstat(root);
  const add = (directory: RawPath, name: string, raw: Buffer | undefined, stats: FileStats): void => {
    if (stats.nlink <= 1 && directory.raw === undefined && raw === undefined) {
      files.add(directory.path, name, stats.size);
      return;
    }
    const file = joinRaw(directory, { name, ...(raw === undefined ? {} : { raw }) });
    if (stats.nlink <= 1) {
      files.addWhole({ ...file, size: stats.size, linkedPaths: [] });
      return;
    }
    const key = `${stats.dev}:${stats.ino}`;
    const known = linked.get(key);
    if (known) {
      known.linkedPaths.push(file.path);
      return;
    }
    const entry = { ...file, size: stats.size, linkedPaths: [] as string[] };
    linked.set(key, entry);
    files.addWhole(entry);
  };
  if (top.isFile()) {
    add({ path: dirname(root) }, basename(root), undefined, top);
    return { root, files, gaps };
  }
  const stack: RawPath[] = [{ path: root }];
  for (let directory = stack.pop(); directory !== undefined; directory = stack.pop()) {
    let entries;
    try {
      // Synchronous: a backup has thousands of small directories, and an async
      // readdir per directory costs a thread-pool round trip each.
      entries = readEntries(directory);
    } catch (error) {
      gaps.push({ path: directory.path, reason: `unreadable-directory: ${errnoOf(error) ?? "error"}` });
      continue;
    }
    const regular: { name: string; raw?: Buffer }[] = [];
    for (const entry of entries) {
      const child = joinRaw(directory, entry);
      if (entry.isDirectory()) {
        if (options.crossMounts !== true && lstatSync(fsPath(child), { throwIfNoEntry: false })?.dev !== top.dev) {
          gaps.push({
            path: child.path,
            reason: "other-filesystem: a mount point, not walked (--cross-mounts walks it)",
          });
        } else stack.push(child);
      } else if (entry.isFile()) regular.push(entry);
      else if (entry.isSymbolicLink()) {
        const gap = symlinkGap(root, child);
        if (gap !== undefined) gaps.push(gap);
      }
    }
    // lstat is a metadata syscall: synchronous beats a thread-pool round trip per file.
    for (const entry of regular) {
      const child = joinRaw(directory, entry);
      const stat = lstatSync(fsPath(child), { throwIfNoEntry: false });
      if (stat === undefined) gaps.push({ path: child.path, reason: "unreadable-file: lstat failed" });
      else add(directory, entry.name, entry.raw, stat);
    }
  }
  return { root, files, gaps };
}

interface FileStats {
  readonly size: number;
  readonly dev: number;
  readonly ino: number;
  readonly nlink: number;
}

import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { BackupError } from "./errors.js";
import { FileList } from "./file-list.js";
import { errnoOf } from "./fs-errors.js";
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

/** A symlink's target, or the gap saying why it could not be read (it is then neither followed nor vouched for). */
function readLink(path: string): string | Gap {
  try {
    return readlinkSync(path);
  } catch (error) {
    return { path, reason: `unreadable-symlink: ${errnoOf(error) ?? "error"}` };
  }
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
  const linked = new Map<string, { path: string; size: number; linkedPaths: string[] }>();
  const top = await lstat(root);
  const add = (
    directory: string,
    name: string,
    stats: { size: number; dev: number; ino: number; nlink: number },
  ): void => {
    if (stats.nlink <= 1) {
      files.add(directory, name, stats.size);
      return;
    }
    const key = `${stats.dev}:${stats.ino}`;
    const file = join(directory, name);
    const known = linked.get(key);
    if (known) return void known.linkedPaths.push(file);
    const entry = { path: file, size: stats.size, linkedPaths: [] as string[] };
    linked.set(key, entry);
    files.addWhole(entry);
  };
  if (top.isFile()) {
    add(dirname(root), basename(root), top);
    return { root, files, gaps };
  }
  const stack = [root];
  for (let directory = stack.pop(); directory !== undefined; directory = stack.pop()) {
    let entries;
    try {
      // Synchronous: a backup has thousands of small directories, and an async
      // readdir per directory costs a thread-pool round trip each.
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      gaps.push({ path: directory, reason: `unreadable-directory: ${errnoOf(error) ?? "error"}` });
      continue;
    }
    const regular: string[] = [];
    for (const entry of entries) {
      const child = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (options.crossMounts !== true && lstatSync(child, { throwIfNoEntry: false })?.dev !== top.dev) {
          gaps.push({ path: child, reason: "other-filesystem: a mount point, not walked (--cross-mounts walks it)" });
        } else stack.push(child);
      } else if (entry.isFile()) regular.push(entry.name);
      else if (entry.isSymbolicLink()) {
        const target = readLink(child);
        if (typeof target !== "string") gaps.push(target);
        else if (!isInside(root, resolve(dirname(child), target)))
          gaps.push({ path: child, reason: "symlink-outside-tree: not followed" });
      }
    }
    // lstat is a metadata syscall: synchronous beats a thread-pool round trip per file.
    for (const name of regular) {
      const stat = lstatSync(join(directory, name), { throwIfNoEntry: false });
      if (stat === undefined) gaps.push({ path: join(directory, name), reason: "unreadable-file: lstat failed" });
      else add(directory, name, stat);
    }
  }
  return { root, files, gaps };
}

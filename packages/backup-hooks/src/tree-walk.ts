import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { BackupError } from "./errors.js";
import { errnoOf } from "./fs-errors.js";
import type { Gap } from "./scan-types.js";

/** One regular file to read, with the other paths that are hard links to it. */
export interface FileEntry {
  readonly path: string;
  readonly size: number;
  readonly linkedPaths: string[];
}

export interface TreeListing {
  readonly root: string;
  readonly files: FileEntry[];
  readonly gaps: Gap[];
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
 * once with their other paths. Unreadable directories and symlinks leaving the
 * tree are gaps; sockets, FIFOs and devices are skipped (opening a FIFO would block).
 */
export async function walkTree(path: string): Promise<TreeListing> {
  const root = await realpath(resolve(path)).catch((error: NodeJS.ErrnoException) => {
    throw new BackupError("BACKUP_NOT_FOUND", `cannot scan ${path}: ${error.code ?? "not readable"}`, {
      category: "input",
      hint: "pass an existing snapshot, data dir, file or archive",
      context: { path },
    });
  });
  const gaps: Gap[] = [];
  const byInode = new Map<string, FileEntry>();
  const files: FileEntry[] = [];
  const add = (file: string, stats: { size: number; dev: number; ino: number; nlink: number }): void => {
    const key = `${stats.dev}:${stats.ino}`;
    const known = stats.nlink > 1 ? byInode.get(key) : undefined;
    if (known) return void known.linkedPaths.push(file);
    const entry: FileEntry = { path: file, size: stats.size, linkedPaths: [] };
    if (stats.nlink > 1) byInode.set(key, entry);
    files.push(entry);
  };
  const top = await lstat(root);
  if (top.isFile()) {
    add(root, top);
    return { root, files, gaps };
  }
  const stack = [root];
  while (stack.length > 0) {
    const directory = stack.pop()!;
    let entries;
    try {
      // Synchronous: a backup has thousands of small directories, and an async
      // readdir per directory costs a thread-pool round trip each.
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      gaps.push({
        path: directory,
        reason: `unreadable-directory: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      });
      continue;
    }
    const regular: string[] = [];
    for (const entry of entries) {
      const child = join(directory, entry.name);
      if (entry.isDirectory()) stack.push(child);
      else if (entry.isFile()) regular.push(child);
      else if (entry.isSymbolicLink()) {
        const target = readLink(child);
        if (typeof target !== "string") gaps.push(target);
        else if (!isInside(root, resolve(dirname(child), target)))
          gaps.push({ path: child, reason: "symlink-outside-tree: not followed" });
      }
    }
    // lstat is a metadata syscall: synchronous beats a thread-pool round trip per file.
    for (const file of regular) {
      const stat = lstatSync(file, { throwIfNoEntry: false });
      if (stat === undefined) gaps.push({ path: file, reason: "unreadable-file: lstat failed" });
      else add(file, stat);
    }
  }
  return { root, files, gaps };
}

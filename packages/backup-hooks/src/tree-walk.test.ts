import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileList } from "./file-list.js";
import { tempDir } from "./test-support/snapshot-fixture.js";
import { walkTree } from "./tree-walk.js";

/** Mounting needs root (CI runs as root); elsewhere the mount cases say why they are skipped. */
const canMount = process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;

describe("walkTree", () => {
  it.runIf(canMount)("reports a mount inside the tree as a gap and does not walk it, unless crossMounts", async () => {
    using dir = tempDir();
    const mountPoint = join(dir.path, "snap", "nfs-like");
    mkdirSync(mountPoint, { recursive: true });
    writeFileSync(join(dir.path, "snap", "plain.txt"), "x");
    execFileSync("mount", ["-t", "tmpfs", "none", mountPoint]);
    try {
      writeFileSync(join(mountPoint, "inside.txt"), "y");
      const listing = await walkTree(join(dir.path, "snap"));
      expect([...listing.files].map((file) => file.path)).toEqual([join(dir.path, "snap", "plain.txt")]);
      expect(listing.gaps).toEqual([
        { path: mountPoint, reason: "other-filesystem: a mount point, not walked (--cross-mounts walks it)" },
      ]);
      const crossed = await walkTree(join(dir.path, "snap"), { crossMounts: true });
      expect([...crossed.files].map((file) => file.path).sort()).toEqual(
        [join(dir.path, "snap", "plain.txt"), join(mountPoint, "inside.txt")].sort(),
      );
      expect(crossed.gaps).toEqual([]);
    } finally {
      execFileSync("umount", [mountPoint]);
    }
  });

  it("lists hard links once with their other paths, and every other file once", async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, "a"));
    mkdirSync(join(dir.path, "b"));
    writeFileSync(join(dir.path, "a", "shared"), "same inode");
    execFileSync("ln", [join(dir.path, "a", "shared"), join(dir.path, "b", "shared")]);
    writeFileSync(join(dir.path, "a", "alone"), "x");
    const listing = await walkTree(dir.path);
    const entries = [...listing.files];
    expect(listing.files.count).toBe(2);
    expect(entries).toHaveLength(2);
    const shared = entries.find((entry) => entry.linkedPaths.length > 0);
    expect([shared?.path, ...(shared?.linkedPaths ?? [])].sort()).toEqual(
      [join(dir.path, "a", "shared"), join(dir.path, "b", "shared")].sort(),
    );
  });
});

describe("FileList", () => {
  it("schedules compressed files first, then large ones by size, then small ones as listed", () => {
    const list = new FileList();
    list.add("/s", "small-1.txt", 10);
    list.add("/s", "big.bin", 5 << 20);
    list.add("/s", "dump.sql.gz", 100);
    list.add("/t", "small-2.txt", 20);
    list.add("/s", "bigger.bin", 9 << 20);
    expect([...list.scheduled()].map((file) => file.path)).toEqual([
      "/s/dump.sql.gz",
      "/s/bigger.bin",
      "/s/big.bin",
      "/s/small-1.txt",
      "/t/small-2.txt",
    ]);
    expect(list.count).toBe(5);
    expect(list.totalBytes).toBe(10 + (5 << 20) + 100 + 20 + (9 << 20));
  });

  it("keeps a hundred thousand small files in a few MB, not as one object per path", () => {
    // The directory strings exist before the count starts, as the walk's own do (one per readdir).
    const dirs = Array.from({ length: 100 }, (_, index) => `/data/20261201T000000/repositories/d${index}`);
    const before = process.memoryUsage().heapUsed;
    const list = new FileList();
    for (let index = 0; index < 100_000; index += 1) {
      list.add(dirs[Math.floor(index / 1000)] ?? "/", `f${index % 1000}.pack`, 64);
    }
    const perFile = (process.memoryUsage().heapUsed - before) / 100_000;
    // An object per file with its full path costs ~240 bytes (measured on the million-file tree).
    expect(perFile).toBeLessThan(120);
    expect(list.count).toBe(100_000);
  });
});

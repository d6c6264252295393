import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeDirectories, makeDirectoriesSync } from "./make-directories.js";

const root = mkdtempSync(join(tmpdir(), "make-dirs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each([
  ["makeDirectories", (path: string, mode: number) => makeDirectories(path, mode)],
  [
    "makeDirectoriesSync",
    (path: string, mode: number) =>
      new Promise<void>((done) => {
        makeDirectoriesSync(path, mode);
        done();
      }),
  ],
] as const)("%s", (name, make) => {
  it("creates every missing level with the mode, and accepts a path that exists", async () => {
    const target = join(root, name, "a", "b", "c");
    await make(target, 0o700);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(statSync(join(root, name, "a")).mode & 0o777).toBe(0o700);
    await expect(make(target, 0o700)).resolves.toBeUndefined();
  });

  it("fails at once under /proc, where Node's recursive mkdir never returns (ENOENT on every level)", async () => {
    await expect(make("/proc/nonexistent/x", 0o700)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("names ENOTDIR when an ancestor is a file, and creates nothing", async () => {
    const file = join(root, `${name}-file`);
    writeFileSync(file, "x");
    await expect(make(join(file, "sub", "dir"), 0o700)).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});

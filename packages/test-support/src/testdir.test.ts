import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { testdir, testdirSync } from "./testdir.js";

describe("testdir", () => {
  it("writes a tree spec: files, modes, directories, symlinks and hard links", async () => {
    await using dir = await testdir({
      files: {
        "a/b.txt": "hello",
        "bytes.bin": new Uint8Array([0, 1, 2]),
        "state/key.age": { content: "sealed", mode: 0o600 },
        locked: { dir: true, mode: 0o700 },
        link: { symlink: "a/b.txt" },
        "hard.txt": { hardlink: "a/b.txt" },
      },
    });
    expect(readFileSync(dir.join("a", "b.txt"), "utf8")).toBe("hello");
    expect([...readFileSync(dir.join("bytes.bin"))]).toEqual([0, 1, 2]);
    expect(statSync(dir.join("state", "key.age")).mode & 0o777).toBe(0o600);
    expect(statSync(dir.join("locked")).isDirectory()).toBe(true);
    expect(readlinkSync(dir.join("link"))).toBe("a/b.txt");
    expect(statSync(dir.join("hard.txt")).ino).toBe(statSync(dir.join("a", "b.txt")).ino);
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
  });

  it("applies a read-only dir's mode after writing what it holds", async () => {
    await using dir = await testdir({ files: { ro: { dir: true, mode: 0o500 }, "ro/inside.txt": "x" } });
    expect(readFileSync(dir.join("ro", "inside.txt"), "utf8")).toBe("x");
    expect(statSync(dir.join("ro")).mode & 0o777).toBe(0o500);
  });

  it("removes itself on dispose, even when the test took the owner's access away", async () => {
    let path = "";
    {
      await using dir = await testdir({ prefix: "ts-dispose-", files: { "deep/file": "x" } });
      path = dir.path;
      chmodSync(dir.join("deep"), 0o000);
    }
    expect(path.startsWith(tmpdir())).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("is disposable synchronously too (`using` at module scope or in a sync test)", () => {
    let path = "";
    {
      using dir = testdirSync({ mode: 0o755 });
      path = dir.path;
      expect(statSync(path).mode & 0o777).toBe(0o755);
      dir.write({ later: "added" });
      expect(readFileSync(dir.join("later"), "utf8")).toBe("added");
    }
    expect(existsSync(path)).toBe(false);
  });

  it.each(["../escape", "/etc/passwd", "a/../../escape", ""])(
    "refuses %j as a tree path and leaves no dir behind",
    async (path) => {
      await using parent = await testdir();
      await expect(testdir({ parent: parent.path, files: { [path]: "x" } })).rejects.toThrow(
        /not a path inside the dir/,
      );
      expect(lstatSync(parent.path).isDirectory()).toBe(true);
      expect(existsSync(parent.join("escape"))).toBe(false);
      expect(readdirSync(parent.path)).toEqual([]);
    },
  );
});

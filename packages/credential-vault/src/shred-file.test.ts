import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isShreddingName, shreddingName, shredFile, wipeInPlace } from "./shred-file.js";

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "connect-ops-shred-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const SECRET = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n";

/** A shred stopped (as a SIGKILL would stop it) right after `step`. */
async function stoppedAfter(path: string, step: "aside" | "overwritten"): Promise<void> {
  await expect(
    shredFile(path, {
      onStep: (at) => {
        if (at === step) throw new Error(`stopped after ${step}`);
      },
    }),
  ).rejects.toThrow(`stopped after ${step}`);
}

describe("shredFile", () => {
  it("removes the file and returns its size; a second call finds it gone (ENOENT)", async () => {
    const path = join(freshDir(), "age-identity.old.txt");
    writeFileSync(path, SECRET);
    await expect(shredFile(path)).resolves.toBe(SECRET.length);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(shreddingName(path))).toBe(false);
    await expect(shredFile(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.each(["aside", "overwritten"] as const)(
    "stopped after %s: nothing is left under the file's own name, and a second call finishes",
    async (step) => {
      const path = join(freshDir(), "age-identity.txt");
      writeFileSync(path, SECRET);
      await stoppedAfter(path, step);
      // A reader of the file's own name sees no file, never random bytes it would take for damage.
      expect(existsSync(path)).toBe(false);
      const aside = shreddingName(path);
      expect(readFileSync(aside, "latin1").includes("AGE-SECRET-KEY-1")).toBe(step === "aside");
      await expect(shredFile(path)).resolves.toBe(SECRET.length);
      expect(existsSync(aside)).toBe(false);
    },
  );

  it("shreds a file already aside in place (its name is its own shredding name)", async () => {
    const path = join(freshDir(), ".meta.json.destroying");
    writeFileSync(path, "{}");
    expect(isShreddingName(".meta.json.destroying")).toBe(true);
    expect(isShreddingName("meta.json")).toBe(false);
    expect(shreddingName(path)).toBe(path);
    await expect(shredFile(path)).resolves.toBe(2);
    expect(existsSync(path)).toBe(false);
  });

  it("refuses a symbolic link (ELOOP) and leaves the link where it was", async () => {
    const dir = freshDir();
    const target = join(dir, "target");
    writeFileSync(target, SECRET);
    const link = join(dir, "age-identity.txt");
    symlinkSync(target, link);
    await expect(shredFile(link)).rejects.toMatchObject({ code: "ELOOP" });
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, "utf8")).toBe(SECRET);
    expect(existsSync(shreddingName(link))).toBe(false);
  });
});

describe("wipeInPlace", () => {
  it("overwrites and unlinks the file under its own name, making no other name (a caller's aside name stays the only one)", async () => {
    const dir = freshDir();
    const path = join(dir, ".node-identity.txt.shredding");
    writeFileSync(path, SECRET);
    const names: string[][] = [];
    await expect(wipeInPlace(path, { onStep: () => void names.push(readdirSync(dir)) })).resolves.toBe(SECRET.length);
    expect(names).toEqual([[".node-identity.txt.shredding"]]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a symbolic link (ELOOP) and leaves its target whole", async () => {
    const dir = freshDir();
    const target = join(dir, "target");
    writeFileSync(target, SECRET);
    const link = join(dir, ".node-identity.txt.shredding");
    symlinkSync(target, link);
    await expect(wipeInPlace(link)).rejects.toMatchObject({ code: "ELOOP" });
    expect(readFileSync(target, "utf8")).toBe(SECRET);
  });
});

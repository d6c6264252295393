import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringContaining } from "@connect-ops/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { removeAfterFailure, removeFileIfPresent } from "./remove-file.js";

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "connect-ops-remove-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("removeFileIfPresent", () => {
  it("removes a file and accepts one already gone", async () => {
    const path = join(freshDir(), "lock");
    writeFileSync(path, "x");
    await removeFileIfPresent(path, "the vault lock");
    expect(existsSync(path)).toBe(false);
    await expect(removeFileIfPresent(path, "the vault lock")).resolves.toBeUndefined();
  });

  it("reports a file it could not remove as VAULT_WRITE_FAILED with the errno code", async () => {
    // unlink of a directory fails (EISDIR) even for root, unlike a permission test.
    const path = join(freshDir(), "not-a-file");
    mkdirSync(path);
    await expect(removeFileIfPresent(path, "the vault lock")).rejects.toMatchObject({
      code: "VAULT_WRITE_FAILED",
      message: stringContaining("could not remove the vault lock"),
      context: { path, errno: "EISDIR" },
    });
  });
});

describe("removeAfterFailure", () => {
  it("returns undefined when the file is gone and the errno code when it is still there", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "temp"), "x");
    expect(await removeAfterFailure(join(dir, "temp"))).toBeUndefined();
    expect(await removeAfterFailure(join(dir, "temp"))).toBeUndefined();
    mkdirSync(join(dir, "dir"));
    expect(await removeAfterFailure(join(dir, "dir"))).toBe("EISDIR");
  });
});

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TEMP_NAME_GLOB, atomicWriteFile, isTempName, removeStaleTemps, tempNameFor } from "./atomic-write.js";

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "connect-ops-atomic-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("temp names", () => {
  it("names a temp beside its target that isTempName recognises", () => {
    const temp = tempNameFor("/state/credentials.age");
    expect(temp).toMatch(/^\/state\/\.credentials\.age\.tmp-[0-9a-f]{12}$/);
    expect(isTempName(basename(temp))).toBe(true);
    expect(tempNameFor("/d/meta.json", "0123456789ab")).toBe("/d/.meta.json.tmp-0123456789ab");
  });

  it("recognises the names earlier releases left, and nothing else", () => {
    expect(isTempName(".connect-ops-0123456789abcdef.meta.json.tmp")).toBe(true);
    expect(isTempName(".known_hosts.0123456789ab.tmp")).toBe(true);
    for (const name of [
      "credentials.age",
      "notes.tmp-0a1b2c3d4e5f",
      ".meta.json.tmp-xyz",
      ".meta.json.tmp",
      ".hidden",
    ]) {
      expect(isTempName(name)).toBe(false);
    }
  });

  it("the sh glob matches exactly what isTempName accepts in the current scheme", () => {
    const dir = freshDir();
    const names = [
      ".credentials.age.tmp-0a1b2c3d4e5f",
      ".meta.json.tmp-abcdefabcdef",
      "credentials.age",
      ".x.tmp-0a1b",
      "notes.tmp-0a1b2c3d4e5f",
    ];
    for (const name of names) writeFileSync(join(dir, name), "x");
    const matched = execFileSync(
      "sh",
      ["-c", `cd "$1" && for f in ${TEMP_NAME_GLOB}; do [ -e "$f" ] && printf '%s\\n' "$f"; done; true`, "sh", dir],
      {
        encoding: "utf8",
      },
    );
    expect(matched.split("\n").filter(Boolean).sort()).toEqual(names.filter(isTempName).sort());
  });
});

describe("atomicWriteFile", () => {
  it("leaves no temp behind when a step fails, and removeStaleTemps clears a killed write's temp", async () => {
    const dir = freshDir();
    const target = join(dir, "meta.json");
    await expect(
      atomicWriteFile(target, Buffer.from("{}"), {
        onStep: (step) => {
          if (step === "temp-written") throw new Error("injected crash");
        },
      }),
    ).rejects.toThrow("injected crash");
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(tempNameFor(target), "half");
    await removeStaleTemps(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});

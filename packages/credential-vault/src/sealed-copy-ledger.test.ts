import { testdirSync } from "@connect-ops/test-support";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateAgeIdentity } from "./age-seal.js";
import { readSealedCopies, recordSealedCopy, type SealedCopyEntry } from "./sealed-copy-ledger.js";

const entry = (recipient: string, sha256 = "a".repeat(64)): SealedCopyEntry => ({
  sha256,
  recipients: [recipient],
  kind: "snapshot",
  where: "/data/20240101T000000/github-connect/credentials.age",
  at: "2026-01-01T00:00:00.000Z",
});

describe("sealed-copy ledger", () => {
  it("appends each copy once, 0600, and reads them back in order", async () => {
    using dir = testdirSync({ prefix: "ledger-" });
    const { recipient } = await generateAgeIdentity();
    expect(await readSealedCopies(dir.path)).toEqual([]);
    await recordSealedCopy(dir.path, entry(recipient));
    await recordSealedCopy(dir.path, entry(recipient)); // a re-run after a crash adds nothing
    await recordSealedCopy(dir.path, entry(recipient, "b".repeat(64)));
    expect((await readSealedCopies(dir.path)).map((copy) => copy.sha256)).toEqual(["a".repeat(64), "b".repeat(64)]);
    expect(statSync(join(dir.path, "sealed-copies.json")).mode & 0o777).toBe(0o600);
  });

  it("refuses a damaged ledger with a coded error naming the file", async () => {
    using dir = testdirSync({ prefix: "ledger-" });
    writeFileSync(
      join(dir.path, "sealed-copies.json"),
      JSON.stringify({ format: "connect-ops/sealed-copies@1", copies: [{}] }),
    );
    await expect(readSealedCopies(dir.path)).rejects.toMatchObject({ code: "CORE_INVALID_INPUT" });
    expect(readFileSync(join(dir.path, "sealed-copies.json"), "utf8")).toContain("copies");
  });
});

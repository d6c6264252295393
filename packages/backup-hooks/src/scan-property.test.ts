import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { tempDir } from "./test-support/snapshot-fixture.js";

describe("scanPath property", () => {
  const credentials = testCredentials();

  it("finds a token planted at a random offset of random bytes, at that offset", async () => {
    using dir = tempDir();
    const file = join(dir.path, "blob.bin");
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.constantFrom(credentials.classicToken, credentials.jwtToken),
        async (before, after, token) => {
          // A leading gzip magic would make the file a (corrupt) archive instead of bytes.
          fc.pre(!(before[0] === 0x1f && before[1] === 0x8b));
          writeFileSync(file, Buffer.concat([before, Buffer.from(token), after]));
          const result = await scanPath(file, { matcher: credentials.matcher });
          expect(
            result.findings.filter((finding) => finding.form === "token").map((finding) => finding.offset),
          ).toContain(before.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("finds a token straddling the window boundary of a large file", async () => {
    using dir = tempDir();
    const file = join(dir.path, "big.bin");
    const size = 3 * 1024 * 1024;
    for (const offset of [1024 * 1024 - 10, 1024 * 1024 + 64 * 1024 - 3, 2 * 1024 * 1024 - 20]) {
      const bytes = Buffer.alloc(size, 0x20);
      bytes.write(credentials.jwtToken, offset - 1000, "latin1");
      bytes.write(credentials.classicToken, offset, "latin1");
      writeFileSync(file, bytes);
      const result = await scanPath(file, { matcher: credentials.matcher });
      expect(result.findings.map((finding) => finding.offset).sort((a, b) => a - b)).toEqual([offset - 1000, offset]);
    }
  });
});

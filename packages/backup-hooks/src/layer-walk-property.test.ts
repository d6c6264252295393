import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader } from "./byte-reader.js";
import { BackupError } from "./errors.js";
import { rewriteLayers, scanLayers } from "./layer-walk.js";
import type { StreamContext } from "./scan-context.js";
import { DEFAULT_LIMITS, type Finding, type Gap } from "./scan-types.js";
import { testCredentials } from "./test-support/credentials.js";
import { paxEntry, rawTar, tarEntry } from "./test-support/raw-tar.js";
import { tempDir } from "./test-support/snapshot-fixture.js";

const credentials = testCredentials();

/** The bytes as one chunk. */
function once(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}

describe("the layer walk on damaged archives (property)", () => {
  const tar = rawTar([
    paxEntry({ path: `${"p/".repeat(60)}token`, mtime: new Date(0) }),
    tarEntry({ path: "short" }, Buffer.from(`${credentials.classicToken}\n`)),
    tarEntry(
      { path: "inner.tar.gz" },
      gzipSync(rawTar([tarEntry({ path: "etc/key.pem" }, Buffer.from(credentials.pem))])),
    ),
    tarEntry({ path: "link", type: "SymbolicLink", linkpath: "../x" }),
  ]);
  const shapes = [tar, gzipSync(tar)];

  it("any byte edits: the scan ends in findings and gaps, the rewrite in a copy or a BackupError, never another throw", async () => {
    using dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...shapes),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (shape, edits, cut) => {
          const bytes = Buffer.from(shape);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const damaged = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          const findings: Finding[] = [];
          const gaps: Gap[] = [];
          const context: StreamContext = {
            matcher: credentials.matcher,
            limits: DEFAULT_LIMITS,
            maxDepth: 6,
            path: "f",
            members: [],
            depth: 0,
            linkedPaths: undefined,
            findings,
            gaps,
          };
          await scanLayers(new ByteReader(once(damaged)), context);
          const dirty = new Set([
            "",
            ...findings.flatMap((finding) =>
              (finding.member ?? "").split("!").map((_, index, parts) => parts.slice(0, index + 1).join("!")),
            ),
          ]);
          const rewrite = rewriteLayers(
            new ByteReader(once(damaged)),
            {
              matcher: credentials.matcher,
              limits: DEFAULT_LIMITS,
              maxDepth: 6,
              depth: 0,
              members: [],
              dirty,
              scratchDir: dir.path,
            },
            { write: () => Promise.resolve() },
          );
          await rewrite.catch((error: unknown) => expect(error).toBeInstanceOf(BackupError));
        },
      ),
      { numRuns: 300 },
    );
  });
});

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanBuffers, scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { gnuTar, tempDir, write } from "./test-support/snapshot-fixture.js";

describe("scanBuffers (a node's files, read into memory)", () => {
  const credentials = testCredentials();

  it("finds a key inside a gzip'd tar held in memory, names the path given, and counts the layers", async () => {
    using dir = tempDir();
    write(join(dir.path, "stage", "app.pem"), credentials.pem);
    gnuTar(join(dir.path, "keys.tar"), join(dir.path, "stage"), ["app.pem"]);
    execFileSync("gzip", [join(dir.path, "keys.tar")]);
    const result = await scanBuffers(
      [
        { path: "node-1:/data/keys.tar.gz", bytes: readFileSync(join(dir.path, "keys.tar.gz")) },
        { path: "node-1:/data/notes.txt", bytes: Buffer.from("nothing here\n") },
      ],
      { matcher: credentials.matcher },
    );
    expect(result.findings).toEqual([
      expect.objectContaining({ path: "node-1:/data/keys.tar.gz", member: "app.pem", form: "pem-key" }),
    ]);
    expect(result.gaps).toEqual([]);
    expect(result.filesScanned).toBe(2);
    expect(result.layersDecoded).toEqual({ gzip: 1, tar: 1 });
  });

  it("finds nothing, and decodes no layer, in plain clean bytes", async () => {
    const result = await scanBuffers([{ path: "n:/x", bytes: Buffer.from("clean\n") }], {
      matcher: credentials.matcher,
    });
    expect(result).toMatchObject({ findings: [], gaps: [], filesScanned: 1, bytesScanned: 6, layersDecoded: {} });
  });
});

describe("scanPath layersDecoded", () => {
  it("counts each tar and gzip layer opened in the tree", async () => {
    const credentials = testCredentials();
    using dir = tempDir();
    write(join(dir.path, "stage", "a.txt"), "a\n");
    gnuTar(join(dir.path, "tree", "one.tar"), join(dir.path, "stage"), ["a.txt"]);
    gnuTar(join(dir.path, "tree", "two.tar"), join(dir.path, "stage"), ["a.txt"]);
    execFileSync("gzip", [join(dir.path, "tree", "two.tar")]);
    const result = await scanPath(join(dir.path, "tree"), { matcher: credentials.matcher });
    expect(result.layersDecoded).toEqual({ tar: 2, gzip: 1 });
  });
});

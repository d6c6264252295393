import { mkdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ByteReader } from "./byte-reader.js";
import { DEFAULT_LIMITS } from "./scan-types.js";
import { rewriteLayers } from "./layer-walk.js";
import { redactSnapshot } from "./redact-snapshot.js";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { chunkStream, memorySink } from "./test-support/byte-streams.js";
import { paxEntry, rawTar, tarEntry } from "./test-support/raw-tar.js";
import { run, tempDir, write } from "./test-support/snapshot-fixture.js";

const credentials = testCredentials();

/** Rewrites `bytes` through the walk into memory, with `dirty` member chains. */
async function rewritten(bytes: Buffer, dirty: string[], scratchDir: string): Promise<Buffer> {
  const sink = memorySink();
  const context = {
    matcher: credentials.matcher,
    limits: DEFAULT_LIMITS,
    maxDepth: 6,
    depth: 0,
    members: [],
    dirty: new Set(["", ...dirty]),
    scratchDir,
  };
  await rewriteLayers(new ByteReader(chunkStream(bytes, 700)), context, sink);
  return sink.bytes();
}

describe("the layer walk", () => {
  it("opens layers by content, not by name", async () => {
    using dir = tempDir();
    write(join(dir.path, "notes.txt"), gzipSync(`token ${credentials.classicToken}\n`));
    write(join(dir.path, "backup.tar.gz"), `not an archive: ${credentials.classicToken}\n`);
    const result = await scanPath(dir.path, { matcher: credentials.matcher });
    expect(result.gaps).toEqual([]);
    expect(
      result.findings.map((finding) => [finding.path.slice(dir.path.length + 1), finding.member, finding.offset]),
    ).toEqual([
      ["backup.tar.gz", undefined, 16],
      ["notes.txt", undefined, 6],
    ]);
  });

  it("names members through every layer (`x.tar!conf/inner.tar.gz!etc/token`)", async () => {
    using dir = tempDir();
    const inner = gzipSync(rawTar([tarEntry({ path: "etc/token" }, Buffer.from(credentials.classicToken))]));
    write(join(dir.path, "x.tar"), rawTar([tarEntry({ path: "conf/inner.tar.gz" }, inner)]));
    const result = await scanPath(dir.path, { matcher: credentials.matcher });
    expect(result.findings).toEqual([
      expect.objectContaining({ member: "conf/inner.tar.gz!etc/token", form: "token", offset: 0 }),
    ]);
  });

  it("reads a pax size given before a GNU long name: the file after them is the one it sizes", async () => {
    using dir = tempDir();
    const content = Buffer.from(`${credentials.classicToken}\n`);
    const archive = rawTar([
      paxEntry({ size: content.length }),
      tarEntry({ path: "././@LongLink", type: "NextFileHasLongPath" }, Buffer.from(`${"d/".repeat(60)}token\0`)),
      tarEntry({ path: "short", size: 0 }),
      content,
      Buffer.alloc(512 - content.length),
    ]);
    write(join(dir.path, "pax.tar"), archive);
    expect(run("tar", ["-tf", join(dir.path, "pax.tar")]).trim()).toBe(`${"d/".repeat(60)}token`);
    const result = await scanPath(dir.path, { matcher: credentials.matcher });
    expect(result.gaps).toEqual([]);
    expect(result.findings).toEqual([expect.objectContaining({ member: `${"d/".repeat(60)}token`, form: "token" })]);
  });

  it("rewrites gzip in tar in gzip: every layer still decodes, only the secret changed, other members byte for byte", async () => {
    using dir = tempDir();
    const text = `a = 1\ntoken = ${credentials.classicToken}\nb = 2\n`;
    const other = Buffer.from(`untouched ${credentials.classicToken}\n`);
    const tar = rawTar([
      paxEntry({ comment: "kept" }, true),
      tarEntry({ path: "conf/app.gz" }, gzipSync(text)),
      tarEntry({ path: "other" }, other),
    ]);
    const output = await rewritten(gzipSync(tar), ["conf/app.gz"], dir.path);
    write(join(dir.path, "out.tar"), gunzipSync(output));
    expect(
      run("tar", ["-tf", join(dir.path, "out.tar")])
        .trim()
        .split("\n"),
    ).toEqual(["conf/app.gz", "other"]);
    const member = run("sh", ["-c", `tar -xOf "${join(dir.path, "out.tar")}" conf/app.gz | gunzip`]);
    expect(member).toBe(text.replace(credentials.classicToken, "X".repeat(credentials.classicToken.length)));
    // `other` is not in the dirty set: copied as it was, secret included (the scan decides what is dirty).
    expect(run("tar", ["-xOf", join(dir.path, "out.tar"), "other"])).toBe(other.toString());
    // The global pax header before the members is kept verbatim.
    expect(readFileSync(join(dir.path, "out.tar")).subarray(0, 1024)).toEqual(tar.subarray(0, 1024));
  });

  it("redacts a nested .tar.gz under a GNU long name: GNU tar still lists the name, the new size is in the header", async () => {
    using dir = tempDir();
    const longDir = `${"deep-directory/".repeat(8)}conf`;
    write(join(dir.path, "inner/etc/token"), `${credentials.classicToken}\n`);
    write(join(dir.path, "staging", longDir, "keep.txt"), "kept\n");
    run("sh", [
      "-c",
      `tar -C "${join(dir.path, "inner")}" -czf "${join(dir.path, "staging", longDir, "inner.tar.gz")}" etc`,
    ]);
    mkdirSync(join(dir.path, "snap"));
    run("tar", ["-cf", join(dir.path, "snap/outer.tar"), "-C", join(dir.path, "staging"), longDir]);
    const before = await scanPath(join(dir.path, "snap"), { matcher: credentials.matcher });
    expect(before.findings).toEqual([expect.objectContaining({ member: `${longDir}/inner.tar.gz!etc/token` })]);
    const report = await redactSnapshot(join(dir.path, "snap"), {
      matcher: credentials.matcher,
      now: () => new Date(0),
    });
    expect(report.failed).toEqual([]);
    expect(run("tar", ["-tf", join(dir.path, "snap/outer.tar")])).toContain(`${longDir}/inner.tar.gz`);
    expect(
      run("sh", [
        "-c",
        `tar -xOf "${join(dir.path, "snap/outer.tar")}" "${longDir}/inner.tar.gz" | tar -xzO etc/token`,
      ]),
    ).toBe(`${"X".repeat(40)}\n`);
    expect(run("tar", ["-xOf", join(dir.path, "snap/outer.tar"), `${longDir}/keep.txt`])).toBe("kept\n");
    expect((await scanPath(join(dir.path, "snap"), { matcher: credentials.matcher })).findings).toEqual([]);
  });

  it.each([
    ["early (incompressible data: output flows at once)", randomBytes(4 * 1024 * 1024)],
    ["at the end (all output comes at flush)", Buffer.from(`${credentials.classicToken}\n`)],
  ])("passes the sink's own error on when writing fails %s", async (_when, content) => {
    using dir = tempDir();
    const context = {
      matcher: credentials.matcher,
      limits: DEFAULT_LIMITS,
      maxDepth: 6,
      depth: 0,
      members: [],
      dirty: new Set([""]),
      scratchDir: dir.path,
    };
    const full = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    const sink = { write: async () => Promise.reject(full) };
    await expect(
      rewriteLayers(new ByteReader(chunkStream(gzipSync(content, { level: 1 }), 700)), context, sink),
    ).rejects.toBe(full);
  });

  it("fails a damaged tar with BACKUP_UNSUPPORTED_ARCHIVE instead of writing a shorter copy", async () => {
    using dir = tempDir();
    const tar = rawTar([
      tarEntry({ path: "a" }, Buffer.from(credentials.classicToken)),
      tarEntry({ path: "b" }, Buffer.alloc(4000, 0x41)),
    ]);
    await expect(rewritten(tar.subarray(0, 512 * 3 + 100), ["a", "b"], dir.path)).rejects.toMatchObject({
      code: "BACKUP_UNSUPPORTED_ARCHIVE",
    });
  });
});

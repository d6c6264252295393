import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ByteReader } from "./byte-reader.js";
import { HEAD_BYTES, rewriteLayers, scanLayers } from "./layer-walk.js";
import { codecProcess } from "./process-codec.js";
import type { StreamContext } from "./scan-context.js";
import { DEFAULT_LIMITS, type Finding, type Gap } from "./scan-types.js";
import { testCredentials } from "./test-support/credentials.js";
import { paxEntry, rawTar, tarEntry } from "./test-support/raw-tar.js";
import { tempDir } from "./test-support/snapshot-fixture.js";
import { zlibLayer } from "./zlib-layer.js";

const credentials = testCredentials();

/** The error a promise rejects with (or undefined when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<{ code?: unknown; message?: unknown } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as { code?: unknown; message?: unknown };
  }
}

async function scanBytes(bytes: Buffer): Promise<{ findings: Finding[]; gaps: Gap[] }> {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const context: StreamContext = {
    matcher: credentials.matcher,
    limits: DEFAULT_LIMITS,
    maxDepth: 6,
    path: "blob",
    members: [],
    depth: 0,
    linkedPaths: undefined,
    findings,
    gaps,
  };
  await scanLayers(new ByteReader(Readable.from([bytes])), context);
  return { findings, gaps };
}

describe("the raw bytes of every layer", () => {
  it("finds a token appended after a gzip stream (zlib ignores trailing bytes; the raw scan does not)", async () => {
    const bytes = Buffer.concat([gzipSync("nothing here\n"), Buffer.from(`\n${credentials.classicToken}\n`)]);
    const { findings } = await scanBytes(bytes);
    expect(findings).toEqual([expect.objectContaining({ form: "token", offset: bytes.indexOf("ghs_") })]);
  });

  it("finds a token in a tar's pax header, and redact refuses to copy that header (it names the layer)", async () => {
    const tar = rawTar([
      paxEntry({ comment: credentials.classicToken }),
      tarEntry({ path: "etc/motd" }, Buffer.from("hello\n")),
    ]);
    const { findings } = await scanBytes(tar);
    expect(findings).toEqual([expect.objectContaining({ form: "token" })]);
    expect(findings[0]).not.toHaveProperty("member");
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
    const error = await rejection(
      rewriteLayers(new ByteReader(Readable.from([tar])), context, { write: () => Promise.resolve() }),
    );
    expect(error?.code).toBe("BACKUP_UNSUPPORTED_ARCHIVE");
    expect(String(error?.message)).toContain("tar layer");
  });
});

describe("zip members the walk cannot decode", () => {
  it("reports a bzip2-compressed member as a gap naming the method (its raw bytes are still scanned)", async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "key.pem"), credentials.pem);
    const zip = execFileSync("zip", ["-q", "-Z", "bzip2", "-", "key.pem"], { cwd: dir.path });
    const { findings, gaps } = await scanBytes(zip);
    expect(findings).toEqual([]);
    // Streamed (to stdout): the size is in a data descriptor, so nothing after this member can be found either.
    expect(gaps.map((gap) => gap.path)).toEqual(["blob"]);
    expect(gaps[0]?.reason).toMatch(/^unsupported-compression: zip member key.pem \(method 12\)/);
  });
});

describe("zlib detection", () => {
  it("does not take random bytes after a zlib header for a zlib stream", () => {
    for (let round = 0; round < 300; round += 1) {
      const head = Buffer.concat([Buffer.from([0x78, 0x9c]), randomBytes(HEAD_BYTES - 2)]);
      expect(zlibLayer.detect(head)).toBe(false);
    }
  });
});

describe("codecProcess", () => {
  it("fails with CODEC_UNAVAILABLE naming the Debian package when the program is not installed", async () => {
    const codec = codecProcess({ program: "connect-ops-no-such-codec", args: ["-dc"], debianPackage: "xz-utils" });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const error = await rejection(pipeline(Readable.from([Buffer.from("data")]), codec, sink));
    expect(error?.code).toBe("CODEC_UNAVAILABLE");
    expect(String(error?.message)).toContain("xz-utils");
  });

  it("fails with CODEC_FAILED and the program's first stderr line on damage", async () => {
    const codec = codecProcess({ program: "xz", args: ["-dc", "-q"], debianPackage: "xz-utils" });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const error = await rejection(pipeline(Readable.from([Buffer.from("not xz at all")]), codec, sink));
    expect(error?.code).toBe("CODEC_FAILED");
    expect(String(error?.message)).toMatch(/^xz exited 1/);
  });
});

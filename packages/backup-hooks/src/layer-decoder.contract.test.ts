import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import type { Readable } from "node:stream";
import { stringContaining, stringMatching } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { ByteReader } from "./byte-reader.js";
import { HEAD_BYTES, LAYER_DECODERS, rewriteLayers, scanLayers } from "./layer-walk.js";
import type { StreamContext } from "./scan-context.js";
import { DEFAULT_LIMITS, type Finding, type Gap } from "./scan-types.js";
import { parseTarHeader } from "./tar-header.js";
import { testCredentials } from "./test-support/credentials.js";
import { rawTar, tarEntry } from "./test-support/raw-tar.js";
import { chunkStream } from "./test-support/byte-streams.js";
import { tempDir } from "./test-support/snapshot-fixture.js";

/** The size field of the tar header at the start of `encoded`. */
function tarSize(encoded: Buffer): number {
  const header = parseTarHeader(encoded.subarray(0, 512));
  if (header === undefined) throw new Error("the fixture's tar header does not parse");
  return header.size;
}

/** A self-extracting installer's head: the payload follows its last line. */
const SCRIPT = Buffer.from('#!/bin/sh\nset -e\ntail -n +4 "$0" | tar -xz\nexit 0\n');

/**
 * How each decoder's format is made and read back in the contract below. A
 * decoder added to LAYER_DECODERS without an entry here fails the suite: add
 * one (issue 13: zlib, xz, zstd, bzip2, zip, base64, hex, …).
 */
const FORMATS: Record<string, { encode(content: Buffer): Buffer; decode(encoded: Buffer): Buffer; member?: string }> = {
  age: {
    encode: (content) => tool("age", ["-r", AGE_RECIPIENT], content),
    decode: () => {
      throw new Error("age has no rewriter");
    },
    member: "(age)",
  },
  gzip: { encode: (content) => gzipSync(content), decode: (encoded) => gunzipSync(encoded) },
  zlib: { encode: (content) => deflateSync(content), decode: (encoded) => inflateSync(encoded) },
  xz: { encode: (content) => tool("xz", ["-c"], content), decode: (encoded) => tool("xz", ["-dc"], encoded) },
  lzma: {
    encode: (content) => tool("xz", ["--format=lzma", "-c"], content),
    decode: (encoded) => tool("xz", ["--format=lzma", "-dc"], encoded),
  },
  zstd: { encode: (content) => tool("zstd", ["-qc"], content), decode: (encoded) => tool("zstd", ["-qdc"], encoded) },
  bzip2: { encode: (content) => tool("bzip2", ["-c"], content), decode: (encoded) => tool("bzip2", ["-dc"], encoded) },
  "script-payload": {
    encode: (content) => Buffer.concat([SCRIPT, gzipSync(content)]),
    decode: (encoded) => gunzipSync(encoded.subarray(SCRIPT.length)),
    member: `(payload at byte ${SCRIPT.length})`,
  },
  zip: {
    encode: (content) => {
      using dir = tempDir();
      mkdirSync(join(dir.path, "etc"));
      writeFileSync(join(dir.path, "etc/app.conf"), content);
      // To stdout: zip cannot seek back, so the sizes follow the data in a data descriptor.
      return execFileSync("zip", ["-q", "-", "etc/app.conf"], { cwd: dir.path, maxBuffer: 64 * 1024 * 1024 });
    },
    decode: (encoded) => {
      using dir = tempDir();
      writeFileSync(join(dir.path, "a.zip"), encoded);
      return execFileSync("unzip", ["-p", join(dir.path, "a.zip"), "etc/app.conf"], { maxBuffer: 64 * 1024 * 1024 });
    },
    member: "etc/app.conf",
  },
  "git-pack": {
    encode: (content) => {
      using dir = tempDir();
      execFileSync("git", ["init", "-q", "--bare", dir.path]);
      const id = execFileSync("git", ["-C", dir.path, "hash-object", "-w", "--stdin"], { input: content });
      return execFileSync("git", ["-C", dir.path, "pack-objects", "-q", "--stdout"], { input: id });
    },
    decode: () => {
      throw new Error("git-pack has no rewriter");
    },
    member: "object 0 (blob)",
  },
  tar: {
    encode: (content) => rawTar([tarEntry({ path: "etc/app.conf" }, content)]),
    decode: (encoded) => encoded.subarray(512, 512 + tarSize(encoded)),
    member: "etc/app.conf",
  },
};

/** The identity the contract's age files are sealed to (the real age CLI), held by every scan below. */
const AGE_IDENTITY =
  /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(
    execFileSync("age-keygen", [], { stdio: ["ignore", "pipe", "ignore"] }).toString(),
  )?.[0] ?? "";
const AGE_RECIPIENT = execFileSync("age-keygen", ["-y"], { input: AGE_IDENTITY }).toString().trim();

/** The real CLI of a format, bytes through stdin and stdout. */
function tool(program: string, args: string[], input: Buffer): Buffer {
  return execFileSync(program, args, { input, maxBuffer: 64 * 1024 * 1024 });
}

const credentials = testCredentials();

function chunksOf(bytes: Buffer): Readable {
  return chunkStream(bytes, 999);
}

/** A stand-in for a decoder without a fixture: the fixture test fails and names it; the others fail at encode. */
function missingFormat(kind: string): {
  encode(content: Buffer): Buffer;
  decode(encoded: Buffer): Buffer;
  member?: string;
} {
  const fail = (): never => {
    throw new Error(`no FORMATS["${kind}"] fixture`);
  };
  return { encode: fail, decode: fail };
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
    age: { knownCopies: [], identities: [AGE_IDENTITY] },
  };
  await scanLayers(new ByteReader(chunksOf(bytes)), context);
  return { findings, gaps };
}

async function rewriteBytes(bytes: Buffer, dirty: string[], scratchDir: string): Promise<Buffer> {
  const out: Buffer[] = [];
  const context = {
    matcher: credentials.matcher,
    limits: DEFAULT_LIMITS,
    maxDepth: 6,
    depth: 0,
    members: [],
    dirty: new Set(["", ...dirty]),
    scratchDir,
  };
  await rewriteLayers(new ByteReader(chunksOf(bytes)), context, {
    write: (chunk) => {
      out.push(Buffer.from(chunk));
      return Promise.resolve();
    },
  });
  return Buffer.concat(out);
}

describe.each(LAYER_DECODERS.map((decoder) => [decoder.kind, decoder] as const))(
  "layer decoder contract: %s",
  (kind, decoder) => {
    const format = FORMATS[kind] ?? missingFormat(kind);
    const content = Buffer.concat([
      randomBytes(3000).map((byte) => 0x20 + (byte % 90)),
      Buffer.from(`\n${credentials.classicToken}\n`),
      Buffer.alloc(70_000, 0x61),
    ]);
    const secretAt = 3001;

    it("has a format fixture in this suite", () => {
      expect(FORMATS[kind], `add FORMATS["${kind}"] to layer-decoder.contract.test.ts`).toBeDefined();
    });

    it("detects its own format by content and not random bytes", () => {
      expect(decoder.detect(format.encode(content).subarray(0, HEAD_BYTES))).toBe(true);
      for (let round = 0; round < 200; round += 1) expect(decoder.detect(randomBytes(HEAD_BYTES))).toBe(false);
    });

    it("hands the decoded content on: the secret is found at its offset inside the layer, no gap", async () => {
      const result = await scanBytes(format.encode(content));
      expect(result.gaps).toEqual([]);
      expect(result.findings).toEqual([
        expect.objectContaining({
          form: "token",
          offset: secretAt,
          ...(format.member ? { member: format.member } : {}),
        }),
      ]);
    });

    it.skipIf(decoder.rewrite !== undefined)(
      "has no rewriter: redacting inside it fails with the file named",
      async () => {
        using dir = tempDir();
        await expect(
          rewriteBytes(format.encode(content), format.member ? [format.member] : [], dir.path),
        ).rejects.toMatchObject({ code: "BACKUP_UNSUPPORTED_ARCHIVE", message: stringContaining(kind) });
      },
    );

    it.skipIf(decoder.rewrite === undefined)(
      "rewrites the layer: same format, decodes to the content with only the secret overwritten",
      async () => {
        using dir = tempDir();
        const output = await rewriteBytes(format.encode(content), format.member ? [format.member] : [], dir.path);
        expect(decoder.detect(output.subarray(0, HEAD_BYTES))).toBe(true);
        const expected = Buffer.from(content);
        expected.fill(0x58, secretAt, secretAt + credentials.classicToken.length);
        expect(format.decode(output).equals(expected)).toBe(true);
        expect((await scanBytes(output)).findings).toEqual([]);
      },
    );

    it("reports a truncated layer as a gap when scanning and refuses to rewrite it", async () => {
      using dir = tempDir();
      const encoded = format.encode(content);
      const truncated = encoded.subarray(0, Math.floor(encoded.length / 2));
      expect((await scanBytes(truncated)).gaps).toEqual([
        expect.objectContaining({ path: "blob", reason: stringMatching(/^corrupt-/) }),
      ]);
      await expect(rewriteBytes(truncated, format.member ? [format.member] : [], dir.path)).rejects.toMatchObject({
        code: "BACKUP_UNSUPPORTED_ARCHIVE",
      });
    });
  },
);

import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { redactSnapshot } from "./redact-snapshot.js";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { gnuTar, gzipFile, run, tempDir, write } from "./test-support/snapshot-fixture.js";
import { TEXT_ENCODERS, embed, scanBytes, tool, wordText, type TextEncoder } from "./test-support/text-encoders.js";

const credentials = testCredentials();
const secrets = [
  // A PEM block whose body an escape splits (`\u002b` for `+`) is claimed line by line first: pem-line is a finding too;
  // so is the content detector's (the private numbers, the token's secret part), when it sees the text first.
  { name: "PEM key", bytes: Buffer.from(credentials.pem), form: /^(pem-(key|line)|key-content)$/ },
  { name: "classic token", bytes: Buffer.from(credentials.classicToken), form: /^token(-content)?$/ },
  { name: "ghs_<APPID>_<JWT> token", bytes: Buffer.from(credentials.jwtToken), form: /^token(-content)?$/ },
] as const;

const stack =
  (...encoders: Array<(bytes: Buffer) => Buffer>) =>
  (bytes: Buffer): Buffer =>
    encoders.reduce((inner, encode) => encode(inner), bytes);
const byName = (name: string): TextEncoder["encode"] => {
  const encoder = TEXT_ENCODERS.find((candidate) => candidate.name === name);
  if (encoder === undefined) throw new Error(`no encoder ${name}`);
  return encoder.encode;
};

function tarGzOf(name: string, content: Buffer): Buffer {
  using dir = tempDir();
  write(join(dir.path, "staging", name), content);
  gnuTar(join(dir.path, "x.tar"), join(dir.path, "staging"), [name]);
  return readFileSync(gzipFile(join(dir.path, "x.tar")));
}

const stacks: ReadonlyArray<{ name: string; encode: (bytes: Buffer) => Buffer; lines?: boolean }> = [
  { name: "base64 of base64", encode: stack(byName("base64 (coreutils, 76 columns)"), byName("base64, no wrap")) },
  { name: "base64 of a .tar.gz (GNU tar, gzip)", encode: (bytes) => tool("base64", [], tarGzOf("key.pem", bytes)) },
  { name: "hex of a gzip stream", encode: (bytes) => Buffer.from(gzipSync(bytes).toString("hex")) },
  {
    name: "percent of base64 of JSON \\u escapes",
    encode: stack(
      byName("JSON \\u escapes (every character)"),
      byName("base64, no wrap"),
      byName("percent (encodeURIComponent)"),
    ),
  },
  {
    name: "UTF-16LE of base64",
    encode: stack(byName("base64 (coreutils, 76 columns)"), byName("UTF-16LE with BOM (iconv)")),
  },
  { name: "xxd of UTF-16BE", lines: true, encode: stack(byName("UTF-16BE without BOM (iconv)"), byName("xxd")) },
  {
    name: "JSON string of xxd -p",
    encode: stack(byName("xxd -p"), (bytes) => Buffer.from(JSON.stringify({ v: bytes.toString() }))),
  },
  { name: "UTF-8 BOM before it", encode: (bytes) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) },
  {
    name: "UTF-8 BOM before base64",
    encode: (bytes) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), tool("base64", [], bytes)]),
  },
];

const cases = [...TEXT_ENCODERS, ...stacks].flatMap((encoder) =>
  secrets.map((secret) => ({ label: `${secret.name} as ${encoder.name}`, encoder, secret })),
);

describe("text decoders: every encoding of a secret is a finding", () => {
  it.each(cases)("finds a $label inside text, with no gap", async ({ encoder, secret }) => {
    const around = wordText(900);
    const [offset = 0, delimiter = 0] = randomBytes(2);
    const bytes = embed(around, 300 + offset, encoder.encode(secret.bytes), { ...encoder }, delimiter);
    const { findings, gaps } = await scanBytes(bytes);
    expect(gaps.map((gap) => gap.reason)).toEqual([]);
    expect(
      findings.map((finding) => finding.form),
      JSON.stringify(bytes.toString("latin1")),
    ).toContainEqual(expect.stringMatching(secret.form));
  });

  it("reports text that is only words, random bytes and hashes as clean, with no gap", async () => {
    const hashes = Array.from({ length: 20 }, () => randomBytes(32).toString("hex")).join("\n");
    const base64 = Array.from({ length: 20 }, () => randomBytes(200).toString("base64")).join("\n");
    for (const bytes of [Buffer.from(wordText(50_000)), randomBytes(200_000), Buffer.from(`${hashes}\n${base64}`)]) {
      expect(await scanBytes(bytes)).toEqual({ findings: [], gaps: [] });
    }
  });
});

describe("text decoders: runs glued to words", () => {
  const glued = (encoded: string): Buffer => Buffer.from(`path: /var/logconfig${encoded}retry user=admin`);
  it.each([
    ["base64 of a key", Buffer.from(credentials.pem).toString("base64")],
    ["unpadded base64 of a token", Buffer.from(`${credentials.classicToken}x`).toString("base64").replace(/=+$/, "")],
    ["hex of a key", Buffer.from(credentials.pem).toString("hex")],
    ["hex of a token", Buffer.from(credentials.jwtToken).toString("hex")],
  ])("finds %s glued to the words around it", async (_, encoded) => {
    for (const cut of [0, 1, 2, 3]) {
      const { findings } = await scanBytes(glued(`${"abc".slice(0, cut)}${encoded}`));
      expect(findings.length, `glue of ${cut}`).toBeGreaterThan(0);
    }
  });
});

describe("text decoders: limits are gaps", () => {
  it("decodes four text layers and names the fifth a text-depth-limit gap", async () => {
    const hex = (bytes: Buffer): Buffer => Buffer.from(bytes.toString("hex"));
    const four = await scanBytes(stack(hex, hex, hex, hex)(Buffer.from(credentials.classicToken)));
    expect(four).toEqual({ findings: [expect.objectContaining({ form: "token", encoding: "hex" })], gaps: [] });
    const five = await scanBytes(stack(hex, hex, hex, hex, hex)(Buffer.from(credentials.classicToken)));
    expect(five.findings).toEqual([]);
    // The hex text at depth 4 is also a base64 candidate: each kind met is named.
    expect(five.gaps.length).toBeGreaterThan(0);
    for (const gap of five.gaps) expect(gap.reason).toMatch(/^text-depth-limit: /);
  });

  it("names a base64 archive longer than the scan window a gap, never skipping it silently", async () => {
    const big = Buffer.concat([randomBytes(1_200_000), Buffer.from(credentials.pem)]);
    const { findings, gaps } = await scanBytes(Buffer.from(`archive: ${gzipSync(big).toString("base64")}\n`));
    expect(findings).toEqual([]);
    expect(gaps.map((gap) => gap.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^text-archive-limit: /),
        expect.stringMatching(/^text-run-limit: /),
      ]),
    );
  });

  it("reports the gaps inside an embedded archive (a damaged gzip in base64) under its member name", async () => {
    const damaged = gzipSync(Buffer.from(`${credentials.pem}${wordText(5000)}`)).subarray(0, 700);
    const { gaps } = await scanBytes(Buffer.from(`blob=${damaged.toString("base64")}\n`));
    expect(gaps.map((gap) => [gap.member, gap.reason.split(":")[0]])).toEqual([["(base64)", "corrupt-gzip"]]);
  });
});

describe("text decoders across window boundaries", () => {
  it("finds an encoded key straddling the 1 MiB window once, at its offset", async () => {
    for (const encode of [byName("hex (plain)"), byName("base64 (coreutils, 76 columns)"), byName("xxd")]) {
      const encoded = encode(Buffer.from(credentials.pem));
      for (const offset of [1024 * 1024 - 1500, 1024 * 1024 + 64 * 1024 - 700]) {
        const bytes = Buffer.alloc(3 * 1024 * 1024, 0x20);
        bytes[offset - 1] = 0x0a;
        encoded.copy(bytes, offset);
        const { findings, gaps } = await scanBytes(bytes);
        expect(gaps.map((gap) => gap.reason)).toEqual([]);
        expect(findings.map((finding) => [finding.offset, finding.form])).toEqual([[offset, "pem-key"]]);
      }
    }
  }, 60_000);
});

describe("redact removes every encoded secret", () => {
  it("leaves no finding, and the decoded redacted files hold no secret", async () => {
    using dir = tempDir();
    const snapshot = join(dir.path, "snap");
    const names: string[] = [];
    for (const [index, { encoder, secret }] of cases.entries()) {
      const name = `case-${index}.txt`;
      names.push(name);
      write(
        join(snapshot, name),
        embed(wordText(400), 200, encoder.encode(secret.bytes), { ...encoder, lines: encoder.lines === true }),
      );
    }
    const before = await scanPath(snapshot, { matcher: credentials.matcher });
    const found = new Set(before.findings.map((finding) => finding.path));
    const missed = names.filter((name) => !found.has(join(snapshot, name)));
    expect(missed, missed.map((name) => readFileSync(join(snapshot, name), "latin1")).join("\n----\n")).toEqual([]);
    const report = await redactSnapshot(snapshot, { matcher: credentials.matcher, now: () => new Date(0) });
    expect(report.filesRewritten).toHaveLength(cases.length);
    const after = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(after).toMatchObject({ findings: [], gaps: [] });
    const files = readdirSync(snapshot).filter((name) => name.startsWith("case-"));
    expect(files.sort()).toEqual([...names].sort());
    for (const name of files) {
      const redacted = readFileSync(join(snapshot, name));
      // Decoded with the real tools (each reads what it can): no piece of a secret survives in any of them.
      const readings = [
        redacted,
        Buffer.from(run("sh", ["-c", `base64 -di < '${join(snapshot, name)}' || true`]), "latin1"),
        tool("sh", ["-c", "xxd -r -p || true"], redacted),
        Buffer.from(redacted.toString("latin1").replace(/\0/g, ""), "latin1"),
      ];
      for (const reading of readings)
        for (const piece of [credentials.classicToken, credentials.jwtToken.slice(0, 60), ...credentials.pemLines])
          expect(reading.includes(piece), `${name} still holds a piece of a secret`).toBe(false);
    }
  }, 60_000);
});

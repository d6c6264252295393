import { createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto";
import {
  GUARANTEED_BYTE_RUN,
  createResidueMatcher,
  deriveResidueFingerprints,
  privateNumbers,
  type ResidueFingerprints,
} from "@connect-ops/connection-core";
import { describe, expect, it } from "vitest";
import { detectSecrets } from "./detect-secrets.js";
import type { Hit } from "./hit.js";
import { testCredentials } from "./test-support/credentials.js";
import { WindowScanner, type DecodedStreamPorts, type StreamHit } from "./window-scanner.js";

const credentials = testCredentials();
const NO_PORTS: DecodedStreamPorts = { opens: () => false, walk: () => Promise.resolve([]), limit: () => undefined };
const key = createPrivateKey(credentials.pem);
const numbers = privateNumbers(credentials.pem);
const jwk = key.export({ format: "jwk" });
const [, , signature = ""] = credentials.jwtToken.split(".");
const classicSecret = credentials.classicToken.slice(4);

function scan(data: Buffer): Hit[] {
  return detectSecrets(data, 0, data.length, data.length, credentials.matcher);
}

/** `inner` at an odd offset of random bytes (random bytes hold no base64 run long enough to matter). */
function embedded(inner: Buffer, before = 1001, after = 777): { data: Buffer; at: number } {
  return { data: Buffer.concat([randomBytes(before), inner, randomBytes(after)]), at: before };
}

function covers(hits: readonly Hit[], start: number, end: number): boolean {
  return hits.some((hit) => hit.start <= start && hit.end >= end);
}

describe("detectContent: the key and tokens by their content", () => {
  const cases: Array<{ name: string; inner: Buffer; form: Hit["form"]; secret: Buffer }> = [
    {
      name: "the key as DER PKCS#1",
      inner: key.export({ type: "pkcs1", format: "der" }),
      form: "key-content",
      secret: numbers[0] ?? Buffer.alloc(0),
    },
    {
      name: "the key as DER PKCS#8",
      inner: key.export({ type: "pkcs8", format: "der" }),
      form: "key-content",
      secret: numbers[1] ?? Buffer.alloc(0),
    },
    {
      name: "the JWK (base64url private numbers)",
      inner: Buffer.from(JSON.stringify(jwk)),
      form: "key-content",
      secret: Buffer.from(jwk.d ?? ""),
    },
    {
      name: "the JWT part of a token alone",
      inner: Buffer.from(credentials.jwtToken.slice("ghs_424242_".length)),
      form: "token-content",
      secret: Buffer.from(signature),
    },
    {
      name: "a JWT-format token without ghs_",
      inner: Buffer.from(credentials.jwtToken.slice(4)),
      form: "token-content",
      secret: Buffer.from(signature),
    },
    {
      name: "a classic token without ghs_",
      inner: Buffer.from(`token=${classicSecret};`),
      form: "token-content",
      secret: Buffer.from(classicSecret),
    },
    {
      name: "the signature of a JWT-format token as bytes",
      inner: Buffer.from(signature, "base64url"),
      form: "token-content",
      secret: Buffer.from(signature, "base64url"),
    },
  ];

  for (const { name, inner, form, secret } of cases)
    it(`finds ${name}, the span covering the secret`, () => {
      const { data, at } = embedded(inner);
      const hits = scan(data);
      expect(hits.map((hit) => hit.form)).toContain(form);
      const offset = at + inner.indexOf(secret);
      expect(inner.indexOf(secret)).toBeGreaterThanOrEqual(0);
      expect(covers(hits, offset, offset + secret.length)).toBe(true);
      for (const hit of hits) expect(hit.fingerprintId).toBe(credentials.fingerprints.id);
    });

  it("finds every private number as raw bytes at odd offsets, the span exactly the number", () => {
    for (const [index, number] of numbers.entries()) {
      const { data, at } = embedded(number, 1001 + index * 7, 333);
      const hits = scan(data).filter((hit) => hit.form === "key-content");
      expect(hits.map((hit) => [hit.start, hit.end])).toEqual([[at, at + number.length]]);
    }
  });

  it(`finds any ${GUARANTEED_BYTE_RUN}-byte run of a private number, and 48 bytes anywhere in it`, () => {
    const d = numbers[0] ?? Buffer.alloc(0);
    for (const [start, length] of [
      [0, GUARANTEED_BYTE_RUN],
      [1, GUARANTEED_BYTE_RUN],
      [d.length - GUARANTEED_BYTE_RUN, GUARANTEED_BYTE_RUN],
      [77, 48],
      [131, 48],
    ] as const)
      for (const before of [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007]) {
        const slice = d.subarray(start, start + length);
        const { data, at } = embedded(slice, before);
        // The bytes around differ from the number's own neighbours, so the run is exactly the slice.
        data[at - 1] = ~(d[start - 1] ?? 0) & 0xff;
        data[at + length] = ~(d[start + length] ?? 0) & 0xff;
        const hits = scan(data).filter((hit) => hit.form === "key-content");
        expect(hits, `slice ${start}+${length} at ${before}`).toHaveLength(1);
        // The span is the run, widened by at most the two bytes no piece can vouch for.
        expect(hits[0]?.start).toBeLessThanOrEqual(at);
        expect(hits[0]?.end).toBeGreaterThanOrEqual(at + length);
        expect(at - (hits[0]?.start ?? 0)).toBeLessThanOrEqual(2);
        expect((hits[0]?.end ?? 0) - at - length).toBeLessThanOrEqual(2);
      }
  });

  it("finds both halves of a classic token split by a newline: each 18-character half holds a whole piece", () => {
    // Pieces start at characters 0, 4, …, 20 of the 36 and are 16 long: [0,16) lies in the first half,
    // [20,36) in the second. (A split at 17/19 would leave the first half without one: 17 < 19, the
    // guaranteed run, and 17 characters of base62 are too few to find without a per-character table.)
    const split = `${credentials.classicToken.slice(0, 22)}\n${credentials.classicToken.slice(22)}`;
    const { data, at } = embedded(Buffer.from(split));
    const hits = scan(data).filter((hit) => hit.form === "token-content");
    expect(hits).toHaveLength(2);
    // Secret characters [0,18) sit at at+4…, [18,36) after the newline at at+23….
    expect(covers(hits, at + 4, at + 22)).toBe(true);
    expect(covers(hits, at + 23, at + 41)).toBe(true);
    expect(hits.every((hit) => hit.variant === "classic")).toBe(true);
  });

  it("reports a whole ghs_ token once, as a token (the fast path), not again by content", () => {
    const { data, at } = embedded(Buffer.from(` ${credentials.jwtToken} `));
    const hits = scan(data);
    expect(hits.map((hit) => [hit.form, hit.start])).toEqual([["token", at + 1]]);
  });

  it("finds nothing in random bytes, in random base64, or in another key's DER and JWK", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const other = Buffer.concat([
      randomBytes(1 << 20),
      Buffer.from(randomBytes(300_000).toString("base64")),
      privateKey.export({ type: "pkcs1", format: "der" }),
      Buffer.from(JSON.stringify(privateKey.export({ format: "jwk" }))),
    ]);
    expect(scan(other)).toEqual([]);
  });

  it("finds a private number straddling the window boundary at every grid phase, once", async () => {
    const d = numbers[0] ?? Buffer.alloc(0);
    for (let phase = 0; phase < 8; phase += 1) {
      const size = 2 * 1024 * 1024 + 4096;
      const data = Buffer.alloc(size, 0x20);
      const at = 1024 * 1024 + 64 - 100 + phase; // the first window scans [0, 1 MiB + 64)
      d.copy(data, at);
      const hits: StreamHit[] = [];
      const scanner = new WindowScanner(credentials.matcher, (hit) => hits.push(hit), NO_PORTS);
      for (let offset = 0; offset < size; offset += 65536) await scanner.push(data.subarray(offset, offset + 65536));
      await scanner.finish();
      scanner.release();
      expect(hits.map((hit) => [hit.form, hit.offset, hit.length])).toEqual([["key-content", at, d.length]]);
    }
  });

  it("loads a set written before v2 (no content): it matches what it matched, and no content", () => {
    const { content: _content, ...v1 } = credentials.fingerprints;
    const matcher = createResidueMatcher([v1 satisfies ResidueFingerprints]);
    expect(matcher.content).toBeUndefined();
    expect(matcher.matchToken(credentials.classicToken)).toBe(v1.id);
    const { data } = embedded(key.export({ type: "pkcs1", format: "der" }));
    expect(detectSecrets(data, 0, data.length, data.length, matcher)).toEqual([]);
  });

  it("finds raw secret bytes inside 7-bit text, whether or not a set lets the byte loop skip text windows", () => {
    const text = (length: number) => Buffer.from("INSERT INTO `t` VALUES (1,'word more words',NULL);\n".repeat(length));
    // A signature whose bytes 60..131 are 7-bit: its set hashes every text window.
    const signatureBytes = randomBytes(256);
    for (let at = 60; at < 132; at += 1) signatureBytes[at] = (signatureBytes[at] ?? 0) & 0x7f;
    const token = `ghs_424242_${randomBytes(27).toString("base64url")}.${randomBytes(120).toString("base64url")}.${signatureBytes.toString("base64url")}`;
    const sevenBitSet = deriveResidueFingerprints({
      appId: 1,
      privateKeyPem: credentials.pem,
      tokens: [token],
      saltBytes: randomBytes(16),
    });
    const sevenBit = createResidueMatcher([sevenBitSet]);
    expect(sevenBit.content?.scansSevenBit).toBe(true);
    const stretch = signatureBytes.subarray(70, 70 + GUARANTEED_BYTE_RUN);
    for (const before of [800, 801, 803, 806]) {
      const data = Buffer.concat([text(16).subarray(0, before), stretch, text(16)]);
      const hits = detectSecrets(data, 0, data.length, data.length, sevenBit).filter(
        (hit) => hit.form === "token-content",
      );
      expect(covers(hits, before, before + stretch.length)).toBe(true);
    }
    // With every piece holding a high byte, the key's raw numbers are still found in text.
    const highBitSet = deriveResidueFingerprints({
      appId: 1,
      privateKeyPem: credentials.pem,
      tokens: [],
      saltBytes: randomBytes(16),
    });
    const marked = highBitSet.content?.secrets.map((secret) => ({ ...secret, highBitBytes: true as const })) ?? [];
    const highBit = createResidueMatcher([{ ...highBitSet, content: { scheme: "cp1", secrets: marked } }]);
    expect(highBit.content?.scansSevenBit).toBe(false);
    for (const number of numbers) {
      const data = Buffer.concat([text(16).subarray(0, 805), number, text(16)]);
      const hits = detectSecrets(data, 0, data.length, data.length, highBit).filter(
        (hit) => hit.form === "key-content",
      );
      expect(covers(hits, 805, 805 + number.length)).toBe(true);
    }
  });
});

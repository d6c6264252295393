import { stringNotContaining, testdirSync } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createResidueMatcher,
  deriveResidueFingerprints,
  keyFingerprint,
  pemBodyLines,
  withTokenFingerprint,
} from "./fingerprints.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const token = `ghs_${"a1B2c3D4e5".repeat(4)}`.slice(0, 40);

describe("keyFingerprint", () => {
  it("matches the openssl recipe GitHub documents", () => {
    using dir = testdirSync({ prefix: "fp-", files: { "key.pem": { content: pkcs1, mode: 0o600 } } });
    const file = dir.join("key.pem");
    const der = execFileSync("openssl", ["rsa", "-in", file, "-pubout", "-outform", "DER"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const expected = execFileSync("openssl", ["sha256", "-binary"], { input: der });
    expect(keyFingerprint(pkcs1)).toBe(`SHA256:${expected.toString("base64")}`);
  });

  it("is the same for PKCS#1 and PKCS#8 encodings of one key", () => {
    expect(keyFingerprint(pkcs8)).toBe(keyFingerprint(pkcs1));
  });

  it("refuses an unreadable key with a typed error that does not echo it", () => {
    expect(() => keyFingerprint("-----BEGIN RSA PRIVATE KEY-----\nnot-a-key\n-----END RSA PRIVATE KEY-----")).toThrow(
      expect.objectContaining({ code: "CORE_KEY_INVALID", message: stringNotContaining("not-a-key") }),
    );
  });
});

describe("residue fingerprints", () => {
  const fingerprints = deriveResidueFingerprints({
    appId: 42,
    privateKeyPem: pkcs1,
    tokens: [token],
    saltBytes: new Uint8Array(16).fill(7),
  });

  it("recognises every full line of the key and the token, and nothing else", () => {
    const matcher = createResidueMatcher([fingerprints]);
    const lines = pemBodyLines(pkcs1).filter((line) => line.length === 64);
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(matcher.matchPemLine(line)).toBe(fingerprints.id);
    expect(matcher.matchToken(token)).toBe(fingerprints.id);
    expect(matcher.matchToken(`${token.slice(0, -1)}x`)).toBeUndefined();
    expect(matcher.matchPemLine("A".repeat(64))).toBeUndefined();
    expect(matcher.matchKeyFingerprint(keyFingerprint(pkcs8))).toBe(fingerprints.id);
  });

  it("holds no line of the key and not the token", () => {
    const serialised = JSON.stringify(fingerprints);
    expect(serialised).not.toContain(token);
    for (const line of pemBodyLines(pkcs1)) if (line.length > 8) expect(serialised).not.toContain(line);
  });

  it("adds later tokens without duplicates, newest first", () => {
    const later = `ghs_${"Z".repeat(36)}`;
    const updated = withTokenFingerprint(withTokenFingerprint(fingerprints, later), later);
    expect(updated.tokenHashes).toHaveLength(2);
    expect(createResidueMatcher([updated]).matchToken(later)).toBe(fingerprints.id);
    expect(fingerprints.tokenHashes).toHaveLength(1);
  });
});

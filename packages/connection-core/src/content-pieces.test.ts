import { createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createContentIndex } from "./content-index.js";
import { CONTENT_SCHEME, TOKEN_PIECE_BUDGET, privateNumbers, secretPieces, tokenSecretPart } from "./content-pieces.js";
import { pieceOffsets } from "./content-tag.js";
import {
  createResidueMatcher,
  deriveResidueFingerprints,
  residueFingerprintsSchema,
  withTokenFingerprint,
} from "./fingerprints.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const jwt = () =>
  `ghs_424242_${randomBytes(27).toString("base64url")}.${randomBytes(120).toString("base64url")}.${randomBytes(256).toString("base64url")}`;
const classic = `ghs_${randomBytes(27).toString("base64").replace(/[+/]/g, "A").slice(0, 36)}`;

describe("content pieces (fingerprint set v2)", () => {
  it("derives the six private numbers of the key, big-endian, from its JWK", () => {
    const numbers = privateNumbers(pem);
    const jwk = createPrivateKey(pem).export({ format: "jwk" });
    expect(numbers.map((bytes) => bytes.toString("base64url"))).toEqual([jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi]);
  });

  it("takes only the unpredictable part of a token: the 36 characters, or the JWT's signature", () => {
    const token = jwt();
    expect(tokenSecretPart(token)?.bytes.toString("base64url")).toBe(token.split(".")[2]);
    expect(tokenSecretPart(classic)?.bytes).toEqual(Buffer.from(classic.slice(4), "base64url"));
    expect(tokenSecretPart("ghs_short")).toBeUndefined();
  });

  it("writes a set that parses back, holds no secret text, and has pieces for key and tokens", () => {
    const token = jwt();
    const set = deriveResidueFingerprints({
      appId: 1,
      privateKeyPem: pem,
      tokens: [token, classic],
      saltBytes: randomBytes(16),
    });
    const parsed = residueFingerprintsSchema.parse(JSON.parse(JSON.stringify(set)));
    expect(parsed.content?.secrets.map((secret) => secret.kind)).toEqual([
      ...Array<string>(6).fill("key"),
      "app-jwt",
      "classic",
    ]);
    const serialised = JSON.stringify(set);
    for (const secret of [
      ...privateNumbers(pem).map((bytes) => bytes.toString("base64url")),
      token.split(".")[2] ?? "",
    ])
      for (let start = 0; start + 16 <= secret.length; start += 16)
        expect(serialised).not.toContain(secret.slice(start, start + 16));
    expect(serialised).not.toContain(classic.slice(4, 20));
  });

  it("loads a v1 set (no content) unchanged, and keeps it v1 when a token is added", () => {
    const { content: _content, ...v1 } = deriveResidueFingerprints({
      appId: 1,
      privateKeyPem: pem,
      tokens: [classic],
      saltBytes: randomBytes(16),
    });
    const parsed = residueFingerprintsSchema.parse(v1);
    expect(parsed.content).toBeUndefined();
    const later = withTokenFingerprint(parsed, jwt());
    expect(later.content).toBeUndefined();
    expect(createResidueMatcher([later]).matchToken(classic)).toBe(v1.id);
  });

  it("refuses a record string whose length does not fit the secret's pieces", () => {
    const set = deriveResidueFingerprints({ appId: 1, privateKeyPem: pem, tokens: [], saltBytes: randomBytes(16) });
    const first = set.content?.secrets[0];
    expect(first).toBeDefined();
    const broken = { ...set, content: { scheme: "cp1", secrets: [{ ...first, pieces: "AAAA" }] } };
    expect(residueFingerprintsSchema.safeParse(broken).success).toBe(false);
  });

  it("keeps token pieces newest first within the budget, a re-added token moving to the front", () => {
    let set = deriveResidueFingerprints({ appId: 1, privateKeyPem: pem, tokens: [], saltBytes: randomBytes(16) });
    const tokens = Array.from({ length: 60 }, jwt);
    for (const token of tokens) set = withTokenFingerprint(set, token);
    const tokenSecrets = set.content?.secrets.filter((secret) => secret.kind !== "key") ?? [];
    const used = tokenSecrets.reduce((sum, secret) => sum + pieceOffsets(secret.length).length, 0);
    expect(used).toBeLessThanOrEqual(TOKEN_PIECE_BUDGET);
    expect(tokenSecrets.length).toBe(Math.floor(TOKEN_PIECE_BUDGET / pieceOffsets(256).length));
    const again = withTokenFingerprint(set, tokens[59] ?? "");
    expect(again.content?.secrets.filter((secret) => secret.kind !== "key")).toEqual(tokenSecrets);
    expect(set.content?.secrets.filter((secret) => secret.kind === "key")).toHaveLength(6);
  });

  it("marks a secret whose every piece holds a byte >= 0x80, and the index hashes 7-bit windows unless all are marked", () => {
    const salt = randomBytes(16).toString("base64");
    const highBit = Buffer.from(randomBytes(128).map((byte) => byte | 0x80));
    // One 7-bit stretch of 12 bytes at a piece offset (30 = 10 pieces in): that piece reads as text.
    const sevenBit = Buffer.from(highBit);
    for (let at = 30; at < 42; at += 1) sevenBit[at] = (sevenBit[at] ?? 0) & 0x7f;
    // The same stretch off the piece grid (offset 31) leaves every piece a high byte.
    const offGrid = Buffer.from(highBit);
    for (let at = 31; at < 42; at += 1) offGrid[at] = (offGrid[at] ?? 0) & 0x7f;
    expect(secretPieces("key", highBit, salt).highBitBytes).toBe(true);
    expect(secretPieces("key", sevenBit, salt).highBitBytes).toBeUndefined();
    expect(secretPieces("key", offGrid, salt).highBitBytes).toBe(true);
    const index = (...secrets: Buffer[]) =>
      createContentIndex([
        {
          id: "fp-a",
          salt,
          content: { scheme: CONTENT_SCHEME, secrets: secrets.map((s) => secretPieces("key", s, salt)) },
        },
      ]);
    expect(index(highBit, offGrid)?.scansSevenBit).toBe(false);
    expect(index(highBit, sevenBit)?.scansSevenBit).toBe(true);
    // A set written before the mark: every window is hashed, as before.
    const { highBitBytes: _mark, ...unmarked } = secretPieces("key", highBit, salt);
    expect(
      createContentIndex([{ id: "fp-b", salt, content: { scheme: CONTENT_SCHEME, secrets: [unmarked] } }])
        ?.scansSevenBit,
    ).toBe(true);
  });
});

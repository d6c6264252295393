import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SECRET_TAG_BITS, pieceDigest } from "./content-pieces.js";
import { PIECE_BYTES, PIECE_CHARS, TEXT_STRIDE, decodePieceText, hashAt, pieceOffsets } from "./content-tag.js";
import { deriveResidueFingerprints, residueFingerprintsSchema, type ResidueFingerprints } from "./fingerprints.js";

/**
 * The extension attack (issue 13): an attacker holding only a fingerprint file
 * knows the predictable part of a token (`ghs_`, the app id, the JWT header and
 * payload) and tries to rebuild the rest one character at a time, checking each
 * guess against a stored piece. The attacker below does that against any
 * construction described as pieces over character ranges of the token; it
 * brute-forces a piece when at most `budget` guesses decide it. Against our
 * construction it cannot take one step; against a deliberately weak one
 * (windows sliding over the predictable prefix) it recovers the whole token.
 */
interface AttackPiece {
  readonly charStart: number;
  readonly charEnd: number;
  /** Bits the stored tag gives away for free (the attacker enumerates only candidates that fit it). */
  readonly tagBits: number;
  verify(text: string): boolean;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE62 = BASE64URL.slice(0, 62);

interface AttackResult {
  readonly recovered: string;
  /** log2 of the HMACs the cheapest next step needs (Infinity when no piece covers it). */
  readonly log2NextStep: number;
}

function extensionAttack(
  known: string,
  total: number,
  pieces: readonly AttackPiece[],
  alphabet: string,
  budget = 2 ** 16,
): AttackResult {
  const bitsPerChar = Math.log2(alphabet.length);
  let text = known;
  while (text.length < total) {
    const at = text.length;
    const covering = pieces.filter((piece) => piece.charStart <= at && at < piece.charEnd);
    const cheapest = covering.reduce(
      (best, piece) => Math.min(best, (piece.charEnd - at) * bitsPerChar - piece.tagBits),
      Number.POSITIVE_INFINITY,
    );
    const ready = covering
      .filter((piece) => alphabet.length ** (piece.charEnd - at) <= budget)
      .sort((a, b) => a.charEnd - b.charEnd)[0];
    if (ready === undefined) return { recovered: text.slice(known.length), log2NextStep: cheapest };
    const unknown = ready.charEnd - at;
    const hits: string[] = [];
    for (let guess = 0; guess < alphabet.length ** unknown; guess += 1) {
      let suffix = "";
      for (let digit = 0, rest = guess; digit < unknown; digit += 1, rest = Math.floor(rest / alphabet.length))
        suffix += alphabet[rest % alphabet.length] ?? "";
      if (ready.verify(text + suffix)) hits.push(suffix);
    }
    if (hits.length !== 1) return { recovered: text.slice(known.length), log2NextStep: cheapest };
    text += hits[0] ?? "";
  }
  return { recovered: text.slice(known.length), log2NextStep: 0 };
}

/** Our construction as the attacker sees it: geometry from the file, checks with its salt, tags and digests. */
function attackPieces(set: ResidueFingerprints, secretIndex: number, secretStart: number): AttackPiece[] {
  const secret = set.content?.secrets[secretIndex];
  if (secret === undefined) return [];
  const records = Buffer.from(secret.pieces, "base64");
  const bits = SECRET_TAG_BITS[secret.kind];
  const window = new Uint8Array(PIECE_BYTES);
  return pieceOffsets(secret.length).map((offset, index) => {
    const charStart = secretStart + (offset / 3) * TEXT_STRIDE;
    return {
      charStart,
      charEnd: charStart + PIECE_CHARS,
      tagBits: bits,
      verify(text) {
        decodePieceText(Buffer.from(text.slice(charStart, charStart + PIECE_CHARS)), 0, window);
        if (hashAt(window, 0) >>> (32 - bits) !== records.readUIntBE(index * 11, 3)) return false;
        return pieceDigest(set.salt, window).equals(records.subarray(index * 11 + 3, index * 11 + 11));
      },
    };
  });
}

/** The weak construction: a tagged HMAC of every 16-character window of the whole token text. */
function weakPieces(token: string, salt: string): AttackPiece[] {
  const digest = (text: string) => createHmac("sha256", salt).update(text).digest("hex").slice(0, 16);
  const stored = Array.from({ length: token.length - PIECE_CHARS + 1 }, (_, start) =>
    digest(token.slice(start, start + PIECE_CHARS)),
  );
  return stored.map((value, start) => ({
    charStart: start,
    charEnd: start + PIECE_CHARS,
    tagBits: 22,
    verify: (text) => digest(text.slice(start, start + PIECE_CHARS)) === value,
  }));
}

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT" })).toString("base64url");
const payload = Buffer.from(JSON.stringify({ iss: "424242", iat: 1_780_000_000, exp: 1_780_003_600 })).toString(
  "base64url",
);
const predictable = `ghs_424242_${header}.${payload}.`;
const jwtToken = `${predictable}${randomBytes(256).toString("base64url")}`;
const classicToken = `ghs_${Array.from(randomBytes(36), (byte) => BASE62[byte % 62]).join("")}`;
// Only the file: serialised and parsed back, as an attacker would read it.
const file = residueFingerprintsSchema.parse(
  JSON.parse(
    JSON.stringify(
      deriveResidueFingerprints({
        appId: 424242,
        privateKeyPem: pem,
        tokens: [jwtToken, classicToken],
        saltBytes: randomBytes(16),
      }),
    ),
  ),
);
const secrets = file.content?.secrets ?? [];
const jwtIndex = secrets.findIndex((secret) => secret.kind === "app-jwt");
const classicIndex = secrets.findIndex((secret) => secret.kind === "classic");

describe("the extension attack on the content pieces", () => {
  it("cannot take one step from a JWT-format token's predictable prefix: the next needs 2^74 HMACs", () => {
    const result = extensionAttack(
      predictable,
      jwtToken.length,
      attackPieces(file, jwtIndex, predictable.length),
      BASE64URL,
    );
    expect(result.recovered).toBe("");
    expect(result.log2NextStep).toBeGreaterThanOrEqual(64);
    expect(result.log2NextStep).toBe(16 * 6 - 22);
  });

  it("cannot take one step into a classic token after ghs_: the next needs 2^76 HMACs", () => {
    const result = extensionAttack("ghs_", classicToken.length, attackPieces(file, classicIndex, 4), BASE62);
    expect(result.recovered).toBe("");
    expect(result.log2NextStep).toBeGreaterThanOrEqual(64);
  });

  it("holds no piece over predictable text: no window touching it, read as bytes or base64, matches a stored piece", () => {
    const stored = new Set(
      secrets.flatMap((secret) => {
        const records = Buffer.from(secret.pieces, "base64");
        return pieceOffsets(secret.length).map((_, index) =>
          records.subarray(index * 11 + 3, index * 11 + 11).toString("hex"),
        );
      }),
    );
    const text = Buffer.from(jwtToken);
    const window = new Uint8Array(PIECE_BYTES);
    let tried = 0;
    for (let start = 0; start < predictable.length; start += 1) {
      decodePieceText(text, start, window);
      expect(stored.has(pieceDigest(file.salt, window).toString("hex"))).toBe(false);
      expect(stored.has(pieceDigest(file.salt, text.subarray(start, start + PIECE_BYTES)).toString("hex"))).toBe(false);
      tried += 2;
    }
    expect(tried).toBe(predictable.length * 2);
  });

  it("leaks at most 22 bits per piece, and every piece and every secret keeps 64+ bits after all its tags", () => {
    const entropyPerByte = { key: 8, "app-jwt": 8, classic: (4 / 3) * Math.log2(62) } as const;
    for (const secret of secrets) {
      const bits = SECRET_TAG_BITS[secret.kind];
      const records = Buffer.from(secret.pieces, "base64");
      const count = pieceOffsets(secret.length).length;
      expect(bits).toBeLessThanOrEqual(22);
      for (let index = 0; index < count; index += 1) expect(records.readUIntBE(index * 11, 3)).toBeLessThan(2 ** bits);
      const pieceEntropy = PIECE_BYTES * entropyPerByte[secret.kind];
      expect(pieceEntropy - bits).toBeGreaterThanOrEqual(64);
      // Each step to the next piece adds 3 bytes (4 characters) of the secret and gives away `bits`.
      expect(3 * entropyPerByte[secret.kind]).toBeGreaterThan(bits);
      // A classic token's last 6 characters may be a CRC32 of the rest: count only 30 characters then.
      const secretEntropy = secret.kind === "classic" ? 30 * Math.log2(62) : secret.length * 8;
      expect(secretEntropy - count * bits).toBeGreaterThanOrEqual(64);
    }
  });

  it("catches a weak construction: windows sliding over the predictable prefix give the token up one character at a time", () => {
    const result = extensionAttack(predictable, jwtToken.length, weakPieces(jwtToken, file.salt), BASE64URL);
    expect(`${predictable}${result.recovered}`).toBe(jwtToken);
  });
});

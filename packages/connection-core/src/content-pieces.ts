import { createHmac, createPrivateKey, type KeyObject } from "node:crypto";
import * as z from "zod";
import { PIECE_BYTES, PIECE_CHARS, TEXT_STRIDE, hashAt, pieceOffsets } from "./content-tag.js";

/**
 * Content pieces (fingerprint set v2): what lets a scan recognise the App
 * key's private numbers and each token's unpredictable part in any byte
 * stream, whatever encodes them, without keeping anything that rebuilds them.
 * The construction and its accounting are in docs/security-model.md.
 */

/** The construction's id; a set written with another one is refused by the schema. */
export const CONTENT_SCHEME = "cp1";
/** Bytes per stored piece: the tag (3 bytes, big-endian) and the first 8 bytes of the HMAC. */
const RECORD_BYTES = 11;
const DIGEST_BYTES = 8;
/**
 * Pieces kept for tokens per set, newest first: about 49 tokens of the
 * `ghs_<APPID>_<JWT>` form (83 pieces each), or every classic token (6 each).
 * The scan's prefilter slows with the number of pieces; older tokens are still
 * recognised whole (`tokenHashes`).
 */
export const TOKEN_PIECE_BUDGET = 4096;
/** Longest secret accepted (a 16384-bit modulus's private exponent). */
const MAX_SECRET_BYTES = 2048;

/**
 * Tag bits stored per piece, by kind of secret. 22 for random bytes (a private
 * number, an RSA signature): 3 bytes of entropy per piece step, 22 bits leaked.
 * 19 for a classic token: its last six characters may be a CRC32 of the first
 * thirty (GitHub's format), so its 178.6 random bits must outlast six tags.
 */
export const SECRET_TAG_BITS = { key: 22, "app-jwt": 22, classic: 19 } as const;
export type ContentSecretKind = keyof typeof SECRET_TAG_BITS;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

export const contentSecretSchema = z
  .object({
    kind: z.enum(["key", "app-jwt", "classic"]),
    /** Length in bytes of the secret (the private number, the token's decoded secret part). */
    length: z.number().int().min(PIECE_BYTES).max(MAX_SECRET_BYTES),
    /** The pieces in offset order, RECORD_BYTES each, base64. */
    pieces: base64,
    /** Set when some piece's base64url text uses only `[0-9A-Fa-f-]`: the scanner then reads hex runs too. */
    hexishText: z.literal(true).optional(),
    /**
     * Set when every piece's 12 bytes hold a byte of 0x80 or more (all but about 1 in 50
     * random secrets): the byte scanner then skips windows of 7-bit bytes (text).
     * A set without it (older ones too) has every window hashed.
     */
    highBitBytes: z.literal(true).optional(),
  })
  .refine(
    (secret) => Buffer.from(secret.pieces, "base64").length === pieceOffsets(secret.length).length * RECORD_BYTES,
    {
      message: "pieces must hold one record per piece offset",
      path: ["pieces"],
    },
  );
export type ContentSecret = z.infer<typeof contentSecretSchema>;

export const contentPiecesSchema = z.object({
  scheme: z.literal(CONTENT_SCHEME),
  /** The key's private numbers (d, p, q, dp, dq, qi), then tokens newest first. */
  secrets: z.array(contentSecretSchema).max(4096),
});
export type ContentPieces = z.infer<typeof contentPiecesSchema>;

/** The salted digest of one piece (8 bytes); `salt` as a string or as the secret key made of its UTF-8 bytes. */
export function pieceDigest(salt: string | KeyObject, window: Uint8Array): Buffer {
  return createHmac("sha256", salt).update(`${CONTENT_SCHEME}\0`).update(window).digest().subarray(0, DIGEST_BYTES);
}

const HEXISH = new Uint8Array(256);
for (const char of "0123456789abcdefABCDEF-") HEXISH[char.charCodeAt(0)] = 1;

function isHexish(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (HEXISH[text.charCodeAt(index)] !== 1) return false;
  return true;
}

/** Derives the stored pieces of one secret. */
export function secretPieces(kind: ContentSecretKind, secret: Uint8Array, salt: string): ContentSecret {
  const offsets = pieceOffsets(secret.length);
  const records = Buffer.alloc(offsets.length * RECORD_BYTES);
  const shift = 32 - SECRET_TAG_BITS[kind];
  const text = Buffer.from(secret).toString("base64url");
  let hexishText = false;
  let highBitBytes = true;
  for (const [index, offset] of offsets.entries()) {
    const window = secret.subarray(offset, offset + PIECE_BYTES);
    records.writeUIntBE(hashAt(window, 0) >>> shift, index * RECORD_BYTES, 3);
    pieceDigest(salt, window).copy(records, index * RECORD_BYTES + 3);
    const textAt = (offset / 3) * TEXT_STRIDE;
    if (isHexish(text.slice(textAt, textAt + PIECE_CHARS))) hexishText = true;
    if (window.every((byte) => byte < 0x80)) highBitBytes = false;
  }
  return {
    kind,
    length: secret.length,
    pieces: records.toString("base64"),
    ...(hexishText ? { hexishText: true as const } : {}),
    ...(highBitBytes ? { highBitBytes: true as const } : {}),
  };
}

/** The stored tag and digest of piece `index` of a secret's decoded records. */
export function pieceRecord(records: Buffer, index: number): { tag: number; digest: Buffer } {
  return {
    tag: records.readUIntBE(index * RECORD_BYTES, 3),
    digest: records.subarray(index * RECORD_BYTES + 3, (index + 1) * RECORD_BYTES),
  };
}

const CLASSIC = /^ghs_([A-Za-z0-9]{36})$/;
const APP_JWT = /^ghs_\d+_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)$/;

/**
 * The unpredictable part of an installation token as bytes: the 36 characters
 * after `ghs_` of a classic token, read as base64url (the scanner reads text
 * that way), or the signature of a `ghs_<APPID>_<JWT>` token. Never the
 * prefix, the app id, or the JWT's header and payload, which an attacker can
 * predict. Undefined for a token of neither form.
 */
export function tokenSecretPart(token: string): { kind: "classic" | "app-jwt"; bytes: Buffer } | undefined {
  const classic = CLASSIC.exec(token)?.[1];
  if (classic !== undefined) return { kind: "classic", bytes: Buffer.from(classic, "base64url") };
  const signature = APP_JWT.exec(token)?.[1];
  if (signature === undefined || signature.length < PIECE_CHARS) return undefined;
  return { kind: "app-jwt", bytes: Buffer.from(signature, "base64url") };
}

/** The RSA private numbers of a PEM key as big-endian bytes, from its JWK export. */
export function privateNumbers(privateKeyPem: string): Buffer[] {
  const jwk = createPrivateKey({ key: privateKeyPem, format: "pem" }).export({ format: "jwk" });
  return [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi]
    .filter((value): value is string => value !== undefined)
    .map((value) => Buffer.from(value, "base64url"))
    .filter((bytes) => bytes.length >= PIECE_BYTES);
}

/** The pieces of a token, or undefined when it has no recognised secret part. */
export function tokenPieces(token: string, salt: string): ContentSecret | undefined {
  const part = tokenSecretPart(token);
  return part === undefined ? undefined : secretPieces(part.kind, part.bytes, salt);
}

/** The pieces of one fingerprint set: the key's numbers and the tokens (newest first), within budget. */
export function deriveContentPieces(privateKeyPem: string, tokens: readonly string[], salt: string): ContentPieces {
  const keySecrets = privateNumbers(privateKeyPem).map((bytes) => secretPieces("key", bytes, salt));
  const tokenSecrets = tokens
    .map((token) => tokenPieces(token, salt))
    .filter((secret): secret is ContentSecret => secret !== undefined);
  return { scheme: CONTENT_SCHEME, secrets: [...keySecrets, ...withinBudget(tokenSecrets)] };
}

/** Adds a token's pieces in front of the older ones (a token already there moves to the front). */
export function withTokenPieces(pieces: ContentPieces, token: string, salt: string): ContentPieces {
  const added = tokenPieces(token, salt);
  if (added === undefined) return pieces;
  const keySecrets = pieces.secrets.filter((secret) => secret.kind === "key");
  const older = pieces.secrets.filter((secret) => secret.kind !== "key" && secret.pieces !== added.pieces);
  return { ...pieces, secrets: [...keySecrets, ...withinBudget([added, ...older])] };
}

function withinBudget(tokenSecrets: readonly ContentSecret[]): ContentSecret[] {
  const kept: ContentSecret[] = [];
  let used = 0;
  for (const secret of tokenSecrets) {
    used += pieceOffsets(secret.length).length;
    if (used > TOKEN_PIECE_BUDGET) break;
    kept.push(secret);
  }
  return kept;
}

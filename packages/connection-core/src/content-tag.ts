/**
 * The public, unkeyed parts of the content-piece construction (fingerprint set
 * v2, docs/security-model.md "Content pieces"): the geometry of the pieces and
 * the prefilter tag. Derivation (content-pieces.ts) and the scanner's hot loops
 * (backup-hooks content-detect.ts) both use these, so the two cannot drift.
 *
 * A secret is a byte string (a private number, a token's decoded secret part).
 * Its pieces are the PIECE_BYTES-byte windows at offsets 0, PIECE_STRIDE, 2 *
 * PIECE_STRIDE, … . Each stored piece is a short tag of the window (the
 * prefilter) plus a salted HMAC (the proof).
 */

/** Bytes per piece: 96 bits of a random secret, at least 74 of them left after its tag. */
export const PIECE_BYTES = 12;
/** Offset between consecutive pieces of a secret. */
export const PIECE_STRIDE = 3;
/**
 * Bits of the piece hash the scanner's bitmap is indexed by: 2^20 bits, 128 KB,
 * stays in the L2 cache. A piece whose stored tag is shorter (a classic
 * token's 19 bits, content-pieces.ts SECRET_TAG_BITS) sets every bit its tag
 * allows.
 */
export const PREFILTER_BITS = 20;
/**
 * The byte scanner hashes the window at every GRID-th byte (absolute buffer
 * address). GRID and PIECE_STRIDE are coprime, so every run of
 * PIECE_BYTES + GRID * PIECE_STRIDE - 1 = 35 bytes of a secret holds a piece
 * that starts on the grid (Chinese remainder theorem).
 */
export const GRID = 8;
/** Bytes of a secret the byte scanner is guaranteed to find (issue 13 asks for 48). */
export const GUARANTEED_BYTE_RUN = PIECE_BYTES + GRID * PIECE_STRIDE - 1;
/** Base64 characters of one piece: four quanta, decoded to PIECE_BYTES bytes. */
export const PIECE_CHARS = 16;
/** Base64 characters between text pieces (one quantum = PIECE_STRIDE bytes). */
export const TEXT_STRIDE = 4;
/** Characters of a secret's base64(url) text the text scanner is guaranteed to find (issue 13 asks for 22). */
export const GUARANTEED_TEXT_RUN = PIECE_CHARS + TEXT_STRIDE - 1;

/**
 * The 32-bit hash of a 12-byte window given as three little-endian words; a
 * piece's tag is its top bits. Any function of the window would do for secrecy
 * (a stored tag is counted as leaked in full); this multiply-xorshift mix
 * spreads structured data (zeros, text) over the whole tag space.
 */
export function pieceHash(word0: number, word1: number, word2: number): number {
  let hash = Math.imul(word0, 0xcc9e2d51) ^ word1;
  hash = Math.imul(hash ^ (hash >>> 15), 0x85ebca6b) ^ word2;
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** The little-endian 32-bit word at `offset` of `bytes` (any alignment). */
export function wordAt(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] ?? 0) |
    ((bytes[offset + 1] ?? 0) << 8) |
    ((bytes[offset + 2] ?? 0) << 16) |
    ((bytes[offset + 3] ?? 0) << 24)
  );
}

/** The hash of the window at `offset` of `bytes` (PIECE_BYTES bytes must follow). */
export function hashAt(bytes: Uint8Array, offset: number): number {
  return pieceHash(wordAt(bytes, offset), wordAt(bytes, offset + 4), wordAt(bytes, offset + 8));
}

/** Not a base64 character in SEXTET. */
export const NOT_BASE64 = 255;

/**
 * Base64 and base64url in one table (`+` and `-` are 62, `/` and `_` are 63):
 * a secret's text is found whichever alphabet wrote it.
 */
export const SEXTET: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(NOT_BASE64);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (let index = 0; index < alphabet.length; index += 1) table[alphabet.charCodeAt(index)] = index;
  table[0x2b] = 62; // +
  table[0x2d] = 62; // -
  table[0x2f] = 63; // /
  table[0x5f] = 63; // _
  return table;
})();

/**
 * Decodes the PIECE_CHARS base64 characters at `offset` of `text` into `out`
 * (PIECE_BYTES bytes). The caller has checked that they are all base64.
 */
export function decodePieceText(text: Uint8Array, offset: number, out: Uint8Array): void {
  for (let quantum = 0; quantum < 4; quantum += 1) {
    const at = offset + quantum * 4;
    const value =
      ((SEXTET[text[at] ?? 0] ?? 0) << 18) |
      ((SEXTET[text[at + 1] ?? 0] ?? 0) << 12) |
      ((SEXTET[text[at + 2] ?? 0] ?? 0) << 6) |
      (SEXTET[text[at + 3] ?? 0] ?? 0);
    out[quantum * 3] = value >>> 16;
    out[quantum * 3 + 1] = (value >>> 8) & 0xff;
    out[quantum * 3 + 2] = value & 0xff;
  }
}

/** Offsets of the pieces of a secret of `length` bytes. */
export function pieceOffsets(length: number): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset + PIECE_BYTES <= length; offset += PIECE_STRIDE) offsets.push(offset);
  return offsets;
}

import {
  NOT_BASE64,
  PIECE_CHARS,
  PREFILTER_BITS,
  SEXTET,
  pieceHash,
  type ContentIndex,
  type ContentMatch,
} from "@connect-ops/connection-core";
import type { DetectScope, Hit } from "./hit.js";

/**
 * The text half of the content detector: inside a base64 run (found by the
 * byte loop of content-detect.ts), every position's 16 characters are decoded
 * to 12 bytes and hashed as a piece. Every 19-character run of a secret's
 * base64 or base64url text holds a piece.
 */

const PREFIX_SHIFT = 32 - PREFILTER_BITS;

/** Records a confirmed match as a hit and claims its span. */
export function reportContent(scope: DetectScope, match: ContentMatch, text: boolean): void {
  const encoding: Hit["encoding"] = text && match.kind === "key" ? "base64" : "raw";
  scope.hits.push({
    start: match.start,
    end: match.end,
    form: match.kind === "key" ? "key-content" : "token-content",
    encoding,
    ...(match.kind === "key" ? {} : { variant: match.kind }),
    fingerprintId: match.fingerprintId,
  });
  scope.covered.add(match.start, match.end);
}

function sextetAt(buf: Uint8Array, at: number): number {
  return SEXTET[buf[at] ?? 0] ?? NOT_BASE64;
}

/** Bytes per text block: every base64 run of 15+ characters holds a whole GRID-aligned block. */
export const TEXT_BLOCK = 8;

/** 1 at `a | b << 7` when the 7-bit characters a and b are both base64 (16 KB, from SEXTET). */
const BASE64_PAIR = (() => {
  const table = new Uint8Array(1 << 14);
  for (let low = 0; low < 0x80; low += 1)
    for (let high = 0; high < 0x80; high += 1)
      if (SEXTET[low] !== NOT_BASE64 && SEXTET[high] !== NOT_BASE64) table[low | (high << 7)] = 1;
  return table;
})();

/** The BASE64_PAIR entry of the two 7-bit characters in the low 16 bits of `pair`. */
function pairClass(pair: number): number {
  return BASE64_PAIR[(pair & 0x7f) | ((pair >>> 1) & 0x3f80)] ?? 0;
}

/**
 * Whether the block of 8 bytes given as two little-endian words, none with its
 * high bit set (the caller checked), is all base64: four lookups, no branch on
 * the data, so the byte loop's test of every ASCII block costs little.
 */
export function isBase64Block(word0: number, word1: number): boolean {
  return (pairClass(word0) & pairClass(word0 >>> 16) & pairClass(word1) & pairClass(word1 >>> 16)) === 1;
}

/**
 * Called by the byte loop for a GRID-aligned block of 8 ASCII bytes at `at`:
 * when all are base64, the run around it is scanned. Returns where the text
 * is done (the run's end), so the blocks inside the run are not looked at again.
 */
export function scanTextBlock(scope: DetectScope, index: ContentIndex, at: number): number {
  const { buf, end } = scope;
  for (let offset = 0; offset < TEXT_BLOCK; offset += 1) if (sextetAt(buf, at + offset) === NOT_BASE64) return at;
  let runStart = at;
  while (runStart > 0 && sextetAt(buf, runStart - 1) !== NOT_BASE64) runStart -= 1;
  let runEnd = at + TEXT_BLOCK;
  while (runEnd < end && sextetAt(buf, runEnd) !== NOT_BASE64) runEnd += 1;
  if (runEnd - runStart >= PIECE_CHARS) scanRun(scope, index, runStart, runEnd);
  return runEnd;
}

/** Set in CHAR_CLASS for the characters of hex and UUIDs, `[0-9A-Fa-f-]`. */
const HEXISH_BIT = 0x40;

/** SEXTET's value, plus HEXISH_BIT for `[0-9A-Fa-f-]`: one lookup per character of a run gives both. */
const CHAR_CLASS = (() => {
  const table = SEXTET.slice();
  for (const char of "0123456789abcdefABCDEF-")
    table[char.charCodeAt(0)] = (SEXTET[char.charCodeAt(0)] ?? 0) | HEXISH_BIT;
  return table;
})();

/** The word with its bytes in reverse order (big-endian decoded bits to a little-endian word). */
function swapBytes(word: number): number {
  return (word >>> 24) | ((word >>> 8) & 0xff00) | ((word & 0xff00) << 8) | (word << 24);
}

/**
 * The first window position in [first, last] whose 16 characters are not all
 * `[0-9A-Fa-f-]` (last + 1 when there is none): a hex run (a SHA-1, a UUID) is
 * passed over with one lookup per character.
 */
function firstNotHexish(buf: Uint8Array, first: number, last: number): number {
  for (let at = first; at <= last + PIECE_CHARS - 1; at += 1)
    if (((CHAR_CLASS[buf[at] ?? 0] ?? 0) & HEXISH_BIT) === 0) return Math.max(first, at - PIECE_CHARS + 1);
  return last + 1;
}

/** Every window position of one base64 run [runStart, runEnd) that lies in [from, to). */
function scanRun(scope: DetectScope, index: ContentIndex, runStart: number, runEnd: number): void {
  const { buf, from, to } = scope;
  const { prefilter, scansHexish } = index;
  const last = Math.min(runEnd - PIECE_CHARS, to - 1);
  const first = scansHexish ? Math.max(runStart, from) : firstNotHexish(buf, Math.max(runStart, from), last);
  if (first > last) return;
  // The 96 decoded bits of the window at `position` (its 16 sextets), big-endian in three words:
  // one character moves the window on by a 6-bit shift, so each character is looked up once.
  let high = 0;
  let middle = 0;
  let low = 0;
  let lastNonHexish = first - 1;
  for (let position = first - PIECE_CHARS + 1; position <= last; position += 1) {
    const incoming = position + PIECE_CHARS - 1;
    const charClass = CHAR_CLASS[buf[incoming] ?? 0] ?? 0;
    high = (high << 6) | (middle >>> 26);
    middle = (middle << 6) | (low >>> 26);
    low = (low << 6) | (charClass & 0x3f);
    if ((charClass & HEXISH_BIT) === 0) lastNonHexish = incoming;
    if (position < first) continue;
    // All of [0-9A-Fa-f-] (hex, UUIDs): no stored piece reads so unless a set says one does.
    if (lastNonHexish < position && !scansHexish) continue;
    // The 12 decoded bytes as three little-endian words.
    const word0 = swapBytes(high);
    const word1 = swapBytes(middle);
    const word2 = swapBytes(low);
    const hash = pieceHash(word0, word1, word2);
    const prefix = hash >>> PREFIX_SHIFT;
    if (((prefilter[prefix >>> 3] ?? 0) & (1 << (prefix & 7))) === 0) continue;
    if (scope.covered.overlaps(position, position + PIECE_CHARS)) continue;
    const match = index.matchText(buf, position, hash, runStart, runEnd);
    if (match === undefined) continue;
    // A match whose first piece lies left of `from` was reported by the window before.
    if (match.anchor >= from) reportContent(scope, match, true);
    // The rest of the run after the match is a run of its own.
    scanRun(scope, index, match.end, runEnd);
    return;
  }
}

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

const HEXISH = new Uint8Array(256);
for (const char of "0123456789abcdefABCDEF-") HEXISH[char.charCodeAt(0)] = 1;

function sextetAt(buf: Uint8Array, at: number): number {
  return SEXTET[buf[at] ?? 0] ?? NOT_BASE64;
}

/** Bytes per text block: every base64 run of 15+ characters holds a whole GRID-aligned block. */
export const TEXT_BLOCK = 8;

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

/** The 24-bit value of the base64 quantum (4 characters) at `at`. */
function quantumAt(buf: Uint8Array, at: number): number {
  return (
    (sextetAt(buf, at) << 18) | (sextetAt(buf, at + 1) << 12) | (sextetAt(buf, at + 2) << 6) | sextetAt(buf, at + 3)
  );
}

/** Every window position of one base64 run [runStart, runEnd) that lies in [from, to). */
function scanRun(scope: DetectScope, index: ContentIndex, runStart: number, runEnd: number): void {
  const { buf, from, to } = scope;
  const { prefilter, scansHexish } = index;
  const first = Math.max(runStart, from);
  const last = Math.min(runEnd - PIECE_CHARS, to - 1);
  if (first > last) return;
  // The four quanta of the window at `position`, rolled one character at a time.
  let quantum0 = quantumAt(buf, first);
  let quantum1 = quantumAt(buf, first + 4);
  let quantum2 = quantumAt(buf, first + 8);
  let quantum3 = quantumAt(buf, first + 12);
  let lastNonHexish = first - 1;
  for (let at = first; at < first + PIECE_CHARS - 1; at += 1) if (HEXISH[buf[at] ?? 0] !== 1) lastNonHexish = at;
  for (let position = first; position <= last; position += 1) {
    if (position > first) {
      quantum0 = ((quantum0 << 6) | sextetAt(buf, position + 3)) & 0xffffff;
      quantum1 = ((quantum1 << 6) | sextetAt(buf, position + 7)) & 0xffffff;
      quantum2 = ((quantum2 << 6) | sextetAt(buf, position + 11)) & 0xffffff;
      quantum3 = ((quantum3 << 6) | sextetAt(buf, position + 15)) & 0xffffff;
    }
    if (HEXISH[buf[position + PIECE_CHARS - 1] ?? 0] !== 1) lastNonHexish = position + PIECE_CHARS - 1;
    // All of [0-9A-Fa-f-] (hex, UUIDs): no stored piece reads so unless a set says one does.
    if (lastNonHexish < position && !scansHexish) continue;
    // The 12 decoded bytes as three little-endian words (byte 0 is the top of quantum 0).
    const word0 =
      (quantum0 >>> 16) | (((quantum0 >>> 8) & 0xff) << 8) | ((quantum0 & 0xff) << 16) | ((quantum1 >>> 16) << 24);
    const word1 =
      ((quantum1 >>> 8) & 0xff) |
      ((quantum1 & 0xff) << 8) |
      ((quantum2 >>> 16) << 16) |
      (((quantum2 >>> 8) & 0xff) << 24);
    const word2 =
      (quantum2 & 0xff) | ((quantum3 >>> 16) << 8) | (((quantum3 >>> 8) & 0xff) << 16) | ((quantum3 & 0xff) << 24);
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

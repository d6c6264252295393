import {
  GRID,
  NOT_BASE64,
  PIECE_BYTES,
  PIECE_CHARS,
  PREFILTER_BITS,
  SEXTET,
  pieceHash,
  type ContentIndex,
  type ContentMatch,
} from "@connect-ops/connection-core";
import type { DetectScope, Hit } from "./hit.js";

/**
 * Finds the credentials by their content (fingerprint set v2): a run of a
 * private number's bytes, or of a token's secret part (or a private number) as
 * base64/base64url text, whatever surrounds it. Two loops share one piece
 * table (connection-core content-tag.ts):
 *
 * - bytes: the 12-byte window at every 8th byte (of the buffer's address, so
 *   the grid is the same in every window of a stream) is hashed from three
 *   aligned words and looked up in a 64 KB bitmap. Every 35-byte run of a
 *   secret holds a piece on the grid.
 * - text: base64 runs of 16+ characters are found by probing (binary fails on
 *   the first probe 3 times in 4, text within a word); inside a run, every
 *   position's 16 characters are decoded to 12 bytes and hashed the same way.
 *   Every 19-character run of a secret's text holds a piece.
 *
 * Only a set bitmap bit costs more: the stored tags, then the salted HMAC.
 */
export function detectContent(scope: DetectScope): void {
  const index = scope.matcher.content;
  if (index === undefined) return;
  scanBytes(scope, index);
  scanText(scope, index);
}

const PREFIX_SHIFT = 32 - PREFILTER_BITS;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function report(scope: DetectScope, match: ContentMatch, text: boolean): void {
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

/** Handles a set bitmap bit of the byte loop; returns where the loop goes on. */
function byteCandidate(scope: DetectScope, index: ContentIndex, position: number, hash: number): number {
  if (scope.covered.overlaps(position, position + PIECE_BYTES)) return position + GRID;
  const match = index.matchBytes(scope.buf, position, hash, scope.end);
  if (match === undefined) return position + GRID;
  // A match whose first piece lies left of `from` was reported by the window before.
  if (match.anchor >= scope.from) report(scope, match, false);
  return match.end + ((GRID - ((scope.buf.byteOffset + match.end) % GRID)) % GRID);
}

function scanBytes(scope: DetectScope, index: ContentIndex): void {
  const { buf, from, to, end } = scope;
  const { prefilter } = index;
  const last = Math.min(to, end - PIECE_BYTES + 1);
  const position = from + ((GRID - ((buf.byteOffset + from) % GRID)) % GRID);
  if (position >= last) return;
  if (!LITTLE_ENDIAN) {
    scanBytesPortable(scope, index, position, last);
    return;
  }
  // The grid is 8-aligned in memory, so the words of a window are aligned Int32 reads.
  const words = new Int32Array(buf.buffer, buf.byteOffset + position, (end - position) >>> 2);
  let word = 0;
  const lastWord = (last - position + 3) >>> 2;
  while (word < lastWord) {
    const hash = pieceHash(words[word] ?? 0, words[word + 1] ?? 0, words[word + 2] ?? 0);
    const prefix = hash >>> PREFIX_SHIFT;
    if (((prefilter[prefix >>> 3] ?? 0) & (1 << (prefix & 7))) === 0) {
      word += GRID >>> 2;
      continue;
    }
    const next = byteCandidate(scope, index, position + (word << 2), hash);
    word = (next - position) >>> 2;
  }
}

/** The same loop with byte reads, for a big-endian host. */
function scanBytesPortable(scope: DetectScope, index: ContentIndex, first: number, last: number): void {
  const { buf } = scope;
  let position = first;
  while (position < last) {
    const word = (at: number) =>
      (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24);
    const hash = pieceHash(word(position), word(position + 4), word(position + 8));
    const prefix = hash >>> PREFIX_SHIFT;
    if (((index.prefilter[prefix >>> 3] ?? 0) & (1 << (prefix & 7))) === 0) position += GRID;
    else position = byteCandidate(scope, index, position, hash);
  }
}

const HEXISH = new Uint8Array(256);
for (const char of "0123456789abcdefABCDEF-") HEXISH[char.charCodeAt(0)] = 1;

function sextetAt(buf: Uint8Array, at: number): number {
  return SEXTET[buf[at] ?? 0] ?? NOT_BASE64;
}

function scanText(scope: DetectScope, index: ContentIndex): void {
  const { buf, from, to, end } = scope;
  let start = from;
  while (start < to && start + PIECE_CHARS <= end) {
    // Probe the last character of a 16-character window, then walk back.
    const probe = start + PIECE_CHARS - 1;
    if (sextetAt(buf, probe) === NOT_BASE64) {
      start = probe + 1;
      continue;
    }
    let back = probe - 1;
    while (back >= start && sextetAt(buf, back) !== NOT_BASE64) back -= 1;
    if (back >= start) {
      start = back + 1;
      continue;
    }
    let runStart = start;
    while (runStart > 0 && sextetAt(buf, runStart - 1) !== NOT_BASE64) runStart -= 1;
    let runEnd = probe + 1;
    while (runEnd < end && sextetAt(buf, runEnd) !== NOT_BASE64) runEnd += 1;
    scanRun(scope, index, runStart, runEnd);
    start = runEnd + 1;
  }
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
    if (match.anchor >= from) report(scope, match, true);
    // The rest of the run after the match is a run of its own.
    scanRun(scope, index, match.end, runEnd);
    return;
  }
}

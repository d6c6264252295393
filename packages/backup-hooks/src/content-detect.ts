import { GRID, PIECE_BYTES, PREFILTER_BITS, hashAt, pieceHash, type ContentIndex } from "@connect-ops/connection-core";
import { TEXT_BLOCK, isBase64Block, reportContent, scanTextBlock } from "./content-text.js";
import type { DetectScope } from "./hit.js";

/**
 * Finds the credentials by their content (fingerprint set v2): a run of a
 * private number's bytes, or of a token's secret part (or a private number) as
 * base64/base64url text, whatever surrounds it. One loop over the buffer's
 * 8-byte grid (of the buffer's address, so the grid is the same in every
 * window of a stream) does both halves:
 *
 * - bytes: the 12-byte window at each grid point is hashed from three aligned
 *   words and looked up in a 64 KB bitmap. Every 35-byte run of a secret holds
 *   a piece on the grid (connection-core content-tag.ts).
 * - text: a grid block of 8 bytes without a high bit (1 in 256 of random
 *   bytes) may lie in a base64 run; content-text.ts checks it and scans the
 *   run. Every run of 15+ characters holds a whole grid block.
 *
 * Only a set bitmap bit costs more: the stored tags, then the salted HMAC.
 * A window of 12 bytes without a high bit (text) is not hashed when no set
 * has a piece that reads so (ContentIndex.scansSevenBit).
 */
export function detectContent(scope: DetectScope): void {
  const index = scope.matcher.content;
  if (index === undefined) return;
  const { buf, from, end } = scope;
  const first = from + ((GRID - ((buf.byteOffset + from) % GRID)) % GRID);
  if (first + TEXT_BLOCK > end) return;
  if (LITTLE_ENDIAN) scanGrid(scope, index, first);
  else scanGridPortable(scope, index, first);
}

const PREFIX_SHIFT = 32 - PREFILTER_BITS;
const HIGH_BITS = 0x80808080 | 0;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Handles a set bitmap bit; returns the grid position the loop goes on at. */
function byteCandidate(scope: DetectScope, index: ContentIndex, position: number, hash: number): number {
  if (scope.covered.overlaps(position, position + PIECE_BYTES)) return position + GRID;
  const match = index.matchBytes(scope.buf, position, hash, scope.end);
  if (match === undefined) return position + GRID;
  // A match whose first piece lies left of `from` was reported by the window before.
  if (match.anchor >= scope.from) reportContent(scope, match, false);
  return match.end + ((GRID - ((scope.buf.byteOffset + match.end) % GRID)) % GRID);
}

/**
 * Byte windows start in [first, to); text blocks go on to `to + GRID`, since a
 * piece of text that starts before `to` may hold its only whole block after it.
 */
function bounds(scope: DetectScope): { hashEnd: number; blockEnd: number } {
  return {
    hashEnd: Math.min(scope.to, scope.end - PIECE_BYTES + 1),
    blockEnd: Math.min(scope.to + GRID, scope.end - TEXT_BLOCK + 1),
  };
}

function scanGrid(scope: DetectScope, index: ContentIndex, first: number): void {
  const { buf, end } = scope;
  const { prefilter, scansSevenBit } = index;
  const { hashEnd, blockEnd } = bounds(scope);
  // The grid is 8-aligned in memory, so the words of a window are aligned Int32 reads.
  const words = new Int32Array(buf.buffer, buf.byteOffset + first, (end - first) >>> 2);
  const hashWords = hashEnd - first;
  let textDone = first;
  let word = 0;
  // Word indexes step by GRID / 4 = 2; a window's bytes are words word, word + 1, word + 2.
  while (word << 2 < hashWords) {
    const word0 = words[word] ?? 0;
    const word1 = words[word + 1] ?? 0;
    const word2 = words[word + 2] ?? 0;
    if (((word0 | word1) & HIGH_BITS) === 0) {
      if (first + (word << 2) >= textDone && isBase64Block(word0, word1))
        textDone = scanTextBlock(scope, index, first + (word << 2));
      // 12 bytes of 7-bit text: no stored piece reads so unless a set says one may (scansSevenBit).
      if ((word2 & HIGH_BITS) === 0 && !scansSevenBit) {
        word += 2;
        continue;
      }
    }
    const hash = pieceHash(word0, word1, word2);
    const prefix = hash >>> PREFIX_SHIFT;
    if (((prefilter[prefix >>> 3] ?? 0) & (1 << (prefix & 7))) === 0) word += 2;
    else word = (byteCandidate(scope, index, first + (word << 2), hash) - first) >>> 2;
  }
  // Text blocks past the last byte window, up to `to + GRID`.
  for (let position = first + (word << 2); position < blockEnd; position += GRID) {
    const word0 = words[(position - first) >>> 2] ?? 0;
    const word1 = words[((position - first) >>> 2) + 1] ?? 0;
    if (((word0 | word1) & HIGH_BITS) === 0 && position >= textDone && isBase64Block(word0, word1))
      textDone = scanTextBlock(scope, index, position);
  }
}

/** The same loop with byte reads, for a big-endian host. */
function scanGridPortable(scope: DetectScope, index: ContentIndex, first: number): void {
  const { buf } = scope;
  const { hashEnd, blockEnd } = bounds(scope);
  let textDone = first;
  let position = first;
  while (position < blockEnd) {
    let ascii = true;
    for (let offset = 0; offset < TEXT_BLOCK; offset += 1) if ((buf[position + offset] ?? 0) >= 0x80) ascii = false;
    if (ascii && position >= textDone) textDone = scanTextBlock(scope, index, position);
    let sevenBit = ascii;
    for (let offset = TEXT_BLOCK; offset < PIECE_BYTES; offset += 1)
      if ((buf[position + offset] ?? 0) >= 0x80) sevenBit = false;
    if (position >= hashEnd || (sevenBit && !index.scansSevenBit)) {
      position += GRID;
      continue;
    }
    const hash = hashAt(buf, position);
    const prefix = hash >>> PREFIX_SHIFT;
    if (((index.prefilter[prefix >>> 3] ?? 0) & (1 << (prefix & 7))) === 0) position += GRID;
    else position = byteCandidate(scope, index, position, hash);
  }
}

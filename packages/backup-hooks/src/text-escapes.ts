import { inspectDecoded, type TextScope } from "./text-nest.js";
import { byteAt, byteClass } from "./text-runs.js";

/** Shortest string region inspected: a 22-character token piece. */
const MIN_REGION = 22;
/**
 * Longest string region decoded at once: a window (a JSON-escaped 4096-bit key
 * is ~3.5 KB, the same escaped twice over as `\uXXXX` ~130 KB).
 */
const MAX_REGION = 1024 * 1024;
/** A longer string is decoded in MAX_REGION pieces overlapping by this much, so no secret falls between two. */
const PIECE_OVERLAP = 16 * 1024;
const BACKSLASH = 0x5c;
const DOUBLE_QUOTE = 0x22;
const QUOTE = 0x27;

/**
 * Bytes that end a string region: a raw line break never sits inside a JSON
 * or SQL string (mysqldump writes `\n`, `\r`, `\0`); other control bytes do,
 * in the binary of a BLOB written without --hex-blob.
 */
function isControl(byte: number): boolean {
  return byte === 0x0a || byte === 0x0d || byte === 0;
}

function isQuote(byte: number): boolean {
  return byte === DOUBLE_QUOTE || byte === QUOTE;
}

const SIMPLE: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, b: 8, f: 12, v: 11, a: 7, Z: 26, e: 27 };

/**
 * Where the string around the backslash at `at` begins: just after the
 * nearest unescaped quote or control byte to its left.
 */
function regionStart(buf: Buffer, at: number, floor: number): number {
  let start = at;
  while (start > floor) {
    const byte = byteAt(buf, start - 1);
    if (isControl(byte)) break;
    if (isQuote(byte) && byteAt(buf, start - 2) !== BACKSLASH) break;
    start -= 1;
  }
  return start;
}

/**
 * Decodes the string from `start` up to its closing quote (or a control byte):
 * JSON (`\uXXXX` with surrogate pairs, `\/`), C (`\n`, octal `\101`, `\x41`)
 * and MySQL (`\0`, `\Z`, `''`) escapes. With `octal` false `\0` is NUL and the
 * digits after it are text (MySQL). Returns the bytes (code points up to 0xFF
 * as one byte, others UTF-8) and where the region stops.
 */
function decodeRegion(buf: Buffer, start: number, end: number, octal: boolean): { bytes: Buffer; stop: number } {
  const out: number[] = [];
  let at = start;
  const limit = Math.min(end, start + MAX_REGION);
  const push = (code: number): void => {
    if (code < 0x100) out.push(code);
    else for (const byte of Buffer.from(String.fromCodePoint(code), "utf8")) out.push(byte);
  };
  while (at < limit) {
    const byte = byteAt(buf, at);
    if (isControl(byte)) break;
    if (isQuote(byte)) {
      if (byteAt(buf, at + 1) !== byte) break;
      out.push(byte); // `''` inside an SQL string
      at += 2;
      continue;
    }
    if (byte !== BACKSLASH || at + 1 >= limit) {
      out.push(byte);
      at += 1;
      continue;
    }
    const next = String.fromCharCode(byteAt(buf, at + 1));
    const hex4 = next === "u" ? /^[0-9a-fA-F]{4}/.exec(buf.toString("latin1", at + 2, at + 6)) : null;
    const hex2 = next === "x" ? /^[0-9a-fA-F]{1,2}/.exec(buf.toString("latin1", at + 2, at + 4)) : null;
    const oct = octal ? /^[0-7]{1,3}/.exec(buf.toString("latin1", at + 1, at + 4)) : next === "0" ? ["0"] : null;
    if (hex4) {
      let code = Number.parseInt(hex4[0], 16);
      at += 6;
      const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(buf.toString("latin1", at, at + 6));
      if (code >= 0xd800 && code < 0xdc00 && low) {
        code = 0x10000 + ((code - 0xd800) << 10) + (Number.parseInt(low[1] ?? "0", 16) - 0xdc00);
        at += 6;
      }
      push(code);
    } else if (hex2) {
      out.push(Number.parseInt(hex2[0], 16));
      at += 2 + hex2[0].length;
    } else if (oct) {
      out.push(Number.parseInt(oct[0] ?? "0", 8) & 0xff);
      at += 1 + (oct[0]?.length ?? 1);
    } else {
      out.push(SIMPLE[next] ?? byteAt(buf, at + 1));
      at += 2;
    }
  }
  return { bytes: Buffer.from(out), stop: at };
}

/** True when a backslash before `from` escapes something in [start, from): the earlier window read this region. */
function escapedBefore(buf: Buffer, start: number, from: number): boolean {
  const backslash = buf.indexOf(BACKSLASH, start);
  return backslash !== -1 && backslash < from;
}

/** What encoded secret text is made of: base64(url) and hex with its separators. */
const SECRET_TEXT = byteClass("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-:, ");
/** A run of secret-alphabet characters this long beside an escape may be a secret the escape splits (a PEM line and `\n`). */
const SPLIT_RUN = 16;

/** Where the string from `start` ends, and what decoding it would show the detectors (computed without decoding). */
interface RegionShape {
  readonly stop: number;
  /** An escape that can hide secret text: `\u`, `\x`, octal, or any escape right after SPLIT_RUN secret characters. */
  readonly worthDecoding: boolean;
  /** `\0` followed by an octal digit: MySQL's NUL or a C octal escape, read both ways. */
  readonly ambiguousNul: boolean;
}

/**
 * Measures the string region from `start` (as decodeRegion would read it):
 * ordinary text escapes (`\n` between words, `\"`) hide nothing the raw
 * detectors do not see, so such a region is not decoded; that keeps a JSON log
 * or an SQL dump full of escaped prose at memchr speed.
 */
function measureRegion(buf: Buffer, start: number, end: number): RegionShape {
  const limit = Math.min(end, start + MAX_REGION);
  let worthDecoding = false;
  let ambiguousNul = false;
  let printable = 0;
  let lineBreaks = 0;
  let secretRun = 0;
  let at = start;
  while (at < limit) {
    const byte = byteAt(buf, at);
    if (isControl(byte)) break;
    if (isQuote(byte) && byteAt(buf, at + 1) !== byte) break;
    if (byte >= 0x20 && byte < 0x7f) printable += 1;
    if (byte !== BACKSLASH) {
      secretRun = SECRET_TEXT[byte] === 1 ? secretRun + 1 : 0;
      at += isQuote(byte) ? 2 : 1;
      continue;
    }
    const next = byteAt(buf, at + 1);
    if (next >= 0x20 && next < 0x7f) printable += 1;
    if (next === 0x6e || next === 0x72) lineBreaks += 1;
    const numeric = next >= 0x30 && next <= 0x37;
    if (next === 0x75 || next === 0x78 || numeric || secretRun >= SPLIT_RUN || mayHideSecret(buf, at, start))
      worthDecoding = true;
    if (next === 0x30 && byteAt(buf, at + 2) >= 0x30 && byteAt(buf, at + 2) <= 0x37) ambiguousNul = true;
    secretRun = 0;
    at += 2;
  }
  const stop = Math.min(at, limit);
  // A string literal is text: binary bytes that happen to hold a backslash are not one (and cost a rescan each).
  // Two escaped line breaks make a document in a string (a dump, a wrapped run): its lines only exist decoded.
  const hides = worthDecoding || lineBreaks >= 2;
  return { stop, worthDecoding: hides && printable * 10 >= (stop - start) * 9, ambiguousNul };
}

/**
 * The cheap test that keeps most backslashes from costing a region scan: the
 * escape at `at` is `\u`, `\x` or octal, or follows SPLIT_RUN secret
 * characters (a later one of the same string is tested when the scan gets there).
 */
function mayHideSecret(buf: Buffer, at: number, floor: number): boolean {
  const next = byteAt(buf, at + 1);
  // A line break: the region is measured (two of them make it worth decoding).
  if (next === 0x6e || next === 0x72) return true;
  if (next === 0x75 || next === 0x78 || (next >= 0x30 && next <= 0x37)) return true;
  // `\\u0041`: an escape escaped once more (JSON of JSON) hides as much.
  if (next === BACKSLASH && mayHideSecret(buf, at + 1, floor)) return true;
  if (at - SPLIT_RUN < floor) return false;
  for (let back = at - 1; back >= at - SPLIT_RUN; back -= 1) if (SECRET_TEXT[byteAt(buf, back)] !== 1) return false;
  return true;
}

/**
 * Finds string regions with backslash escapes starting in [from, to) (JSON,
 * SQL, C, shell `$'…'`) whose escapes can hide secret text, decodes them and
 * hands the bytes to every detector again; the span is the string between its
 * quotes. The search anchor is `indexOf('\\')`, so text without backslashes
 * costs one memchr.
 */
export function detectEscapedText(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  let backslash = buf.indexOf(BACKSLASH, from);
  let floor = 0;
  let piece: number | undefined;
  while (piece !== undefined || (backslash !== -1 && backslash < to)) {
    if (piece === undefined && !mayHideSecret(buf, backslash, floor)) {
      backslash = buf.indexOf(BACKSLASH, backslash + 2);
      continue;
    }
    const start = piece ?? regionStart(buf, backslash, Math.max(floor, backslash - MAX_REGION));
    const shape = measureRegion(buf, start, end);
    const run = { start, stop: shape.stop };
    const seen = start < from && escapedBefore(buf, start, from);
    if (shape.worthDecoding && !seen && run.stop - run.start >= MIN_REGION && !covered.covers(run.start, run.stop)) {
      const hit = inspectDecoded(scope, run, decodeRegion(buf, start, end, true).bytes, "string-escape");
      if (!hit && shape.ambiguousNul)
        inspectDecoded(scope, run, decodeRegion(buf, start, end, false).bytes, "string-escape");
    }
    floor = run.stop;
    piece = run.stop >= start + MAX_REGION && run.stop - PIECE_OVERLAP < to ? run.stop - PIECE_OVERLAP : undefined;
    backslash = buf.indexOf(BACKSLASH, Math.max(run.stop, backslash + 2));
  }
}

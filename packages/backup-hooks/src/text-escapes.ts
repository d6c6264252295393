import { inspectDecoded, type TextScope } from "./text-nest.js";
import { byteAt } from "./text-runs.js";

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

/** Bytes that end a string region: control characters (raw line breaks never sit inside a JSON or SQL string). */
function isControl(byte: number): boolean {
  return byte < 0x20 || byte === 0x7f;
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
 * as one byte, others UTF-8), where the region stops, and how many escapes it held.
 */
function decodeRegion(
  buf: Buffer,
  start: number,
  end: number,
  octal: boolean,
): { bytes: Buffer; stop: number; escapes: number; cut: boolean } {
  const out: number[] = [];
  let escapes = 0;
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
      escapes += 1;
      at += 2;
      continue;
    }
    if (byte !== BACKSLASH || at + 1 >= limit) {
      out.push(byte);
      at += 1;
      continue;
    }
    escapes += 1;
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
  return { bytes: Buffer.from(out), stop: at, escapes, cut: at >= start + MAX_REGION };
}

/** True when a backslash before `from` escapes something in [start, from): the earlier window read this region. */
function escapedBefore(buf: Buffer, start: number, from: number): boolean {
  const backslash = buf.indexOf(BACKSLASH, start);
  return backslash !== -1 && backslash < from;
}

function hasNulThenDigit(buf: Buffer, start: number, stop: number): boolean {
  for (let at = buf.indexOf("\\0", start); at !== -1 && at < stop; at = buf.indexOf("\\0", at + 2)) {
    const digit = byteAt(buf, at + 2);
    if (digit >= 0x30 && digit <= 0x37) return true;
  }
  return false;
}

/**
 * Finds string regions with backslash escapes starting in [from, to) (JSON,
 * SQL, C, shell `$'…'`), decodes them and hands the bytes to every detector
 * again; the span is the string between its quotes. The search anchor is
 * `indexOf('\\')`, so text without backslashes costs one memchr.
 */
export function detectEscapedText(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  let backslash = buf.indexOf(BACKSLASH, from);
  let floor = 0;
  let piece: number | undefined;
  while (piece !== undefined || (backslash !== -1 && backslash < to)) {
    const start = piece ?? regionStart(buf, backslash, Math.max(floor, backslash - MAX_REGION));
    const decoded = decodeRegion(buf, start, end, true);
    const run = { start, stop: decoded.stop };
    const seen = start < from && escapedBefore(buf, start, from);
    if (!seen && decoded.escapes > 0 && run.stop - run.start >= MIN_REGION && !covered.covers(run.start, run.stop)) {
      const hit = inspectDecoded(scope, run, decoded.bytes, "string-escape");
      if (!hit && hasNulThenDigit(buf, start, run.stop))
        inspectDecoded(scope, run, decodeRegion(buf, start, end, false).bytes, "string-escape");
    }
    floor = run.stop;
    piece = decoded.cut && run.stop - PIECE_OVERLAP < to ? run.stop - PIECE_OVERLAP : undefined;
    backslash = buf.indexOf(BACKSLASH, Math.max(run.stop, backslash + 2));
  }
}

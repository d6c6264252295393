import { inspectDecoded, type TextScope } from "./text-nest.js";
import { byteAt } from "./text-runs.js";

/** Shortest run inspected: a 22-character token piece, two bytes a character. */
const MIN_RUN = 44;
/** Probe stride: any run of MIN_RUN bytes holds a whole probe pair. */
const STRIDE = MIN_RUN - 4;

/** Tab, LF, CR and printable ASCII: what the text of a secret is made of. */
function isText(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** True when bytes `at` and `at + 1` are one ASCII character in UTF-16 (LE or BE: one of them NUL, the other text). */
function isUnit(buf: Buffer, at: number): boolean {
  const first = byteAt(buf, at);
  const second = byteAt(buf, at + 1);
  return first === 0 ? isText(second) : second === 0 && isText(first);
}

/** True when `byte` may follow `previous` in a UTF-16 run of ASCII: NUL and text alternate. */
function alternates(previous: number, byte: number): boolean {
  return previous === 0 ? isText(byte) : byte === 0 && isText(previous);
}

/**
 * Finds ASCII text written as UTF-16LE or UTF-16BE (with or without a BOM:
 * recognised by the NUL in every other byte) starting in [from, to), and hands
 * the text (the non-NUL bytes) to every detector again. Probes one byte pair
 * every STRIDE bytes: plain text has no NUL, binary rarely a NUL beside text.
 */
export function detectUtf16Text(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  // Plain text has no NUL: one memchr and done (a run starting in [from, to) has one before `to` + 2).
  const nul = buf.indexOf(0, from);
  if (nul === -1 || nul > Math.min(end, to + 2)) return;
  let at = from;
  while (at < to && at + 1 < end) {
    if (!isUnit(buf, at)) {
      at += STRIDE;
      continue;
    }
    let start = at;
    while (start > 0 && alternates(byteAt(buf, start - 1), byteAt(buf, start))) start -= 1;
    let stop = at + 1;
    while (stop < end && alternates(byteAt(buf, stop - 1), byteAt(buf, stop))) stop += 1;
    at = stop + 1;
    if (stop - start < MIN_RUN || start < from || covered.covers(start, stop)) continue;
    const text = Buffer.from(buf.subarray(start, stop).filter((byte) => byte !== 0));
    inspectDecoded(scope, { start, stop }, text, "utf-16");
  }
}

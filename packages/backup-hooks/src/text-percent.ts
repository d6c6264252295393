import { inspectDecoded, type TextScope } from "./text-nest.js";
import { byteAt, byteClass, nextRun } from "./text-runs.js";

/** Shortest run inspected: a 22-character token piece. */
const MIN_RUN = 22;
/** What a percent-encoded value is made of: unreserved characters, `%`, and `+ / =` that some encoders leave alone. */
const PERCENT_TEXT = byteClass("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%+-._~*!'()/=");
const PERCENT = 0x25;
const PLUS = 0x2b;
const ESCAPE = /%([0-9a-fA-F]{2})/g;

function isHexDigit(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** True when the run holds a `%XX` (else decoding would change nothing). */
function hasEscape(buf: Buffer, start: number, stop: number): boolean {
  for (let at = start; at + 2 < stop; at += 1)
    if (byteAt(buf, at) === PERCENT && isHexDigit(byteAt(buf, at + 1)) && isHexDigit(byteAt(buf, at + 2))) return true;
  return false;
}

function hasPlus(buf: Buffer, start: number, stop: number): boolean {
  for (let at = start; at < stop; at += 1) if (byteAt(buf, at) === PLUS) return true;
  return false;
}

function percentDecode(text: string, plusIsSpace: boolean): Buffer {
  const spaced = plusIsSpace ? text.replace(/\+/g, " ") : text;
  return Buffer.from(
    spaced.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1",
  );
}

/**
 * Finds percent-encoded runs (`%2B…`, URLs, form bodies) starting in [from,
 * to) that hold at least one `%XX`, and hands the decoded bytes to every
 * detector again. A run with `+` is read both ways: `+` as space (forms) and as itself.
 */
export function detectPercentText(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  let at = from;
  for (;;) {
    const run = nextRun(buf, at, to, end, PERCENT_TEXT, MIN_RUN);
    if (run === undefined) return;
    at = run.stop + 1;
    if (run.start < from || !hasEscape(buf, run.start, run.stop) || covered.covers(run.start, run.stop)) continue;
    const text = buf.toString("latin1", run.start, run.stop);
    const readings = hasPlus(buf, run.start, run.stop) ? [true, false] : [false];
    for (const plusIsSpace of readings)
      if (inspectDecoded(scope, run, percentDecode(text, plusIsSpace), "percent")) break;
  }
}

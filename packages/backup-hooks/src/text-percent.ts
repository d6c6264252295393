import { inspectDecoded, type TextScope } from "./text-nest.js";
import { byteAt, byteClass } from "./text-runs.js";

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
 * to) that hold at least one `%XX` (the anchor of the search), and hands the decoded bytes to every
 * detector again. A run with `+` is read both ways: `+` as space (forms) and as itself.
 */
export function detectPercentText(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  // Anchored on `%` (one memchr): text without a percent sign costs nothing more.
  let percent = buf.indexOf(PERCENT, from);
  let floor = 0;
  while (percent !== -1 && percent < end) {
    if (!isHexDigit(byteAt(buf, percent + 1)) || !isHexDigit(byteAt(buf, percent + 2))) {
      percent = buf.indexOf(PERCENT, percent + 1);
      continue;
    }
    let start = percent;
    while (start > floor && PERCENT_TEXT[byteAt(buf, start - 1)] === 1) start -= 1;
    let stop = percent + 3;
    while (stop < end && PERCENT_TEXT[byteAt(buf, stop)] === 1) stop += 1;
    floor = stop;
    percent = buf.indexOf(PERCENT, stop);
    if (start >= to) return;
    const run = { start, stop };
    // A run that began before `from` was read by the window before.
    if (stop - start < MIN_RUN || start < from || covered.covers(start, stop)) continue;
    const text = buf.toString("latin1", start, stop);
    const readings = hasPlus(buf, start, stop) ? [true, false] : [false];
    for (const plusIsSpace of readings)
      if (inspectDecoded(scope, run, percentDecode(text, plusIsSpace), "percent")) break;
  }
}

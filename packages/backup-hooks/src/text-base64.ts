import { byteAt, byteClass, nextRun, type Run } from "./text-runs.js";
import { inspectDecoded, type TextScope } from "./text-nest.js";

/**
 * Shortest line that starts a run: 24 decoded bytes, enough for a 22-character
 * piece of a token's secret part (48 bytes of key material need 64).
 */
const MIN_RUN = 32;
/** Both alphabets: Node's base64 decoder reads `-`/`_` as `+`/`/`. `=` is padding, only at the end of a run. */
const BASE64 = byteClass("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_");
const EQUALS = 0x3d;
/** Runs up to this long are decoded at every offset (a value glued to a word); longer blocks where their shape says (longRunOffsets). */
const MAX_GLUED_RUN = 4096;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

function skipPadding(buf: Buffer, stop: number, end: number): number {
  let at = stop;
  while (at < end && at - stop < 2 && byteAt(buf, at) === EQUALS) at += 1;
  return at;
}

/** Where the next line's text starts (after LF or CRLF and any indentation), or undefined when no line break follows. */
function nextLineStart(buf: Buffer, at: number, end: number): number | undefined {
  let next = at;
  if (byteAt(buf, next) === CR) next += 1;
  if (next >= end || byteAt(buf, next) !== LF) return undefined;
  next += 1;
  while (next < end && (byteAt(buf, next) === SPACE || byteAt(buf, next) === TAB)) next += 1;
  return next;
}

function classEnd(buf: Buffer, start: number, end: number): number {
  let stop = start;
  while (stop < end && BASE64[byteAt(buf, stop)] === 1) stop += 1;
  return stop;
}

/**
 * The lines of a block wrapped at any width (64, 70, 76, …, LF or CRLF,
 * indented as in YAML): the second line sets the width (the first may carry a
 * word glued to it), every further line is as long, and a shorter, longer
 * (text glued to its end) or padded line is the last.
 */
interface Block {
  readonly segments: Run[];
  readonly stop: number;
  readonly padded: boolean;
}

function collectBlock(buf: Buffer, first: Run, end: number): Block {
  const segments = [first];
  let width = first.stop - first.start;
  let stop = skipPadding(buf, first.stop, end);
  let lineStop = first.stop;
  while (stop === lineStop) {
    const next = nextLineStart(buf, stop, end);
    if (next === undefined) break;
    lineStop = classEnd(buf, next, end);
    const length = lineStop - next;
    if (length < 2) break;
    if (segments.length === 1) width = Math.min(width, length);
    segments.push({ start: next, stop: lineStop });
    stop = skipPadding(buf, lineStop, end);
    if (length !== width) break;
  }
  const last = segments[segments.length - 1] ?? first;
  return { segments, stop: Math.max(stop, last.stop), padded: stop > last.stop };
}

const HEX_DIGIT = byteClass("0123456789abcdefABCDEF\r\n\t ");

/** Hex digits only, maybe after `0x`: the hex decoder's run (base64 of 24+ bytes is never only hex digits). */
function isHexOnly(buf: Buffer, run: Run): boolean {
  const prefixed = byteAt(buf, run.start) === 0x30 && (byteAt(buf, run.start + 1) | 0x20) === 0x78;
  for (let at = prefixed ? run.start + 2 : run.start; at < run.stop; at += 1)
    if (HEX_DIGIT[byteAt(buf, at)] !== 1) return false;
  return true;
}

/**
 * Where the groups of a long block may start (each costs a decode and a
 * rescan, so not all four blindly): padding fixes them (with one fewer `=`,
 * which may be text); without it (or when all of it is text), a wrapped
 * block's first line longer than the others carries a glued word of that many
 * extra characters, and one long line is read at all four offsets.
 */
function longRunOffsets(block: Block, primary: number, padding: number, length: number): number[] {
  const [first, second] = block.segments;
  const glue =
    first === undefined || second === undefined ? 0 : first.stop - first.start - (second.stop - second.start);
  // Unpadded (or its `=` is text): one line may carry a glued word of any length; a wrapped block says how long.
  const unpadded = second === undefined ? [0, 1, 2, 3] : [glue > 0 ? glue % 4 : 0, 0];
  return [...new Set([...(block.padded ? [primary, (length + padding - 1) % 4] : []), ...unpadded])];
}

function lastStop(block: Block): number {
  return block.segments[block.segments.length - 1]?.stop ?? 0;
}

/**
 * True when the line before `start` is a full base64 line at least as long as
 * this one that began before `from`: the block was decoded by the window that
 * saw its first line.
 */
function continuesEarlierBlock(buf: Buffer, start: number, length: number, from: number): boolean {
  let at = start - 1;
  while (at >= 0 && (byteAt(buf, at) === SPACE || byteAt(buf, at) === TAB)) at -= 1;
  if (at < 0 || byteAt(buf, at) !== LF) return false;
  at -= 1;
  if (at >= 0 && byteAt(buf, at) === CR) at -= 1;
  const lineEnd = at + 1;
  while (at >= 0 && BASE64[byteAt(buf, at)] === 1) at -= 1;
  return at + 1 < from && lineEnd - (at + 1) >= Math.min(length, MIN_RUN);
}

/**
 * Finds base64 and base64url runs starting in [from, to), one line or wrapped
 * at any width, and hands the decoded bytes to every detector again. A padded
 * run is decoded at its start; an unpadded one also at the three other
 * character offsets (a run glued to a word, or cut out of a longer one).
 */
export function detectBase64Text(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  let at = from;
  for (;;) {
    const run = nextRun(buf, at, to, end, BASE64, MIN_RUN);
    if (run === undefined) return;
    const block = collectBlock(buf, run, end);
    at = block.stop + 1;
    if (run.start < from || continuesEarlierBlock(buf, run.start, run.stop - run.start, from)) continue;
    const span = { start: run.start, stop: block.stop };
    if (covered.covers(span.start, span.stop) || isHexOnly(buf, span)) continue;
    const text = block.segments.map((segment) => buf.toString("latin1", segment.start, segment.stop)).join("");
    // Padding fixes where the groups end, so where they start: a run glued to a word is decoded past the glue.
    // The `=` after a value may be text (`…==` then `=`, or `key=…` then `=`): fewer padding characters are tried too.
    const padding = block.stop - lastStop(block);
    const primary = block.padded ? (text.length + padding) % 4 : 0;
    const offsets =
      text.length > MAX_GLUED_RUN
        ? longRunOffsets(block, primary, padding, text.length)
        : [
            ...new Set([
              primary,
              ...(block.padded ? [(text.length + padding - 1) % 4, text.length % 4] : []),
              0,
              1,
              2,
              3,
            ]),
          ];
    for (const offset of offsets)
      if (inspectDecoded(scope, span, Buffer.from(text.slice(offset), "base64"), "base64")) break;
  }
}

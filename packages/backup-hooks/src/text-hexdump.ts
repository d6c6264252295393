import { byteAt } from "./text-runs.js";

const LF = 0x0a;
/** A dump line is at most this long (`xxd -c 256` would be longer; such dumps are read as separated hex). */
const MAX_LINE = 200;
/** Bytes a `*` line of `hexdump -C` may stand for (repeats of the line above it). */
const MAX_REPEAT = 1024 * 1024;

const XXD_LINE = /^([0-9a-fA-F]{4,16}): ((?:[0-9a-fA-F]{2})+(?: (?:[0-9a-fA-F]{2})+)*)(?: {2}|$)/;
const HEXDUMP_LINE = /^([0-9a-fA-F]{6,16}) {2}((?:[0-9a-fA-F]{2} {1,2})+) *\|/;
const HEXDUMP_END = /^[0-9a-fA-F]{6,16}$/;

/** A dump block found in a buffer: its span, the bytes it spells, and whether it began in an earlier window. */
export interface HexDump {
  readonly start: number;
  readonly stop: number;
  readonly bytes: Buffer;
  /** Its first line is not at offset 0 and the line above began before `from`: the earlier window read it. */
  readonly continued: boolean;
}

function lineAt(buf: Buffer, start: number, end: number): { text: string; next: number } {
  const limit = Math.min(end, start + MAX_LINE);
  const lf = buf.indexOf(LF, start);
  const stop = lf === -1 || lf >= limit ? limit : lf;
  const text = buf.toString("latin1", start, stop).replace(/\r$/, "");
  return { text, next: lf === -1 || lf >= limit ? stop : lf + 1 };
}

/** The first dump line that begins in [runStart, runStart + MAX_LINE) (within 3 lines), with its format. */
function firstDumpLine(buf: Buffer, runStart: number, end: number): { start: number; pattern: RegExp } | undefined {
  // A dump glued to text on its first line (`k=00000000: …` in a form body, `42 00000000 …`) begins at offset 0.
  const line = lineAt(buf, runStart, end).text;
  const zero = /0{4,}[: ]/.exec(line.slice(0, 24));
  if (zero !== null) {
    const glued = line.slice(zero.index);
    if (XXD_LINE.test(glued)) return { start: runStart + zero.index, pattern: XXD_LINE };
    if (HEXDUMP_LINE.test(glued)) return { start: runStart + zero.index, pattern: HEXDUMP_LINE };
  }
  let start = runStart === 0 || byteAt(buf, runStart - 1) === LF ? runStart : buf.indexOf(LF, runStart) + 1;
  if (start === 0 && runStart !== 0) return undefined;
  for (let lines = 0; lines < 3 && start < end && start - runStart <= MAX_LINE; lines += 1) {
    const { text, next } = lineAt(buf, start, end);
    if (XXD_LINE.test(text)) return { start, pattern: XXD_LINE };
    if (HEXDUMP_LINE.test(text)) return { start, pattern: HEXDUMP_LINE };
    start = next;
  }
  return undefined;
}

/** Start of the line that ends just before `lineStart`, or -1 when it begins before the buffer. */
function lineAboveStart(buf: Buffer, lineStart: number): number {
  if (lineStart === 0) return -1;
  const lf = buf.lastIndexOf(LF, lineStart - 2);
  return lf === -1 ? -1 : lf + 1;
}

/**
 * Parses an `xxd` or `hexdump -C` dump whose first line begins in the hex run
 * at `runStart`: the offset column must count the bytes of the lines above
 * (a `*` line repeats the line above up to the next offset), so text that only
 * looks like a dump line is not read as one. Undefined when there is no dump.
 */
export function parseHexDump(buf: Buffer, runStart: number, end: number, from: number): HexDump | undefined {
  const first = firstDumpLine(buf, runStart, end);
  if (first === undefined) return undefined;
  const { start, pattern } = first;
  const chunks: Buffer[] = [];
  let firstOffset = -1;
  let expected = 0;
  let previous = Buffer.alloc(0);
  let repeating = false;
  let at = start;
  let stop = start;
  while (at < end) {
    const { text, next } = lineAt(buf, at, end);
    if (pattern === HEXDUMP_LINE && text === "*") {
      repeating = true;
      at = stop = next;
      continue;
    }
    const match = pattern.exec(text);
    const offset = Number.parseInt((match?.[1] ?? (HEXDUMP_END.test(text) ? text : "")) || "x", 16);
    if (Number.isNaN(offset)) break;
    if (firstOffset === -1) expected = firstOffset = offset;
    if (repeating && offset > expected && offset - expected <= MAX_REPEAT && previous.length > 0) {
      while (expected < offset) {
        const piece = previous.subarray(0, Math.min(previous.length, offset - expected));
        chunks.push(piece);
        expected += piece.length;
      }
    }
    repeating = false;
    if (offset !== expected) break;
    stop = next;
    at = next;
    if (match === null) break; // the closing offset line of hexdump -C
    previous = Buffer.from((match[2] ?? "").replace(/ /g, ""), "hex");
    chunks.push(previous);
    expected += previous.length;
  }
  if (chunks.length === 0) return undefined;
  const above = lineAboveStart(buf, start);
  return {
    start,
    stop,
    bytes: Buffer.concat(chunks),
    continued: firstOffset !== 0 && (above === -1 ? start > 0 || from > 0 : above < from),
  };
}

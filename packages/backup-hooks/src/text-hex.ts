import { parseHexDump } from "./text-hexdump.js";
import { inspectDecoded, type TextScope } from "./text-nest.js";
import { byteAt, byteClass, nextRun, type Run } from "./text-runs.js";

/**
 * Shortest run inspected: 22 bytes as plain hex (44 digits), the floor for a
 * token piece; 48 bytes of key material are 96 digits.
 */
const MIN_RUN = 44;
/** Single-group runs up to this long are read at both digit offsets. */
const MAX_GLUED_RUN = 4096;
/**
 * Hex digits and what separates them in the forms real tools write: `0x` and
 * `\x` prefixes, `:` (openssl), spaces (xxd, hexdump), `,` (C arrays), line
 * breaks, and `+` (a space in a form body).
 */
const HEX_TEXT = byteClass("0123456789abcdefABCDEF xX:,+\\\r\n\t");
const PREFIX = /0x|\\x/gi;
const DIGIT = byteClass("0123456789abcdefABCDEF");

/** The run without the separators at its ends: a stretch of blanks alone is no hex. */
function trimmed(buf: Buffer, run: Run): Run {
  let { start, stop } = run;
  while (start < stop && DIGIT[byteAt(buf, start)] !== 1) start += 1;
  while (stop > start && DIGIT[byteAt(buf, stop - 1)] !== 1) stop -= 1;
  return { start, stop };
}
const NOT_HEX = /[^0-9a-fA-F]+/;

/** `0x…` and nothing else (a mysqldump --hex-blob value): the prefix fixes where the digits start. */
function prefixedBlob(buf: Buffer, run: Run): Buffer | undefined {
  if (byteAt(buf, run.start) !== 0x30 || (byteAt(buf, run.start + 1) | 0x20) !== 0x78) return undefined;
  for (let at = run.start + 2; at < run.stop; at += 1) if (DIGIT[byteAt(buf, at)] !== 1) return undefined;
  return Buffer.from(buf.toString("latin1", run.start + 2, run.stop - ((run.stop - run.start) % 2)), "hex");
}

/**
 * The byte strings a hex run may spell: its digit groups joined (`41:42`,
 * `0x41, 0x42`, `xxd -p` lines). A group of odd length at the start or end is
 * a word glued to the run (its outer digit goes); one inside is noise. A run
 * of one group is read at both digit offsets (a word glued to it may shift it).
 */
function hexReadings(text: string): Buffer[] {
  const groups = text
    .replace(PREFIX, " ")
    .split(NOT_HEX)
    .filter((group) => group.length > 0);
  if (groups.length === 1) {
    const digits = groups[0] ?? "";
    // A glued word shifts only a short value; a long run (a --hex-blob row) is read once, from its start or its one odd digit.
    const offsets = digits.length <= MAX_GLUED_RUN ? [0, 1] : [digits.length % 2];
    return offsets.map((offset) => Buffer.from(digits.slice(offset), "hex"));
  }
  const last = groups.length - 1;
  // One long group among short ones (`0x1f8b…, 42` in an SQL row): the blob alone is read first.
  const longest = groups.reduce((best, group) => (group.length > best.length ? group : best), "");
  const total = groups.reduce((sum, group) => sum + group.length, 0);
  const alone = longest.length * 3 >= total * 2 ? [Buffer.from(longest.slice(longest.length % 2), "hex")] : [];
  const aligned = groups.map((group, index) => {
    if (group.length % 2 === 0) return group;
    if (index === 0) return group.slice(1);
    return index === last ? group.slice(0, -1) : "";
  });
  return [...alone, Buffer.from(aligned.join(""), "hex")];
}

/**
 * Finds hex text starting in [from, to): plain runs, `0x…` (mysqldump
 * `--hex-blob`), `\x..`, colon/space/comma separated bytes, `xxd -p`, and
 * `xxd` / `hexdump -C` dumps (offset column and ASCII column dropped). The
 * decoded bytes go to every detector again; the span is the whole run or dump.
 */
export function detectHexText(scope: TextScope): void {
  const { buf, from, to, end, covered } = scope;
  let at = from;
  for (;;) {
    const found = nextRun(buf, at, to, end, HEX_TEXT, MIN_RUN);
    if (found === undefined) return;
    const run = trimmed(buf, found);
    // Separators trimmed off the left may move the start past `to`: the next window reads it.
    if (run.start >= to) return;
    const dump = parseHexDump(buf, run.start, end, from);
    if (dump !== undefined) {
      at = Math.max(dump.stop, run.start + 1);
      if (dump.start < from || dump.continued || covered.covers(dump.start, dump.stop)) continue;
      inspectDecoded(scope, dump, dump.bytes, "hex");
      continue;
    }
    at = found.stop + 1;
    if (run.stop - run.start < MIN_RUN || run.start < from || covered.covers(run.start, run.stop)) continue;
    const blob = prefixedBlob(buf, run);
    const readings = blob === undefined ? hexReadings(buf.toString("latin1", run.start, run.stop)) : [blob];
    for (const reading of readings)
      if (reading.length * 2 >= MIN_RUN && inspectDecoded(scope, run, reading, "hex")) break;
  }
}

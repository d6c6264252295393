import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { CoveredRanges, DetectScope } from "./hit.js";

/**
 * Shortest run inspected: base64 of a 40-character token is 56 characters, a
 * PEM body line 64. The search probes the last byte of a MIN_RUN window and
 * walks back (Boyer-Moore style for runs): text fails within a word and jumps
 * ~50 bytes, random binary fails 3 times in 4 on the first probe.
 */
const MIN_RUN = 56;
/** Runs longer than this are not decoded (a base64 PEM key is ~2.3 KB). */
export const MAX_RUN = 48 * 1024;
const PEM_LINE_MIN = 32;
const PEM_LINE_MAX = 76;
/** A one-line PEM body (no armour) starts with the DER SEQUENCE header `MII`. */
const DER_PREFIX = "MII";

const BASE64 = new Uint8Array(256);
for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") BASE64[char.charCodeAt(0)] = 1;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;

/** The byte at `index` is a base64 character (false past the end of `buf`). */
function isBase64At(buf: Buffer, index: number): boolean {
  const byte = buf[index];
  return byte !== undefined && BASE64[byte] === 1;
}

function runEnd(buf: Buffer, start: number, end: number): number {
  let stop = start;
  while (stop < end && isBase64At(buf, stop)) stop += 1;
  return stop;
}

/** Splits a run into its lines (base64 wrapped at 64/76 columns with LF or CRLF), returning [start, end) pairs. */
function collectSegments(buf: Buffer, start: number, end: number): { segments: Array<[number, number]>; stop: number } {
  const segments: Array<[number, number]> = [];
  let segmentStart = start;
  let stop = runEnd(buf, start, end);
  segments.push([segmentStart, stop]);
  while (stop - start < MAX_RUN) {
    let next = stop;
    if (buf[next] === CR) next += 1;
    if (buf[next] !== LF) break;
    next += 1;
    const nextStop = runEnd(buf, next, end);
    if (nextStop - next < PEM_LINE_MIN) break;
    segmentStart = next;
    stop = nextStop;
    segments.push([segmentStart, stop]);
  }
  return { segments, stop };
}

function hasUpper(text: string): boolean {
  return /[A-Z]/.test(text) && /[a-z]/.test(text);
}

function matchLines(text: string, matcher: ResidueMatcher): string | undefined {
  if (text.length <= PEM_LINE_MAX) return hasUpper(text) ? matcher.matchPemLine(text) : undefined;
  if (!text.startsWith(DER_PREFIX)) return undefined;
  for (let index = 0; index + PEM_LINE_MIN <= text.length && index < MAX_RUN; index += 64) {
    const id = matcher.matchPemLine(text.slice(index, index + 64));
    if (id !== undefined) return id;
  }
  return undefined;
}

/**
 * Finds base64 runs starting in [from, to): each line is compared as a PEM
 * body line (a key fragment in a dump). What the run decodes to is the text
 * decoders' (text-base64.ts), which run after this.
 */
export function detectBase64(scope: DetectScope): void {
  const { buf, from, to, end, covered } = scope;
  let start = from;
  while (start < to && start + MIN_RUN <= end) {
    const probe = start + MIN_RUN - 1;
    if (!isBase64At(buf, probe)) {
      start = probe + 1;
      continue;
    }
    let back = probe - 1;
    while (back >= start && isBase64At(buf, back)) back -= 1;
    if (back >= start) {
      start = back + 1;
      continue;
    }
    // [start, probe] is base64; only at `from` can the run reach further left (then it was seen before).
    let runStart = start;
    while (runStart > 0 && isBase64At(buf, runStart - 1)) runStart -= 1;
    // `\n` / `\r\n` escapes leave an `n` or `r` glued to the next base64 line.
    if (runStart > 0 && buf[runStart - 1] === BACKSLASH && (buf[runStart] === 0x6e || buf[runStart] === 0x72))
      runStart += 1;
    const { segments, stop } = collectSegments(buf, runStart, end);
    start = stop + 1;
    if (runStart < from || runStart >= to || stop - runStart < MIN_RUN || stop - runStart > MAX_RUN) continue;
    if (!covered.overlaps(runStart, stop)) {
      inspectRun(scope, segments);
      continue;
    }
    // A hit already claims part of the run (a token whose tail is base64
    // characters, then a line break): the lines around it are still inspected,
    // each unclaimed stretch as a run of its own. Skipping the whole run hid a
    // PEM line right after a token until the token had been overwritten.
    for (const group of uncoveredGroups(segments, covered)) {
      if (group.start >= to || group.stop - group.start < MIN_RUN) continue; // past `to`: the next window sees it as its own run
      inspectRun(scope, group.segments);
    }
  }
}

/** Consecutive segments, [start, stop) from the first segment's start to the last one's end. */
interface SegmentGroup {
  readonly start: number;
  stop: number;
  readonly segments: Array<[number, number]>;
}

/** Consecutive segments that no earlier hit overlaps. */
function uncoveredGroups(segments: ReadonlyArray<[number, number]>, covered: CoveredRanges): SegmentGroup[] {
  const groups: SegmentGroup[] = [];
  let current: SegmentGroup | undefined;
  for (const segment of segments) {
    if (covered.overlaps(segment[0], segment[1])) current = undefined;
    else if (current === undefined) {
      current = { start: segment[0], stop: segment[1], segments: [segment] };
      groups.push(current);
    } else {
      current.segments.push(segment);
      current.stop = segment[1];
    }
  }
  return groups;
}

/**
 * The fast path of a run: each line compared as a PEM body line (a key
 * fragment in a dump). Decoding the run is the text decoders' (text-base64.ts,
 * at every width and alignment): decoding it here too cost a second decode
 * and scan of every base64 run.
 */
function inspectRun(scope: DetectScope, segments: Array<[number, number]>): void {
  const { buf, matcher, covered, hits } = scope;
  for (const [segmentStart, segmentEnd] of segments) {
    const id = matchLines(buf.toString("latin1", segmentStart, segmentEnd), matcher);
    if (id !== undefined) {
      hits.push({ start: segmentStart, end: segmentEnd, form: "pem-line", encoding: "raw", fingerprintId: id });
      covered.add(segmentStart, segmentEnd);
    }
  }
}

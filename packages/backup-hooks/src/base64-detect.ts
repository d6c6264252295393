import type { ResidueMatcher } from "@connect-ops/connection-core";
import { CoveredRanges, type Hit } from "./hit.js";
import { detectPemKeys } from "./pem-detect.js";
import { detectTokens } from "./token-detect.js";

/**
 * Sampling stride: a base64 run of MIN_RUN or more characters always contains
 * two samples STRIDE apart, so most bytes are never looked at (random binary
 * passes both samples 1 time in 16, text fails within a word).
 */
const STRIDE = 24;
const MIN_RUN = 2 * STRIDE; // base64 of a 40-character token is 56 characters
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

function runEnd(buf: Buffer, start: number, end: number): number {
  let stop = start;
  while (stop < end && BASE64[buf[stop]!] === 1) stop += 1;
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
 * body line (a key fragment in a dump), and the decoded bytes are searched for
 * tokens and PEM keys (a base64-encoded secret). The whole run is the span.
 */
export function detectBase64(
  buf: Buffer,
  from: number,
  to: number,
  end: number,
  matcher: ResidueMatcher,
  covered: CoveredRanges,
  hits: Hit[],
): void {
  const sampleLimit = Math.min(end, to + 2 * STRIDE);
  let sample = from;
  while (sample + STRIDE < sampleLimit) {
    if (BASE64[buf[sample]!] !== 1 || BASE64[buf[sample + STRIDE]!] !== 1) {
      sample += STRIDE;
      continue;
    }
    let probe = sample + 1;
    while (probe < sample + STRIDE && BASE64[buf[probe]!] === 1) probe += 1;
    if (probe < sample + STRIDE) {
      sample = probe + 1;
      continue;
    }
    let start = sample;
    while (start > 0 && BASE64[buf[start - 1]!] === 1) start -= 1;
    // `\n` / `\r\n` escapes leave an `n` or `r` glued to the next base64 line.
    if (start > 0 && buf[start - 1] === BACKSLASH && (buf[start] === 0x6e || buf[start] === 0x72)) start += 1;
    const { segments, stop } = collectSegments(buf, start, end);
    sample = stop + 1;
    if (start < from || start >= to || stop - start < MIN_RUN || stop - start > MAX_RUN) continue;
    if (covered.overlaps(start, stop)) continue;
    inspectRun(buf, start, stop, segments, matcher, covered, hits);
  }
}

function inspectRun(
  buf: Buffer,
  start: number,
  stop: number,
  segments: Array<[number, number]>,
  matcher: ResidueMatcher,
  covered: CoveredRanges,
  hits: Hit[],
): void {
  for (const [segmentStart, segmentEnd] of segments) {
    const id = matchLines(buf.toString("latin1", segmentStart, segmentEnd), matcher);
    if (id !== undefined) {
      hits.push({ start: segmentStart, end: segmentEnd, form: "pem-line", encoding: "raw", fingerprintId: id });
      covered.add(segmentStart, segmentEnd);
    }
  }
  if (covered.overlaps(start, stop)) return;
  const text = segments.map(([segmentStart, segmentEnd]) => buf.toString("latin1", segmentStart, segmentEnd)).join("");
  const decoded = Buffer.from(text, "base64");
  const inner: Hit[] = [];
  const innerCovered = new CoveredRanges();
  detectPemKeys(decoded, 0, decoded.length, decoded.length, matcher, innerCovered, inner, "base64");
  detectTokens(decoded, 0, decoded.length, decoded.length, matcher, innerCovered, inner, "base64");
  // Each secret inside is reported; the span is the whole run (what redact overwrites).
  for (const hit of inner) hits.push({ ...hit, start, end: stop, encoding: "base64" });
  if (inner.length > 0) covered.add(start, stop);
}

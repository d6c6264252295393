import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { FindingEncoding, FindingForm } from "./scan-types.js";

/** A secret span found in one buffer (window-relative offsets, end exclusive). */
export interface Hit {
  readonly start: number;
  readonly end: number;
  readonly form: FindingForm;
  readonly encoding: FindingEncoding;
  readonly variant?: "classic" | "app-jwt";
  readonly fingerprintId: string;
}

/** Half-open ranges already claimed by a hit, so later detectors skip them. */
export class CoveredRanges {
  readonly #ranges: Array<readonly [number, number]> = [];

  add(start: number, end: number): void {
    this.#ranges.push([start, end]);
  }

  overlaps(start: number, end: number): boolean {
    // Hits are rare (a handful per snapshot), so a linear probe is cheapest.
    for (const [from, to] of this.#ranges) if (start < to && end > from) return true;
    return false;
  }

  /** True when one range holds all of [start, end) (a run a decoder need not read again). */
  covers(start: number, end: number): boolean {
    for (const [from, to] of this.#ranges) if (start >= from && end <= to) return true;
    return false;
  }
}

/**
 * What every detector works on: the secret spans that start in [from, to) of
 * `buf` are pushed to `hits`, bytes up to `end` serving as right context;
 * `covered` holds the spans earlier detectors claimed.
 */
export interface DetectScope {
  readonly buf: Buffer;
  readonly from: number;
  readonly to: number;
  readonly end: number;
  readonly matcher: ResidueMatcher;
  readonly covered: CoveredRanges;
  readonly hits: Hit[];
}

/** A scope over all of `buf`, with its own covered ranges and hit list (a decoded run). */
export function wholeBufferScope(buf: Buffer, matcher: ResidueMatcher): DetectScope {
  return { buf, from: 0, to: buf.length, end: buf.length, matcher, covered: new CoveredRanges(), hits: [] };
}

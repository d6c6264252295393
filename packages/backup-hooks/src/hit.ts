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
}

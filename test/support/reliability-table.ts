import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/** Which tier runs: `ci` (default, bounded for `.ci/run`) or `heavy` (RELIABILITY_TIER=heavy). */
export const RELIABILITY_TIER: "ci" | "heavy" = process.env.RELIABILITY_TIER === "heavy" ? "heavy" : "ci";

/** One row of docs/reliability.md: what an area tried, what broke, which invariants it checked. */
export interface ReliabilityRow {
  readonly area: string;
  readonly subject: string;
  readonly cases: number;
  readonly failures: number;
  readonly invariants: readonly string[];
  readonly note?: string;
}

export const RELIABILITY_DIR = join(import.meta.dirname, "..", "..", "test-results", "reliability");

/**
 * Appends a row to `test-results/reliability/rows.jsonl`; `tools/reliability/table.mjs`
 * renders docs/reliability.md from it. Failures are counted by the caller
 * before its assertions run, so a failing case still reaches the table.
 */
export function recordReliability(row: ReliabilityRow): void {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  appendFileSync(
    join(RELIABILITY_DIR, "rows.jsonl"),
    `${JSON.stringify({ ...row, tier: RELIABILITY_TIER, at: new Date().toISOString() })}\n`,
  );
}

/** A small seeded PRNG (mulberry32): the crash harness prints its seed so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run's seed: RELIABILITY_SEED when given (replay), else a fresh one. */
export function reliabilitySeed(): number {
  const given = Number(process.env.RELIABILITY_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}

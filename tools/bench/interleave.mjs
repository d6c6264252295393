// Interleaved timing of whole commands: each round runs every candidate once,
// in rotating order, so drift on a noisy machine hits all of them alike.
import { spawnSync } from "node:child_process";

/**
 * @param {{name: string, command: string, args: string[], env?: Record<string,string>}[]} candidates
 * @param {{rounds?: number, warmup?: number}} options
 * @returns {Record<string, number>} median wall time in ms per candidate
 */
export function interleave(candidates, { rounds = 30, warmup = 3 } = {}) {
  const samples = Object.fromEntries(candidates.map((candidate) => [candidate.name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    const order = candidates.map((_, index) => candidates[(index + round) % candidates.length]);
    for (const candidate of order) {
      const started = process.hrtime.bigint();
      const result = spawnSync(candidate.command, candidate.args, {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, ...candidate.env },
      });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) throw new Error(`${candidate.name} exited ${result.status}: ${result.stderr}`);
      if (round >= warmup) samples[candidate.name].push(elapsed);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function report(title, medians, baseline, limits) {
  console.log(title);
  for (const [name, value] of Object.entries(medians)) {
    const ratio = value / medians[baseline];
    const limit = limits[name];
    const verdict =
      limit === undefined ? "" : ratio <= limit ? `  (target ≤ ${limit}×: met)` : `  (target ≤ ${limit}×: MISSED)`;
    console.log(
      `  ${name.padEnd(34)} median ${value.toFixed(1).padStart(8)} ms  ${ratio.toFixed(2)}× ${baseline}${verdict}`,
    );
  }
}

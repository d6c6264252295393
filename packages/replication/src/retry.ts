import type { Clock } from "./clock.js";

export interface RetryPolicy {
  /** Further attempts after the first (0: no retry). */
  readonly retries: number;
  /** Backoff cap doubles from this per attempt; the actual wait is jittered in [0, cap). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetryDeps {
  readonly clock: Clock;
  /** Uniform in [0, 1): injected so tests get exact delays. */
  readonly random: () => number;
}

/** "Full jitter" backoff: spreads retries of many nodes so they do not hit a recovering network together. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

/** Runs `operation` until it succeeds, a non-transient error is thrown, or the retries are used up. */
export async function retryTransient<Result>(
  operation: (attempt: number) => Promise<Result>,
  isTransient: (error: unknown) => boolean,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<Result> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= policy.retries || !isTransient(error)) throw error;
      await deps.clock.sleep(backoffDelay(attempt, policy, deps.random));
    }
  }
}

/**
 * The one retry policy (issue 12): the cloud client's HTTP retries and
 * replication's per-node fan-out retries are both this loop. Time comes in
 * through `deps.sleep` (a `Clock`'s sleep in production, a fake in tests), and
 * randomness through `deps.random`, so every wait is exact in tests.
 */

/** What `retryOn` says about a failure: not worth retrying, retry after the policy's backoff, or retry after exactly `waitMs` (a server's `Retry-After`). */
export type RetryVerdict = boolean | { readonly waitMs: number };

export interface RetryPolicy {
  /** Attempts in all, the first included (1: never retry). */
  readonly attempts: number;
  /** Backoff ceiling of the first retry, doubled per retry. */
  readonly baseDelayMs: number;
  /** Cap of one backoff ceiling. */
  readonly maxDelayMs: number;
  /**
   * Where in the ceiling a wait falls: `full` anywhere in [0, ceiling) — spreads
   * many nodes retrying at once; `equal` in [ceiling/2, ceiling] — never retries
   * a single server too eagerly. Default `full`.
   */
  readonly jitter?: "full" | "equal";
  /** Whether the error thrown by attempt `attempt` (0-based) is worth another attempt. */
  readonly retryOn: (error: unknown, attempt: number) => RetryVerdict;
}

export interface RetryDeps {
  /** Resolves after `ms`; rejects when `signal` aborts first (`Clock.sleep`). */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Aborts the wait between attempts. */
  readonly signal?: AbortSignal;
}

/** The backoff before retry number `attempt + 1`: jittered within `min(maxDelayMs, baseDelayMs * 2^attempt)`. */
export function backoffDelayMs(
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "jitter">,
  attempt: number,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return policy.jitter === "equal"
    ? Math.round(ceiling / 2 + (ceiling / 2) * random())
    : Math.floor(random() * ceiling);
}

/**
 * Runs `operation(attempt)` until it resolves, `policy.retryOn` refuses its
 * error, or `policy.attempts` are used up; waits between attempts on
 * `deps.sleep`. Returns the first result; throws the last error unchanged
 * (or the signal's reason when aborted during a wait).
 */
export async function withRetries<Result>(
  operation: (attempt: number) => Promise<Result>,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<Result> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= policy.attempts) throw error;
      const verdict = policy.retryOn(error, attempt);
      if (verdict === false) throw error;
      const waitMs = verdict === true ? backoffDelayMs(policy, attempt, deps.random) : verdict.waitMs;
      await deps.sleep(waitMs, deps.signal);
    }
  }
}

import { decideRetry, backoffDelayMs, type RetryPolicy } from "./retry-policy.js";
import type { ServerClock } from "./server-clock.js";

export interface RetryingFetchDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly clock: ServerClock;
  readonly policy: RetryPolicy;
}

/** Counts the attempts a request took, for error messages ("after 5 attempts"). */
export const attemptsHeader = "x-connect-ops-attempts";

/**
 * A `fetch` for @octokit/request that retries 5xx, network errors and rate
 * limits (see `decideRetry`), never other 4xx, and feeds every response's
 * `Date` into the server clock. Bodies are strings, so resending is safe.
 * The final response (or error) is what octokit sees.
 */
export function createRetryingFetch(deps: RetryingFetchDeps): typeof globalThis.fetch {
  return async function retryingFetch(input, init) {
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await deps.fetch(input, init);
      } catch (error) {
        // A caller's abort is a decision, not a network failure.
        if ((error as Error).name === "AbortError" || attempt >= deps.policy.maxRetries) throw error;
        await deps.sleep(backoffDelayMs(deps.policy, attempt, deps.random));
        continue;
      }
      deps.clock.observe(response.headers.get("date"));
      const decision = decideRetry(response, attempt, { policy: deps.policy, random: deps.random, serverNowMs: deps.clock.serverNowMs() });
      if (!decision.retry || attempt >= deps.policy.maxRetries) {
        const headers = new Headers(response.headers);
        headers.set(attemptsHeader, String(attempt + 1));
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      }
      await response.body?.cancel();
      await deps.sleep(decision.waitMs);
    }
  };
}

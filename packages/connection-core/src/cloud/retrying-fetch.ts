import { CoreError } from "../errors.js";
import { withRetries } from "../retry.js";
import { decideRetry, type CloudRetrySettings } from "./retry-policy.js";
import type { ServerClock } from "./server-clock.js";

export interface RetryingFetchDeps {
  readonly fetch: typeof globalThis.fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly clock: ServerClock;
  readonly policy: CloudRetrySettings;
}

/** Counts the attempts a request took, for error messages ("after 5 attempts"). */
export const attemptsHeader = "x-connect-ops-attempts";

/** A response `decideRetry` wants retried, thrown inside the retry loop only (never reaches octokit). */
class RetryableResponse extends Error {
  constructor(readonly waitMs: number) {
    super("retryable response");
  }
}

/**
 * A `fetch` for @octokit/request that retries 5xx, network errors and rate
 * limits (see `decideRetry`), never other 4xx, and feeds every response's
 * `Date` into the server clock. Bodies are strings, so resending is safe.
 * The final response (or error) is what octokit sees. The loop is the shared
 * `withRetries`: a retryable response is thrown as `RetryableResponse`
 * carrying its wait, except on the last attempt, where it is returned.
 */
export function createRetryingFetch(deps: RetryingFetchDeps): typeof globalThis.fetch {
  const policy = {
    ...deps.policy,
    // A caller's abort is a decision, not a network failure; a CoreError (proxy refused, TLS untrusted) needs a change of settings.
    retryOn: (error: unknown) =>
      error instanceof RetryableResponse
        ? { waitMs: error.waitMs }
        : !(error instanceof CoreError) && (error as Error).name !== "AbortError",
  };
  return async function retryingFetch(input, init) {
    return withRetries(
      async (attempt) => {
        const response = await deps.fetch(input, init);
        deps.clock.observe(response.headers.get("date"));
        const decision = decideRetry(response, attempt, {
          policy: deps.policy,
          random: deps.random,
          serverNowMs: deps.clock.serverNowMs(),
        });
        if (decision.retry && attempt + 1 < deps.policy.attempts) {
          await response.body?.cancel();
          throw new RetryableResponse(decision.waitMs);
        }
        const headers = new Headers(response.headers);
        headers.set(attemptsHeader, String(attempt + 1));
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      },
      policy,
      { sleep: deps.sleep, random: deps.random },
    );
  };
}

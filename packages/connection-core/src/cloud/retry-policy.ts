import { backoffDelayMs, type RetryPolicy } from "../retry.js";

/**
 * How the cloud client retries: the shared `RetryPolicy` numbers (its
 * `retryOn` is built per request by `createRetryingFetch`), equal jitter, plus
 * the longest rate-limit reset worth waiting for. Defaults suit a CLI run from a runbook.
 */
export interface CloudRetrySettings extends Omit<RetryPolicy, "retryOn"> {
  /** A rate limit that resets later than this is not waited out (default 5 min): the command fails, safe to re-run. */
  readonly maxRateLimitWaitMs: number;
}

/** 5 attempts (4 retries), 500 ms doubling to at most 30 s, each wait between half and all of its step. */
export const DEFAULT_CLOUD_RETRIES: CloudRetrySettings = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  jitter: "equal",
  maxRateLimitWaitMs: 5 * 60_000,
};

/** `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null, serverNowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - serverNowMs);
}

export type RetryDecision =
  | { readonly retry: false }
  | { readonly retry: true; readonly waitMs: number; readonly reason: "server-error" | "rate-limited" };

/**
 * Whether a response is worth retrying and after how long: 5xx always
 * (honouring `Retry-After`); 403/429 only when GitHub says it is a rate limit
 * (`x-ratelimit-remaining: 0` or `Retry-After`; a bare 429 waits the minute
 * GitHub's docs ask for). Any other 4xx is final.
 */
export function decideRetry(
  response: { status: number; headers: Headers },
  attempt: number,
  context: { policy: CloudRetrySettings; random: () => number; serverNowMs: number },
): RetryDecision {
  const { status, headers } = response;
  const retryAfter = retryAfterMs(headers.get("retry-after"), context.serverNowMs);
  if (status >= 500 && status <= 599) {
    return {
      retry: true,
      waitMs: retryAfter ?? backoffDelayMs(context.policy, attempt, context.random),
      reason: "server-error",
    };
  }
  if (status !== 403 && status !== 429) return { retry: false };
  const exhausted = headers.get("x-ratelimit-remaining") === "0";
  if (!exhausted && retryAfter === undefined && status !== 429) return { retry: false };
  const reset = Number(headers.get("x-ratelimit-reset"));
  const untilReset =
    exhausted && Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - context.serverNowMs) : undefined;
  const waitMs = retryAfter ?? untilReset ?? 60_000;
  if (waitMs > context.policy.maxRateLimitWaitMs) return { retry: false };
  return { retry: true, waitMs, reason: "rate-limited" };
}

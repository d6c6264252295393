import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "../retry.js";
import { decideRetry, DEFAULT_CLOUD_RETRIES, retryAfterMs } from "./retry-policy.js";

const now = Date.parse("2026-05-01T12:00:00Z");
const context = { policy: DEFAULT_CLOUD_RETRIES, random: () => 0, serverNowMs: now };
const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers) });

describe("decideRetry", () => {
  it("never retries 4xx other than rate limits", () => {
    for (const status of [400, 401, 403, 404, 409, 422])
      expect(decideRetry(answer(status), 0, context)).toEqual({ retry: false });
  });

  it("retries every 5xx", () => {
    for (const status of [500, 502, 503, 504])
      expect(decideRetry(answer(status), 0, context)).toMatchObject({ retry: true, reason: "server-error" });
  });

  it("waits until x-ratelimit-reset on an exhausted 403", () => {
    const headers = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 42) };
    expect(decideRetry(answer(403, headers), 0, context)).toEqual({
      retry: true,
      waitMs: 42_000,
      reason: "rate-limited",
    });
  });

  it("waits a minute on a bare 429, as GitHub's docs ask for secondary limits", () => {
    expect(decideRetry(answer(429), 0, context)).toEqual({ retry: true, waitMs: 60_000, reason: "rate-limited" });
  });

  it("does not wait beyond maxRateLimitWaitMs", () => {
    const headers = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 3600) };
    expect(decideRetry(answer(403, headers), 0, context)).toEqual({ retry: false });
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(retryAfterMs("12", now)).toBe(12_000);
    expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("stays between half and all of the capped exponential step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, random) => {
          const ceiling = Math.min(DEFAULT_CLOUD_RETRIES.maxDelayMs, DEFAULT_CLOUD_RETRIES.baseDelayMs * 2 ** attempt);
          const delay = backoffDelayMs(DEFAULT_CLOUD_RETRIES, attempt, () => random);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });
});

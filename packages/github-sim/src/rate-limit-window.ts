/** GitHub's primary limit for an installation: 5,000 requests an hour. */
const LIMIT = 5000;
const WINDOW_SECONDS = 3600;

/** The `x-ratelimit-*` headers GitHub sends on every response, from a one-hour window on the sim clock. */
export class RateLimitWindow {
  #resetAt = 0;
  #used = 0;

  headers(nowSeconds: number): Record<string, string> {
    if (nowSeconds >= this.#resetAt) {
      this.#resetAt = nowSeconds + WINDOW_SECONDS;
      this.#used = 0;
    }
    this.#used = Math.min(LIMIT, this.#used + 1);
    return {
      "x-ratelimit-limit": String(LIMIT),
      "x-ratelimit-remaining": String(LIMIT - this.#used),
      "x-ratelimit-used": String(this.#used),
      "x-ratelimit-reset": String(this.#resetAt),
      "x-ratelimit-resource": "core",
    };
  }

  /** Headers of a rate-limited answer: nothing remains until `resetAtSeconds`. */
  exhaustedHeaders(resetAtSeconds: number): Record<string, string> {
    return {
      "x-ratelimit-limit": String(LIMIT),
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": String(LIMIT),
      "x-ratelimit-reset": String(resetAtSeconds),
      "x-ratelimit-resource": "core",
    };
  }
}

/** Fail the next `count` requests with a 5xx. */
export interface FailureFaultOptions {
  readonly count: number;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

/** Answer the next `count` requests as rate-limited (GitHub's 403 or 429 with `x-ratelimit-remaining: 0`). */
export interface RateLimitFaultOptions {
  readonly count: number;
  readonly status?: 403 | 429;
  /** Seconds from the sim clock to `x-ratelimit-reset`; default 60. */
  readonly resetInSeconds?: number;
  readonly retryAfterSeconds?: number;
}

export type ArmedFault =
  | { readonly kind: "fail"; readonly status: number; readonly retryAfterSeconds: number | undefined }
  | {
      readonly kind: "rate-limit";
      readonly status: 403 | 429;
      readonly resetInSeconds: number;
      readonly retryAfterSeconds: number | undefined;
    };

/** The fault knobs: a queue of armed faults consumed one per API request, plus latency and clock skew. */
export class FaultPlan {
  readonly #queue: { fault: ArmedFault; remaining: number }[] = [];
  latencyMs = 0;
  skewSeconds = 0;

  failNext(options: FailureFaultOptions): void {
    const status = options.status ?? 503;
    if (!Number.isInteger(status) || status < 500 || status > 599)
      throw new RangeError("failNext: status must be a 5xx");
    this.#arm({ kind: "fail", status, retryAfterSeconds: options.retryAfterSeconds }, options.count);
  }

  rateLimitNext(options: RateLimitFaultOptions): void {
    const status = options.status ?? 403;
    this.#arm(
      {
        kind: "rate-limit",
        status,
        resetInSeconds: options.resetInSeconds ?? 60,
        retryAfterSeconds: options.retryAfterSeconds,
      },
      options.count,
    );
  }

  #arm(fault: ArmedFault, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError("fault count must be a positive integer");
    this.#queue.push({ fault, remaining: count });
  }

  /** Takes the fault that applies to the next request, if any. */
  take(): ArmedFault | undefined {
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining === 0) this.#queue.shift();
    return head.fault;
  }

  reset(): void {
    this.#queue.length = 0;
    this.latencyMs = 0;
    this.skewSeconds = 0;
  }
}

import { describe, expect, it } from "vitest";
import { backoffDelayMs, withRetries, type RetryPolicy } from "./retry.js";
import { abortReason } from "./abort-reason.js";

/** A fake clock's sleep: records each wait and moves time, never really sleeps. */
function fakeClock(): {
  now: () => number;
  waits: number[];
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
} {
  let now = 0;
  const waits: number[] = [];
  return {
    now: () => now,
    waits,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

const transient = new Error("connection refused");
const fatal = new Error("permission denied");
const policy: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  retryOn: (error) => error === transient,
};

/** An operation failing with `errors` in turn, then answering "ok". */
function failing(...errors: Error[]): { calls: number[]; run: (attempt: number) => Promise<string> } {
  const calls: number[] = [];
  return {
    calls,
    run: (attempt) => {
      calls.push(attempt);
      const error = errors[attempt];
      return error === undefined ? Promise.resolve("ok") : Promise.reject(error);
    },
  };
}

describe("withRetries", () => {
  it("retries what retryOn accepts after jittered, doubling backoff read from the injected clock", async () => {
    const clock = fakeClock();
    const operation = failing(transient, transient);
    expect(await withRetries(operation.run, policy, { sleep: clock.sleep, random: () => 0.5 })).toBe("ok");
    expect(operation.calls).toEqual([0, 1, 2]);
    expect(clock.waits).toEqual([50, 100]);
    expect(clock.now()).toBe(150);
  });

  it("does not retry what retryOn refuses", async () => {
    const clock = fakeClock();
    const operation = failing(fatal);
    await expect(withRetries(operation.run, policy, { sleep: clock.sleep, random: () => 0 })).rejects.toBe(fatal);
    expect(operation.calls).toEqual([0]);
    expect(clock.waits).toEqual([]);
  });

  it("gives up after `attempts` with the last error", async () => {
    const clock = fakeClock();
    const last = new Error("third");
    const operation = failing(transient, transient, last, transient);
    const anyError: RetryPolicy = { ...policy, retryOn: () => true };
    await expect(withRetries(operation.run, anyError, { sleep: clock.sleep, random: () => 0.999 })).rejects.toBe(last);
    expect(operation.calls).toEqual([0, 1, 2]);
  });

  it("waits exactly what retryOn asks for (a server's Retry-After)", async () => {
    const clock = fakeClock();
    const operation = failing(transient);
    await withRetries(
      operation.run,
      { ...policy, retryOn: () => ({ waitMs: 42_000 }) },
      { sleep: clock.sleep, random: () => 0 },
    );
    expect(clock.waits).toEqual([42_000]);
  });

  it("stops when the signal aborts during a wait", async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    const operation = failing(transient);
    await expect(
      withRetries(operation.run, policy, { sleep: clock.sleep, random: () => 0, signal: controller.signal }),
    ).rejects.toThrow("cancelled");
    expect(operation.calls).toEqual([0]);
  });
});

describe("backoffDelayMs", () => {
  it("full jitter falls in [0, ceiling), capped", () => {
    expect(backoffDelayMs(policy, 0, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 1, () => 0.5)).toBe(100);
    expect(backoffDelayMs(policy, 10, () => 0.5)).toBe(500);
  });

  it("equal jitter falls in [ceiling/2, ceiling], capped", () => {
    const equal = { ...policy, jitter: "equal" as const };
    expect(backoffDelayMs(equal, 0, () => 0)).toBe(50);
    expect(backoffDelayMs(equal, 2, () => 0.5)).toBe(300);
    expect(backoffDelayMs(equal, 10, () => 1)).toBe(1000);
  });
});

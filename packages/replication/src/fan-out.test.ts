import { describe, expect, it } from "vitest";
import { ReplicationError } from "./errors.js";
import { mapWithConcurrency } from "./fan-out.js";
import { resolveRunOptions } from "./node-runner.js";
import { FakeClock } from "./test-support/fake-clock.js";
import { withDeadline } from "./with-deadline.js";

/** A promise the test resolves when it chooses. */
const gate = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((ok) => {
    resolve = ok;
  });
  return { promise, resolve };
};

describe("mapWithConcurrency", () => {
  it("never runs more than the limit at once and keeps input order", async () => {
    let active = 0;
    let peak = 0;
    const gates = Array.from({ length: 7 }, gate);
    const running = mapWithConcurrency([0, 1, 2, 3, 4, 5, 6], 3, async (item) => {
      active++;
      peak = Math.max(peak, active);
      await gates[item]?.promise;
      active--;
      return item * 10;
    });
    for (const gate of [...gates].reverse()) {
      gate.resolve();
      await Promise.resolve();
    }
    const results = await running;
    expect(peak).toBe(3);
    expect(results.map((result) => (result.status === "fulfilled" ? result.value : -1))).toEqual([
      0, 10, 20, 30, 40, 50, 60,
    ]);
  });

  it("collects every failure instead of stopping at the first", async () => {
    const results = await mapWithConcurrency(["a", "b", "c"], 2, (item) =>
      item === "b" ? Promise.resolve(item) : Promise.reject(new Error(item)),
    );
    expect(results.map((result) => result.status)).toEqual(["rejected", "fulfilled", "rejected"]);
  });

  it("handles an empty list and a limit above the item count", async () => {
    expect(await mapWithConcurrency([], 16, () => Promise.resolve(1))).toEqual([]);
    expect((await mapWithConcurrency([1], 16, (item) => Promise.resolve(item)))[0]).toEqual({
      status: "fulfilled",
      value: 1,
    });
  });
});

describe("withDeadline", () => {
  it("aborts the operation and throws the timeout error when the clock passes the deadline", async () => {
    const clock = new FakeClock();
    let aborted = false;
    const never = withDeadline(
      (signal) =>
        new Promise<never>(() => {
          signal.addEventListener("abort", () => {
            aborted = true;
          });
        }),
      1000,
      clock,
      () => new ReplicationError("REPL_TIMEOUT", "late"),
    );
    const outcome = never.catch((error: unknown) => error);
    await clock.advance(999);
    expect(aborted).toBe(false);
    await clock.advance(1);
    expect(await outcome).toMatchObject({ code: "REPL_TIMEOUT" });
    expect(aborted).toBe(true);
  });

  it("returns the result and cancels its timer when the operation wins", async () => {
    const clock = new FakeClock();
    expect(
      await withDeadline(
        () => Promise.resolve(42),
        1000,
        clock,
        () => new Error("late"),
      ),
    ).toBe(42);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("the fan-out retry policy", () => {
  it("retries refused connections and timeouts, never auth failures, host-key refusals or failed writes", () => {
    const { policy } = resolveRunOptions({ retries: 2, retryBaseDelayMs: 100 });
    expect(policy).toMatchObject({ attempts: 3, baseDelayMs: 100, maxDelayMs: 5_000, jitter: "full" });
    for (const code of ["REPL_UNREACHABLE", "REPL_TIMEOUT"] as const)
      expect(policy.retryOn(new ReplicationError(code, "x"), 0)).toBe(true);
    for (const code of [
      "REPL_AUTH_FAILED",
      "REPL_HOST_KEY_UNKNOWN",
      "REPL_HOST_KEY_CHANGED",
      "REPL_REMOTE_WRITE_FAILED",
    ] as const) {
      expect(policy.retryOn(new ReplicationError(code, "no"), 0)).toBe(false);
    }
  });
});

import { describe, expect, it } from "vitest";
import { systemClock } from "./clock.js";

// The only tests of the real clock: each waits 0 ms or is aborted, so none really sleeps.
describe("systemClock", () => {
  it("reads Date.now", () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it("resolves a sleep", async () => {
    await expect(systemClock.sleep(0)).resolves.toBeUndefined();
  });

  it("rejects with the reason of a signal aborted before or during the sleep", async () => {
    const reason = new Error("cancelled");
    await expect(systemClock.sleep(0, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });
});

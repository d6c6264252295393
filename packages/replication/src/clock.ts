/**
 * Time as an injected dependency (STYLE.md §10): timeouts, retries and backoff
 * read it, so tests drive them with a fake clock and never really sleep.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * Runs `operation` with a deadline on `clock`. When the deadline passes first,
 * the operation's signal is aborted (so it can tear down its connection) and
 * `onTimeout()`'s error is thrown; the abandoned promise's outcome is ignored.
 */
export async function withDeadline<Result>(
  operation: (signal: AbortSignal) => Promise<Result>,
  ms: number,
  clock: Clock,
  onTimeout: () => Error,
): Promise<Result> {
  const operationController = new AbortController();
  const timerController = new AbortController();
  const running = operation(operationController.signal);
  running.catch(() => undefined);
  const timedOut = clock.sleep(ms, timerController.signal).then(
    () => true,
    () => false,
  );
  try {
    const winner = await Promise.race([running.then(() => false), timedOut]);
    if (winner) {
      const error = onTimeout();
      operationController.abort(error);
      throw error;
    }
    return await running;
  } finally {
    timerController.abort();
  }
}

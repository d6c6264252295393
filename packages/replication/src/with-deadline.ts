import type { Clock } from "@connect-ops/connection-core";

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
  running.catch(() => undefined); // only marks it handled: its error is awaited below, or the deadline error is thrown instead
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

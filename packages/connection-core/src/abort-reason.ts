/**
 * Why `signal` was aborted, as an Error to reject or throw with: its reason when
 * that is an Error (`abort(error)`, and the DOMException `AbortError` /
 * `TimeoutError` Node gives when no reason is passed), otherwise an Error that
 * carries the reason as its `cause`.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("the operation was aborted", { cause: reason });
}

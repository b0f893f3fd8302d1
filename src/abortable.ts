/**
 * Waiting on shared work with a caller's own signal.
 * @module
 */

/**
 * `promise`, or a rejection with the signal's reason as soon as it aborts —
 * for work shared by several callers, which one caller's abort must not stop.
 */
export function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

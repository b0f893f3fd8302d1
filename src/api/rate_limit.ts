/**
 * A sliding-window request limiter (requests per minute per key), in
 * memory: exact over the last 60 s, with the wait until the next slot.
 * @module
 */

/** The verdict on one request. */
export type RateVerdict = { ok: true } | { ok: false; retryAfterMs: number };

/** The limiter. */
export interface RateLimiter {
  /** Counts a request of `id` against `perMinute` unless that would exceed it. */
  take(id: number, perMinute: number): RateVerdict;
  /** Forgets a key (revoked or limit changed). */
  forget(id: number): void;
}

const WINDOW_MS = 60_000;

/** Creates a limiter. */
export function createRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<number, number[]>();
  return {
    take(id, perMinute) {
      const at = now();
      const times = (windows.get(id) ?? []).filter((t) => t > at - WINDOW_MS);
      if (times.length >= perMinute) {
        windows.set(id, times);
        return { ok: false, retryAfterMs: times[times.length - perMinute] + WINDOW_MS - at };
      }
      times.push(at);
      windows.set(id, times);
      return { ok: true };
    },
    forget(id) {
      windows.delete(id);
    },
  };
}

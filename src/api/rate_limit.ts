/**
 * A sliding-window request limiter (requests per minute per key), in
 * memory: exact over the last 60 s, with the wait until the next slot.
 * @module
 */

/** The verdict on one request. */
export type RateVerdict = { ok: true } | { ok: false; retryAfterMs: number };

/** The limiter, over keys of type `K` (key ids, client addresses). */
export interface RateLimiter<K = number> {
  /** Counts a request of `id` against `perMinute` unless that would exceed it. */
  take(id: K, perMinute: number): RateVerdict;
  /** Forgets a key (revoked). */
  forget(id: K): void;
}

const WINDOW_MS = 60_000;

/**
 * Creates a limiter. With `maxKeys`, the key seen least recently is dropped
 * when a new one would exceed it (keys chosen by clients must not grow the
 * map without bound).
 */
export function createRateLimiter<K = number>(
  now: () => number = Date.now,
  maxKeys = Infinity,
): RateLimiter<K> {
  const windows = new Map<K, number[]>();
  return {
    take(id, perMinute) {
      const at = now();
      const times = (windows.get(id) ?? []).filter((t) => t > at - WINDOW_MS);
      windows.delete(id);
      if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
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

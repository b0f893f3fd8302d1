/**
 * Time series of the overview, made chartable.
 * @module
 */

/** Bucket width and count of each range. */
export const RANGES = {
  "24h": { step: 3600_000, count: 24 },
  "30d": { step: 86400_000, count: 30 },
};

/**
 * Evenly spaced buckets ending at the one that holds `now`, with zeros where
 * the server sent none; bucket boundaries follow the server's.
 * @param {import("./api.js").Bucket[]} series
 * @param {"24h" | "30d"} range
 * @param {number} now
 */
export function fillBuckets(series, range, now) {
  const { step, count } = RANGES[range];
  const anchor = series.length ? series[0].t : 0;
  const offset = ((anchor % step) + step) % step;
  const last = Math.floor((now - offset) / step) * step + offset;
  const first = last - (count - 1) * step;
  const buckets = Array.from({ length: count }, (_, i) => ({
    t: first + i * step,
    requests: 0,
    errors: 0,
    credits: 0,
  }));
  for (const bucket of series) {
    const index = Math.round((bucket.t - first) / step);
    if (index < 0 || index >= count) continue;
    buckets[index].requests += bucket.requests;
    buckets[index].errors += bucket.errors;
    buckets[index].credits += bucket.credits;
  }
  return buckets;
}

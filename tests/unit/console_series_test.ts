import assert from "node:assert/strict";
import { fillBuckets } from "../../static/series.js";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

Deno.test("fillBuckets() gives 24 hourly buckets ending at the current hour, zeros in the gaps", () => {
  const now = Date.UTC(2026, 0, 10, 15, 42);
  const hour = Date.UTC(2026, 0, 10, 15);
  const buckets = fillBuckets(
    [
      { t: hour - 3 * HOUR, requests: 4, errors: 1, credits: 8 },
      { t: hour, requests: 2, errors: 0, credits: 3 },
    ],
    "24h",
    now,
  );
  assert.equal(buckets.length, 24);
  assert.equal(buckets[23].t, hour);
  assert.equal(buckets[0].t, hour - 23 * HOUR);
  assert.deepEqual(buckets[23], { t: hour, requests: 2, errors: 0, credits: 3 });
  assert.deepEqual(buckets[20], { t: hour - 3 * HOUR, requests: 4, errors: 1, credits: 8 });
  assert.equal(buckets.reduce((sum, b) => sum + b.requests, 0), 6);
});

Deno.test("fillBuckets() keeps the server's day boundaries and drops buckets out of range", () => {
  // Days starting at 16:00 UTC are midnights in UTC+8.
  const offset = 16 * HOUR;
  const today = Date.UTC(2026, 0, 9) + offset;
  const now = today + 5 * HOUR;
  const buckets = fillBuckets(
    [
      { t: today - 40 * DAY, requests: 9, errors: 0, credits: 9 },
      { t: today - DAY, requests: 5, errors: 2, credits: 12 },
      { t: today, requests: 1, errors: 0, credits: 2 },
    ],
    "30d",
    now,
  );
  assert.equal(buckets.length, 30);
  assert.equal(buckets[29].t, today);
  assert.equal(buckets[28].requests, 5);
  assert.equal(buckets.reduce((sum, b) => sum + b.requests, 0), 6);
});

Deno.test("fillBuckets() with no data gives empty buckets up to now", () => {
  const now = Date.UTC(2026, 0, 10, 15, 42);
  const buckets = fillBuckets([], "24h", now);
  assert.equal(buckets.length, 24);
  assert.ok(buckets.every((b) => b.requests === 0 && b.credits === 0));
  assert.ok(buckets[23].t <= now && now < buckets[23].t + HOUR);
});

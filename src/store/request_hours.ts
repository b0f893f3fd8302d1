/**
 * The `request_hour_groups` rollup of `requests` (kept by triggers, see
 * migration 80): requests, errors, credits and latency per UTC hour and
 * group of one dimension (all requests, a model, an API key, an account).
 * The console's totals, series and tables read it instead of the request
 * rows: a month is a few thousand rows whatever the traffic.
 * @module
 */
import { type Db, statement } from "./db.ts";

/** What a rollup is grouped by. */
export type UsageDimension = "api_key_id" | "account_key" | "model";

/** Totals of one group. */
export interface UsageTotals {
  /** The key id (`null` = sessionid auth), account key or model (`null` = none). */
  group: number | string | null;
  requests: number;
  errors: number;
  credits: number;
  /** Mean latency, ms. */
  latencyMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * Totals per key, account or model between two times, most requests first (ties by group).
 * Times are rounded down to whole UTC hours (so a day boundary of a zone
 * with a half-hour offset is off by 30 min).
 */
export function usageBy(
  db: Db,
  dimension: UsageDimension,
  since: number,
  until = Number.MAX_SAFE_INTEGER,
): UsageTotals[] {
  const rows = statement(
    db,
    `SELECT grp, sum(requests) AS requests, sum(errors) AS errors,
       sum(credits) AS credits, sum(latency_ms) AS latency
     FROM request_hour_groups WHERE dimension = ? AND hour >= ? AND hour < ?
     GROUP BY grp ORDER BY requests DESC, grp`,
  ).all(dimension, Math.floor(since / HOUR_MS), Math.ceil(until / HOUR_MS)) as {
    grp: number | string;
    requests: number;
    errors: number;
    credits: number;
    latency: number;
  }[];
  return rows.map((row) => ({
    group: row.grp === 0 || row.grp === "" ? null : row.grp,
    requests: row.requests,
    errors: row.errors,
    credits: row.credits,
    latencyMs: row.requests > 0 ? Math.round(row.latency / row.requests) : 0,
  }));
}

/** Requests, errors and credits of one span. */
export interface UsageCounts {
  requests: number;
  errors: number;
  credits: number;
}

/** Totals over all groups between two times (whole UTC hours). */
export function usageTotal(db: Db, since: number, until = Number.MAX_SAFE_INTEGER): UsageCounts {
  const row = statement(
    db,
    `SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(errors), 0) AS errors,
       coalesce(sum(credits), 0) AS credits
     FROM request_hour_groups WHERE dimension = 'all' AND hour >= ? AND hour < ?`,
  ).get(Math.floor(since / HOUR_MS), Math.ceil(until / HOUR_MS)) as unknown as UsageCounts;
  return { requests: row.requests, errors: row.errors, credits: row.credits };
}

/**
 * Totals per time bucket between two times, oldest first, empty buckets
 * included. Buckets are `bucketMs` long (a whole number of hours) and start
 * at `since`.
 */
export function usageSeries(
  db: Db,
  since: number,
  until: number,
  bucketMs: number,
): (UsageCounts & { t: number })[] {
  if (bucketMs < HOUR_MS || bucketMs % HOUR_MS !== 0) {
    throw new RangeError(`Invalid bucket ${bucketMs} ms: expected a whole number of hours`);
  }
  const firstHour = Math.floor(since / HOUR_MS);
  const bucketHours = bucketMs / HOUR_MS;
  // node:sqlite binds numbers as REAL: the casts keep the bucket division whole.
  const rows = statement(
    db,
    `SELECT CAST(hour - ? AS INTEGER) / CAST(? AS INTEGER) AS bucket, sum(requests) AS requests,
       sum(errors) AS errors, sum(credits) AS credits
     FROM request_hour_groups WHERE dimension = 'all' AND hour >= ? AND hour < ?
     GROUP BY bucket`,
  ).all(
    firstHour,
    bucketHours,
    firstHour,
    Math.ceil(until / HOUR_MS),
  ) as unknown as (UsageCounts & { bucket: number })[];
  const byBucket = new Map(rows.map((row) => [row.bucket, row]));
  const count = Math.max(0, Math.ceil((until - firstHour * HOUR_MS) / bucketMs));
  return Array.from({ length: count }, (_, bucket) => {
    const row = byBucket.get(bucket);
    return {
      t: (firstHour + bucket * bucketHours) * HOUR_MS,
      requests: row?.requests ?? 0,
      errors: row?.errors ?? 0,
      credits: row?.credits ?? 0,
    };
  });
}

/** Rows of the rollup (how much the console's reads can scan at most). */
export function countRollupRows(db: Db): number {
  return (statement(db, "SELECT count(*) AS n FROM request_hour_groups").get() as { n: number }).n;
}

/**
 * The `request_hours` rollup of `requests` (kept by triggers, see migration
 * 35): requests, errors, credits and latency per UTC hour, API key, account
 * and model. Long-range tables per key, account or model read it instead of
 * the request rows.
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
  const column = { api_key_id: "api_key_id", account_key: "account_key", model: "model" }[
    dimension
  ];
  const rows = statement(
    db,
    `SELECT ${column} AS grp, sum(requests) AS requests, sum(errors) AS errors,
       sum(credits) AS credits, sum(latency_ms) AS latency
     FROM request_hours WHERE hour >= ? AND hour < ?
     GROUP BY ${column} ORDER BY requests DESC, grp`,
  ).all(Math.floor(since / HOUR_MS), Math.ceil(until / HOUR_MS)) as {
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

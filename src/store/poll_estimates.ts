/**
 * The `poll_estimates` table: the poller's learned run time per upstream
 * model key, kept across restarts.
 * @module
 */
import { type Db, statement } from "./db.ts";

/** One learned run time. */
export interface PollEstimate {
  /** The model's upstream request key. */
  modelKey: string;
  runMs: number;
  updatedAt: number;
}

/** Every stored estimate. */
export function listPollEstimates(db: Db): PollEstimate[] {
  const rows = statement(
    db,
    "SELECT model_key, run_ms, updated_at FROM poll_estimates ORDER BY model_key",
  ).all() as { model_key: string; run_ms: number; updated_at: number }[];
  return rows.map((row) => ({
    modelKey: row.model_key,
    runMs: row.run_ms,
    updatedAt: row.updated_at,
  }));
}

/** Stores (or replaces) the estimate of a model key; the run time is rounded to whole ms. */
export function savePollEstimate(db: Db, estimate: PollEstimate): void {
  statement(
    db,
    `INSERT INTO poll_estimates (model_key, run_ms, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (model_key) DO UPDATE SET run_ms = excluded.run_ms, updated_at = excluded.updated_at`,
  ).run(estimate.modelKey, Math.max(0, Math.round(estimate.runMs)), estimate.updatedAt);
}

import type { Db } from "../db.ts";

/**
 * What the poller learned about each model's run time (from the end of any
 * upstream queue to the result), so a restart starts from it instead of the
 * model's typical guess. One row per upstream model key.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE poll_estimates (
      model_key TEXT PRIMARY KEY,
      run_ms INTEGER NOT NULL CHECK (run_ms >= 0),
      updated_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `);
}

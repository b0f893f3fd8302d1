import type { Db } from "../db.ts";

/**
 * Routes (site + endpoint + model) that Jimeng's risk control refuses unless
 * they come from its web page, learned by the browser transport so that
 * later calls, also after a restart, go straight through the page. `model`
 * is `''` for calls without one (e.g. the daily credit claim).
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE browser_routes (
      id INTEGER PRIMARY KEY,
      site TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      model TEXT NOT NULL DEFAULT '',
      learned_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL,
      calls INTEGER NOT NULL DEFAULT 0,
      UNIQUE (site, endpoint, model)
    ) STRICT;
  `);
}

import type { Db } from "../db.ts";

/**
 * Requests remember the API key that made them. Per-key and per-account
 * indexes cover the time range and the credits, so quotas and the
 * dashboard's per-key/per-account tables read the index, not the table.
 */
export function up(db: Db): void {
  db.exec(`
    ALTER TABLE requests ADD COLUMN api_key_id INTEGER;
    CREATE INDEX requests_key_time ON requests (api_key_id, created_at, credits_spent)
      WHERE api_key_id IS NOT NULL;
    CREATE INDEX requests_account_time ON requests (account_key, created_at, credits_spent)
      WHERE account_key IS NOT NULL;
  `);
}

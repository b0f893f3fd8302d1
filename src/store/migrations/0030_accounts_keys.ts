import type { Db } from "../db.ts";

/**
 * The operator's upstream accounts (sessionids encrypted at rest, found by
 * hash) and the API keys the server issues (found by the hash of the secret).
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE accounts (
      id INTEGER PRIMARY KEY,
      token_hash TEXT NOT NULL UNIQUE,
      label TEXT NOT NULL,
      region TEXT NOT NULL,
      secret BLOB NOT NULL,
      key_id TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      expired INTEGER NOT NULL DEFAULT 0,
      cooling_until INTEGER NOT NULL DEFAULT 0,
      credits_gift INTEGER,
      credits_purchase INTEGER,
      credits_vip INTEGER,
      credits_total INTEGER,
      credits_at INTEGER,
      last_check_at INTEGER,
      last_check_error TEXT,
      last_claim_at INTEGER,
      last_claim_day TEXT,
      last_claim_received INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE api_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      prefix TEXT NOT NULL,
      secret_hash TEXT NOT NULL UNIQUE,
      quota_per_day INTEGER,
      rate_per_minute INTEGER,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      last_used_at INTEGER
    ) STRICT;
  `);
}

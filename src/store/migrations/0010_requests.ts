import type { Db } from "../db.ts";

/** One row per API request: the usage record behind statistics. */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE requests (
      id INTEGER PRIMARY KEY,
      created_at INTEGER NOT NULL,
      request_id TEXT NOT NULL,
      endpoint TEXT NOT NULL,
      model TEXT,
      kind TEXT NOT NULL,
      n INTEGER NOT NULL DEFAULT 0,
      status TEXT NOT NULL,
      http_status INTEGER NOT NULL,
      error_code TEXT,
      account_key TEXT,
      account_label TEXT,
      credits_spent INTEGER,
      credits_remaining INTEGER,
      latency_ms INTEGER NOT NULL,
      history_ids TEXT
    ) STRICT;
    CREATE INDEX requests_created ON requests (created_at);
  `);
}

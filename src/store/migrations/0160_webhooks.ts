import type { Db } from "../db.ts";

/**
 * The webhook outbox: each event once (its body exactly as sent, so every
 * retry carries the same bytes and `webhook-id`), and one delivery per target
 * URL with its own state, attempts and next try. Pending deliveries are found
 * by the partial index on their due time.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE webhook_events (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE webhook_deliveries (
      id INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
      url TEXT NOT NULL,
      api_key_id INTEGER,
      status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER,
      last_attempt_at INTEGER,
      last_status INTEGER,
      last_error TEXT,
      delivered_at INTEGER,
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
      WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
  `);
}

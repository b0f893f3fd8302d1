import type { Db } from "../db.ts";

/**
 * Durable generation jobs (the OpenAI video API) and the input images a job
 * needs until it has been submitted upstream.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE jobs (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
      owner TEXT NOT NULL,
      model TEXT NOT NULL,
      prompt TEXT NOT NULL,
      params TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('queued', 'in_progress', 'completed', 'failed')),
      progress INTEGER NOT NULL DEFAULT 0,
      submit_id TEXT NOT NULL,
      history_id TEXT,
      account_key TEXT,
      auth_sealed TEXT,
      idempotency_key TEXT,
      api_key_id INTEGER,
      request_id TEXT,
      result TEXT,
      error_code TEXT,
      error_message TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      submitted_at INTEGER,
      completed_at INTEGER,
      expires_at INTEGER
    ) STRICT;
    CREATE INDEX jobs_owner ON jobs (owner);
    CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('queued', 'in_progress');
    CREATE UNIQUE INDEX jobs_idempotency ON jobs (owner, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE TABLE job_inputs (
      job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      bytes BLOB NOT NULL,
      PRIMARY KEY (job_id, position)
    ) STRICT;
  `);
}

import type { Db } from "../db.ts";

/**
 * The reference materials of omni-reference video jobs. The bytes live as
 * files under `DATA_DIR/references` (a row names its file); a row also keeps
 * what the upload gave for one account (an ImageX URI or a VOD Vid), so a job
 * resumed on that account does not upload again.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE job_references (
      job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('image', 'video', 'audio')),
      file TEXT NOT NULL,
      size INTEGER NOT NULL,
      account_key TEXT,
      upload TEXT,
      PRIMARY KEY (job_id, position)
    ) STRICT;
  `);
}

import type { Db } from "../db.ts";

/**
 * One row per generated image or video: what was asked, who asked, where the
 * upstream put it and, while cached, the local file. `seq` orders rows; `id`
 * is the unguessable public id used in `/media/<id>.<ext>`.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE media (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
      model TEXT NOT NULL,
      prompt TEXT NOT NULL,
      width INTEGER,
      height INTEGER,
      account_key TEXT,
      account_label TEXT,
      api_key_id INTEGER,
      request_id TEXT NOT NULL,
      upstream_url TEXT NOT NULL,
      file_name TEXT,
      bytes INTEGER,
      content_type TEXT,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX media_kind ON media (kind, seq);
    CREATE INDEX media_model ON media (model, seq);
    CREATE INDEX media_created ON media (created_at);
    CREATE INDEX media_request ON media (request_id);
    CREATE INDEX media_cached ON media (seq) WHERE file_name IS NOT NULL;
  `);
}

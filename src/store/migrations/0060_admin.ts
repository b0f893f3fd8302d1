import type { Db } from "../db.ts";

/**
 * Console administrators, their login sessions (stored by the hash of the
 * cookie value) and recent login failures for throttling.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE admin_users (
      id INTEGER PRIMARY KEY,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      password_changed_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE admin_sessions (
      id_hash TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
      csrf_token TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
    CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

    CREATE TABLE login_failures (
      id INTEGER PRIMARY KEY,
      scope TEXT NOT NULL,
      subject TEXT NOT NULL,
      at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX login_failures_subject ON login_failures (scope, subject, at);
  `);
}

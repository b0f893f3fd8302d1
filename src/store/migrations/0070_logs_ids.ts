import type { Db } from "../db.ts";

/**
 * Log ids are never reused: with a plain rowid, clearing the table made the
 * next record id 1 again, and a console still showing older lines dropped
 * the new ones as already shown (its live tail and paging go by id).
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE logs_next (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      time INTEGER NOT NULL,
      level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
      message TEXT NOT NULL,
      fields TEXT
    ) STRICT;
    INSERT INTO logs_next (id, time, level, message, fields)
      SELECT id, time, level, message, fields FROM logs ORDER BY id;
    DROP TABLE logs;
    ALTER TABLE logs_next RENAME TO logs;
    CREATE INDEX logs_level ON logs (level, id);
  `);
}

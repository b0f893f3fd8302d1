import type { Db } from "../db.ts";

/** The last N log records (info and above) for the console. */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE logs (
      id INTEGER PRIMARY KEY,
      time INTEGER NOT NULL,
      level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
      message TEXT NOT NULL,
      fields TEXT
    ) STRICT;
    CREATE INDEX logs_level ON logs (level, id);
  `);
}

import type { Db } from "../db.ts";

/**
 * Settings changed from the console at run time. A secret's value is stored
 * sealed (base64 of the secret box's output), never in clear.
 */
export function up(db: Db): void {
  db.exec(`
    CREATE TABLE settings (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1)),
      updated_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `);
}

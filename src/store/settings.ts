/**
 * The `settings` table: values the console set at run time, by name.
 * @module
 */
import { type Db, statement } from "./db.ts";

/** A stored setting. */
export interface StoredSetting {
  name: string;
  value: string;
  /** Whether `value` is sealed (a secret). */
  sealed: boolean;
  updatedAt: number;
}

interface SettingRow {
  name: string;
  value: string;
  sealed: number;
  updated_at: number;
}

const toSetting = (row: SettingRow): StoredSetting => ({
  name: row.name,
  value: row.value,
  sealed: row.sealed === 1,
  updatedAt: row.updated_at,
});

/** Every stored setting. */
export function listStoredSettings(db: Db): StoredSetting[] {
  const rows = statement(db, "SELECT name, value, sealed, updated_at FROM settings ORDER BY name")
    .all() as unknown as SettingRow[];
  return rows.map(toSetting);
}

/** Stores (or replaces) one setting. */
export function upsertSetting(db: Db, setting: StoredSetting): void {
  statement(
    db,
    `INSERT INTO settings (name, value, sealed, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, sealed = excluded.sealed,
       updated_at = excluded.updated_at`,
  ).run(setting.name, setting.value, setting.sealed ? 1 : 0, setting.updatedAt);
}

/** Removes a stored setting; returns whether there was one. */
export function deleteSetting(db: Db, name: string): boolean {
  return Number(statement(db, "DELETE FROM settings WHERE name = ?").run(name).changes) > 0;
}

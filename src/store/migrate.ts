/**
 * Versioned schema migrations. Each migration is one numbered function of
 * plain SQL; the runner applies the pending ones in one transaction and
 * records the version in `PRAGMA user_version`. A database written by a
 * newer build is refused, never touched.
 * @module
 */
import { type Db, transaction } from "./db.ts";
import { MIGRATIONS } from "./migrations/all.ts";

/** One schema step. */
export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
}

/** The schema a database is at. */
export function schemaVersion(db: Db): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
}

/** The newest schema this build knows. */
export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

/**
 * Brings the database up to date.
 *
 * @returns the versions applied
 * @throws {Error} if the database is newer than this build
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version <= migrations[i - 1].version) {
      throw new TypeError(`Migrations out of order at version ${migrations[i].version}`);
    }
  }
  const current = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (current > latest) {
    throw new Error(
      `The database schema is version ${current}, newer than this build knows (${latest}): ` +
        "it was written by a newer jimeng-api; run that version or restore a backup",
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length === 0) return [];
  transaction(db, () => {
    for (const migration of pending) migration.up(db);
    db.exec(`PRAGMA user_version = ${latest}`);
  });
  return pending.map((m) => m.version);
}

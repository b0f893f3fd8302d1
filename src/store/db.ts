/**
 * The SQLite database (`node:sqlite`): opening with the pragmas the server
 * relies on, cached prepared statements and transactions.
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

/** The database handle passed to every store function. */
export type Db = DatabaseSync;

/** A bound parameter. */
export type SqlValue = SQLInputValue;

/**
 * Opens (and creates) a database file, or `":memory:"`. WAL lets the
 * dashboard read while requests write; the busy timeout absorbs the rare
 * writer overlap; NORMAL sync is durable against process crashes.
 */
export function openDatabase(path: string): Db {
  const db = new DatabaseSync(path);
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA busy_timeout = 5000;
    PRAGMA synchronous = NORMAL;
    PRAGMA foreign_keys = ON;
    PRAGMA temp_store = MEMORY;
  `);
  return db;
}

const statements = new WeakMap<Db, Map<string, StatementSync>>();

/** A prepared statement, cached per database and SQL text. */
export function statement(db: Db, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

/** Runs `fn` in one immediate transaction; rolls back if it throws. Nested calls join the outer one. */
export function transaction<T>(db: Db, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** What a failed SQLite call says about the storage under it. */
export type StorageFailure = "full" | "read_only" | "io" | "busy";

// Primary result codes (the low byte of an extended code).
const SQLITE_BUSY = 5;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

/**
 * Classifies an error thrown by `node:sqlite` that comes from the disk or a
 * lock rather than from the SQL (those are bugs): `undefined` for anything else.
 */
export function storageFailure(error: unknown): StorageFailure | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== "ERR_SQLITE_ERROR") {
    return undefined;
  }
  const errcode = (error as { errcode?: unknown }).errcode;
  const primary = typeof errcode === "number" ? errcode & 0xff : undefined;
  if (primary === SQLITE_FULL || /disk is full/.test(error.message)) return "full";
  if (primary === SQLITE_READONLY || /readonly database/.test(error.message)) return "read_only";
  if (
    primary === SQLITE_IOERR || primary === SQLITE_CANTOPEN || /disk I\/O error/.test(error.message)
  ) {
    return "io";
  }
  if (primary === SQLITE_BUSY || /database is locked/.test(error.message)) return "busy";
  return undefined;
}

/**
 * The `logs` table: the last N log records for the console.
 * @module
 */
import type { LogLevel, LogRecord } from "../log.ts";
import { type Db, type SqlValue, statement, transaction } from "./db.ts";

/** A stored log record. */
export interface LogEntry extends LogRecord {
  id: number;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Longest message and fields text stored; longer ones are cut. */
const MAX_MESSAGE = 4000;
const MAX_FIELDS = 16_000;

function fieldsText(fields: Record<string, unknown> | undefined): string | null {
  if (!fields || Object.keys(fields).length === 0) return null;
  let text: string;
  try {
    text = JSON.stringify(fields);
  } catch {
    return JSON.stringify({ unserializable: true });
  }
  return text.length > MAX_FIELDS ? JSON.stringify({ truncated: text.slice(0, MAX_FIELDS) }) : text;
}

function toLogEntry(row: Record<string, unknown>): LogEntry {
  const entry: LogEntry = {
    id: row.id as number,
    time: row.time as number,
    level: row.level as LogLevel,
    message: row.message as string,
  };
  if (row.fields !== null) entry.fields = JSON.parse(row.fields as string);
  return entry;
}

/**
 * Appends records in one transaction, then deletes all but the newest
 * `keep`. Returns the stored entries with their ids.
 */
export function insertLogs(db: Db, records: readonly LogRecord[], keep: number): LogEntry[] {
  const insert = statement(
    db,
    "INSERT INTO logs (time, level, message, fields) VALUES (?, ?, ?, ?) RETURNING id",
  );
  return transaction(db, () => {
    const entries = records.map((record) => {
      const message = record.message.length > MAX_MESSAGE
        ? `${record.message.slice(0, MAX_MESSAGE)}…`
        : record.message;
      const fields = fieldsText(record.fields);
      const { id } = insert.get(record.time, record.level, message, fields) as { id: number };
      const entry: LogEntry = { id, time: record.time, level: record.level, message };
      if (fields !== null) entry.fields = JSON.parse(fields);
      return entry;
    });
    trimLogs(db, keep);
    return entries;
  });
}

/** Deletes all but the newest `keep` records; returns how many went. */
export function trimLogs(db: Db, keep: number): number {
  const result = statement(
    db,
    `DELETE FROM logs WHERE id <= coalesce(
       (SELECT id FROM logs ORDER BY id DESC LIMIT 1 OFFSET ?), 0)`,
  ).run(keep);
  return Number(result.changes);
}

/** Query of {@linkcode queryLogs}. */
export interface LogQuery {
  /** Lowest level returned. */
  level?: LogLevel;
  /** Case-insensitive substring of the message or the fields' JSON. */
  search?: string;
  /** Only records older than this id (the last id of the previous page). */
  beforeId?: number;
  /** 1–1000. */
  limit: number;
}

/** Records newest first. */
export function queryLogs(db: Db, query: LogQuery): LogEntry[] {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
    throw new RangeError(`Invalid limit ${query.limit}: expected an integer from 1 to 1000`);
  }
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  if (query.level !== undefined && query.level !== "debug") {
    const levels = LEVELS.slice(LEVELS.indexOf(query.level));
    clauses.push(`level IN (${levels.map(() => "?").join(", ")})`);
    params.push(...levels);
  }
  if (query.search !== undefined && query.search !== "") {
    const pattern = `%${query.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    clauses.push("(message LIKE ? ESCAPE '\\' OR fields LIKE ? ESCAPE '\\')");
    params.push(pattern, pattern);
  }
  if (query.beforeId !== undefined) {
    clauses.push("id < ?");
    params.push(query.beforeId);
  }
  const sql = `SELECT id, time, level, message, fields FROM logs
    ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const rows = statement(db, sql).all(...params, query.limit) as Record<string, unknown>[];
  return rows.map(toLogEntry);
}

/** Number of stored records. */
export function countLogs(db: Db): number {
  return (statement(db, "SELECT count(*) AS n FROM logs").get() as { n: number }).n;
}

/** Deletes every record; returns how many. */
export function deleteAllLogs(db: Db): number {
  return Number(statement(db, "DELETE FROM logs").run().changes);
}

/**
 * Deletes up to `batch` of the oldest records written before `cutoff` and
 * returns how many. Ids grow with time, so it reads only the oldest rows.
 */
export function pruneLogs(db: Db, cutoff: number, batch: number): number {
  const result = statement(
    db,
    `DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT ?) AND time < ?`,
  ).run(batch, cutoff);
  return Number(result.changes);
}

/**
 * The `requests` table: one row per generation request (a call that creates
 * work, after authentication), the usage log behind statistics and quotas.
 * @module
 */
import { type Db, type SqlValue, statement } from "./db.ts";

/** How a generation request ended. */
export type RequestStatus =
  /** Answered with its result. */
  | "ok"
  /** Answered with an error. */
  | "error"
  /** The client went away before the answer (`client_closed`, 499). */
  | "cancelled";

/** What is recorded about a request. */
export interface RequestRecord {
  createdAt: number;
  requestId: string;
  /** The route pattern (e.g. `/v1/images/generations`), never the raw path. */
  endpoint: string;
  model: string | null;
  kind: "image" | "video" | "other";
  n: number;
  status: RequestStatus;
  httpStatus: number;
  errorCode: string | null;
  accountKey: string | null;
  accountLabel: string | null;
  creditsSpent: number | null;
  creditsRemaining: number | null;
  latencyMs: number;
  historyIds: string | null;
  /** The issued API key that made the request; `null` for sessionid auth. */
  apiKeyId: number | null;
  /** Credits reserved against the key's quota before the submit; counted until the spend is known. */
  creditsReserved?: number | null;
  /** A video's length. */
  seconds?: number | null;
  /** The error message the client got (already redacted). */
  errorMessage?: string | null;
}

/** A stored request with its row id. */
export interface StoredRequest extends RequestRecord {
  id: number;
  creditsReserved: number | null;
  seconds: number | null;
  errorMessage: string | null;
}

/** Longest error message stored. */
const MAX_ERROR_MESSAGE = 1000;

/** Inserts one request row and returns its id. */
export function insertRequest(db: Db, record: RequestRecord): number {
  const message = record.errorMessage ?? null;
  const result = statement(
    db,
    `INSERT INTO requests (created_at, request_id, endpoint, model, kind, n, status, http_status,
       error_code, account_key, account_label, credits_spent, credits_remaining, latency_ms, history_ids,
       api_key_id, credits_reserved, seconds, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    record.createdAt,
    record.requestId,
    record.endpoint,
    record.model,
    record.kind,
    record.n,
    record.status,
    record.httpStatus,
    record.errorCode,
    record.accountKey,
    record.accountLabel,
    record.creditsSpent,
    record.creditsRemaining,
    record.latencyMs,
    record.historyIds,
    record.apiKeyId,
    record.creditsReserved ?? null,
    record.seconds ?? null,
    message === null || message.length <= MAX_ERROR_MESSAGE
      ? message
      : `${message.slice(0, MAX_ERROR_MESSAGE)}…`,
  );
  return Number(result.lastInsertRowid);
}

/**
 * Fills in the credits of a request once the account's balance after it is
 * known (the refresh lands after the answer was sent).
 */
export function completeRequestCredits(
  db: Db,
  id: number,
  creditsSpent: number | null,
  creditsRemaining: number | null,
): void {
  statement(db, "UPDATE requests SET credits_spent = ?, credits_remaining = ? WHERE id = ?").run(
    creditsSpent,
    creditsRemaining,
    id,
  );
}

/** Counts requests (all, or since a time). */
export function countRequests(db: Db, since = 0): number {
  const row = statement(db, "SELECT count(*) AS n FROM requests WHERE created_at >= ?").get(
    since,
  ) as {
    n: number;
  };
  return row.n;
}

const COLUMNS = `id, created_at, request_id, endpoint, model, kind, n, status, http_status,
  error_code, account_key, account_label, credits_spent, credits_remaining, latency_ms, history_ids,
  api_key_id, credits_reserved, seconds, error_message`;

function toStoredRequest(row: Record<string, unknown>): StoredRequest {
  return {
    id: row.id as number,
    createdAt: row.created_at as number,
    requestId: row.request_id as string,
    endpoint: row.endpoint as string,
    model: row.model as string | null,
    kind: row.kind as RequestRecord["kind"],
    n: row.n as number,
    status: row.status as RequestStatus,
    httpStatus: row.http_status as number,
    errorCode: row.error_code as string | null,
    accountKey: row.account_key as string | null,
    accountLabel: row.account_label as string | null,
    creditsSpent: row.credits_spent as number | null,
    creditsRemaining: row.credits_remaining as number | null,
    latencyMs: row.latency_ms as number,
    historyIds: row.history_ids as string | null,
    apiKeyId: row.api_key_id as number | null,
    creditsReserved: row.credits_reserved as number | null,
    seconds: row.seconds as number | null,
    errorMessage: row.error_message as string | null,
  };
}

/** The most recent requests, newest first. */
export function recentRequests(db: Db, limit: number): StoredRequest[] {
  const rows = statement(db, `SELECT ${COLUMNS} FROM requests ORDER BY id DESC LIMIT ?`).all(
    limit,
  ) as Record<string, unknown>[];
  return rows.map(toStoredRequest);
}

/** Filters of the usage log; all optional. */
export interface RequestFilter {
  /** An issued key's id, or `null` for sessionid callers. */
  apiKeyId?: number | null;
  model?: string;
  /** `ok`, `error`, `cancelled`, or an error code (e.g. `insufficient_quota`). */
  outcome?: string;
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
  /** Only rows with a smaller id (the page cursor). */
  beforeId?: number;
}

function where(filter: RequestFilter): { sql: string; params: SqlValue[] } {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  if (filter.apiKeyId === null) clauses.push("api_key_id IS NULL");
  else if (filter.apiKeyId !== undefined) {
    clauses.push("api_key_id = ?");
    params.push(filter.apiKeyId);
  }
  if (filter.model !== undefined) {
    clauses.push("model = ?");
    params.push(filter.model);
  }
  if (filter.outcome === "ok" || filter.outcome === "error" || filter.outcome === "cancelled") {
    clauses.push("status = ?");
    params.push(filter.outcome);
  } else if (filter.outcome !== undefined) {
    clauses.push("error_code = ?");
    params.push(filter.outcome);
  }
  if (filter.since !== undefined) {
    clauses.push("created_at >= ?");
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    clauses.push("created_at < ?");
    params.push(filter.until);
  }
  if (filter.beforeId !== undefined) {
    clauses.push("id < ?");
    params.push(filter.beforeId);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** A page of the usage log, newest first. */
export function listRequests(db: Db, filter: RequestFilter, limit: number): StoredRequest[] {
  const { sql, params } = where(filter);
  const rows = statement(
    db,
    `SELECT ${COLUMNS} FROM requests ${sql} ORDER BY id DESC LIMIT ?`,
  ).all(...params, limit) as Record<string, unknown>[];
  return rows.map(toStoredRequest);
}

/** The distinct models and error codes recorded (for the usage log's filter menus). */
export function requestFacets(db: Db): { models: string[]; errorCodes: string[] } {
  const models = statement(
    db,
    "SELECT DISTINCT grp AS v FROM request_hour_groups WHERE dimension = 'model' AND grp <> '' ORDER BY v",
  ).all() as { v: string }[];
  const codes = statement(
    db,
    `SELECT DISTINCT error_code AS v FROM (SELECT error_code FROM requests ORDER BY id DESC LIMIT 10000)
     WHERE v IS NOT NULL ORDER BY v`,
  ).all() as { v: string }[];
  return { models: models.map((r) => r.v), errorCodes: codes.map((r) => r.v) };
}

/**
 * Deletes up to `batch` rows created before `cutoff`, oldest first, and
 * returns how many. Statistics keep them: the hourly rollup does not follow
 * deletions.
 */
export function pruneRequests(db: Db, cutoff: number, batch: number): number {
  const result = statement(
    db,
    `DELETE FROM requests WHERE id IN
       (SELECT id FROM requests WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
  ).run(cutoff, batch);
  return Number(result.changes);
}

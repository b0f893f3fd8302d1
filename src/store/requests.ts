/**
 * The `requests` table: one row per API request.
 * @module
 */
import { type Db, statement } from "./db.ts";

/** What is recorded about a request. */
export interface RequestRecord {
  createdAt: number;
  requestId: string;
  endpoint: string;
  model: string | null;
  kind: "image" | "video" | "other";
  n: number;
  status: "ok" | "error";
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
}

/** Inserts one request row and returns its id. */
export function insertRequest(db: Db, record: RequestRecord): number {
  const result = statement(
    db,
    `INSERT INTO requests (created_at, request_id, endpoint, model, kind, n, status, http_status,
       error_code, account_key, account_label, credits_spent, credits_remaining, latency_ms, history_ids,
       api_key_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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

/** The most recent requests, newest first. */
export function recentRequests(db: Db, limit: number): RequestRecord[] {
  const rows = statement(
    db,
    `SELECT created_at, request_id, endpoint, model, kind, n, status, http_status, error_code,
       account_key, account_label, credits_spent, credits_remaining, latency_ms, history_ids,
       api_key_id
     FROM requests ORDER BY id DESC LIMIT ?`,
  ).all(limit) as Record<string, unknown>[];
  return rows.map((row) => ({
    createdAt: row.created_at as number,
    requestId: row.request_id as string,
    endpoint: row.endpoint as string,
    model: row.model as string | null,
    kind: row.kind as RequestRecord["kind"],
    n: row.n as number,
    status: row.status as RequestRecord["status"],
    httpStatus: row.http_status as number,
    errorCode: row.error_code as string | null,
    accountKey: row.account_key as string | null,
    accountLabel: row.account_label as string | null,
    creditsSpent: row.credits_spent as number | null,
    creditsRemaining: row.credits_remaining as number | null,
    latencyMs: row.latency_ms as number,
    historyIds: row.history_ids as string | null,
    apiKeyId: row.api_key_id as number | null,
  }));
}

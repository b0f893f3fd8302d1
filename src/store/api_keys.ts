/**
 * The `api_keys` table and per-key usage read from `requests`. Only the
 * SHA-256 of a key's secret is stored.
 * @module
 */
import { type Db, statement } from "./db.ts";

/** A stored API key. */
export interface ApiKeyRow {
  id: number;
  name: string;
  /** Masked key for display (`sk-abcd…wxyz`). */
  prefix: string;
  secretHash: string;
  /** Credits per day; `null` = unlimited. */
  quotaPerDay: number | null;
  /** Requests per minute; `null` = unlimited. */
  ratePerMinute: number | null;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  /** Also receives the webhook events of this key's jobs; `null` = none. */
  webhookUrl: string | null;
}

/** What a new key needs. */
export interface NewApiKey {
  name: string;
  prefix: string;
  secretHash: string;
  quotaPerDay: number | null;
  ratePerMinute: number | null;
  createdAt: number;
  webhookUrl?: string | null;
}

/** Editable fields; absent = unchanged, `null` = unlimited (or no webhook). */
export interface ApiKeyChanges {
  name?: string;
  quotaPerDay?: number | null;
  ratePerMinute?: number | null;
  webhookUrl?: string | null;
}

/** A key's usage since a time. */
export interface KeyUsage {
  requests: number;
  credits: number;
}

const COLUMNS =
  "id, name, prefix, secret_hash, quota_per_day, rate_per_minute, created_at, revoked_at, last_used_at, webhook_url";

function toApiKeyRow(row: Record<string, unknown>): ApiKeyRow {
  return {
    id: row.id as number,
    name: row.name as string,
    prefix: row.prefix as string,
    secretHash: row.secret_hash as string,
    quotaPerDay: row.quota_per_day as number | null,
    ratePerMinute: row.rate_per_minute as number | null,
    createdAt: row.created_at as number,
    revokedAt: row.revoked_at as number | null,
    lastUsedAt: row.last_used_at as number | null,
    webhookUrl: row.webhook_url as string | null,
  };
}

/** Inserts a key. */
export function insertApiKey(db: Db, key: NewApiKey): ApiKeyRow {
  const row = statement(
    db,
    `INSERT INTO api_keys
       (name, prefix, secret_hash, quota_per_day, rate_per_minute, created_at, webhook_url)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  ).get(
    key.name,
    key.prefix,
    key.secretHash,
    key.quotaPerDay,
    key.ratePerMinute,
    key.createdAt,
    key.webhookUrl ?? null,
  ) as Record<string, unknown>;
  return toApiKeyRow(row);
}

/** Every key, newest first. */
export function listApiKeys(db: Db): ApiKeyRow[] {
  const rows = statement(db, `SELECT ${COLUMNS} FROM api_keys ORDER BY id DESC`).all();
  return rows.map((row) => toApiKeyRow(row as Record<string, unknown>));
}

/** One key by id. */
export function getApiKey(db: Db, id: number): ApiKeyRow | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM api_keys WHERE id = ?`).get(id);
  return row ? toApiKeyRow(row as Record<string, unknown>) : undefined;
}

/** One key by the hash of its secret (revoked ones included). */
export function findApiKeyByHash(db: Db, secretHash: string): ApiKeyRow | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = ?`).get(
    secretHash,
  );
  return row ? toApiKeyRow(row as Record<string, unknown>) : undefined;
}

/** Applies changes; `undefined` when the key does not exist. */
export function updateApiKey(db: Db, id: number, changes: ApiKeyChanges): ApiKeyRow | undefined {
  const row = statement(
    db,
    `UPDATE api_keys SET
       name = CASE WHEN ? THEN ? ELSE name END,
       quota_per_day = CASE WHEN ? THEN ? ELSE quota_per_day END,
       rate_per_minute = CASE WHEN ? THEN ? ELSE rate_per_minute END,
       webhook_url = CASE WHEN ? THEN ? ELSE webhook_url END
     WHERE id = ? RETURNING ${COLUMNS}`,
  ).get(
    changes.name !== undefined ? 1 : 0,
    changes.name ?? null,
    changes.quotaPerDay !== undefined ? 1 : 0,
    changes.quotaPerDay ?? null,
    changes.ratePerMinute !== undefined ? 1 : 0,
    changes.ratePerMinute ?? null,
    changes.webhookUrl !== undefined ? 1 : 0,
    changes.webhookUrl ?? null,
    id,
  ) as Record<string, unknown> | undefined;
  return row ? toApiKeyRow(row) : undefined;
}

/** Revokes a key (idempotent: the first revocation time stays). */
export function revokeApiKey(db: Db, id: number, at: number): ApiKeyRow | undefined {
  const row = statement(
    db,
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${COLUMNS}`,
  ).get(at, id) as Record<string, unknown> | undefined;
  return row ? toApiKeyRow(row) : undefined;
}

/** Records when a key was last used. */
export function touchApiKey(db: Db, id: number, at: number): void {
  statement(db, "UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(at, id);
}

/** Requests and credits of one key since `since` (read from the per-key index). */
export function apiKeyUsage(db: Db, id: number, since: number): KeyUsage {
  const row = statement(
    db,
    `SELECT count(*) AS requests, coalesce(sum(credits_spent), 0) AS credits
     FROM requests WHERE api_key_id = ? AND created_at >= ?`,
  ).get(id, since) as { requests: number; credits: number };
  return { requests: row.requests, credits: row.credits };
}

/** Requests and credits of every key since `since`, by key id. */
export function apiKeysUsage(db: Db, since: number): Map<number, KeyUsage> {
  const rows = statement(
    db,
    `SELECT api_key_id AS id, count(*) AS requests, coalesce(sum(credits_spent), 0) AS credits
     FROM requests WHERE api_key_id IS NOT NULL AND created_at >= ? GROUP BY api_key_id`,
  ).all(since) as { id: number; requests: number; credits: number }[];
  return new Map(rows.map((row) => [row.id, { requests: row.requests, credits: row.credits }]));
}

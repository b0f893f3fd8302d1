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
  /** After this time (ms) the key is refused; `null` = never. */
  expiresAt: number | null;
  /** Model ids the key may use; `null` = all. */
  models: string[] | null;
  /** Total credits the key may ever spend; `null` = unlimited. */
  creditCap: number | null;
  /** Credits charged so far (spent, else reserved while the spend is unknown), all time. */
  creditsUsed: number;
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
  expiresAt?: number | null;
  models?: string[] | null;
  creditCap?: number | null;
}

/** Editable fields; absent = unchanged, `null` = unlimited (or no webhook). */
export interface ApiKeyChanges {
  name?: string;
  quotaPerDay?: number | null;
  ratePerMinute?: number | null;
  webhookUrl?: string | null;
  expiresAt?: number | null;
  models?: string[] | null;
  creditCap?: number | null;
}

/** A key's usage since a time. */
export interface KeyUsage {
  requests: number;
  /** Credits spent, or reserved while the spend is not known yet. */
  credits: number;
  /** Requests answered with an error. */
  errors: number;
}

const COLUMNS = `id, name, prefix, secret_hash, quota_per_day, rate_per_minute, created_at,
  revoked_at, last_used_at, webhook_url, expires_at, models, credit_cap, credits_used`;

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
    expiresAt: row.expires_at as number | null,
    models: row.models === null ? null : JSON.parse(row.models as string) as string[],
    creditCap: row.credit_cap as number | null,
    creditsUsed: row.credits_used as number,
  };
}

const modelsText = (models: string[] | null | undefined) =>
  models === null || models === undefined ? null : JSON.stringify(models);

/** Inserts a key. */
export function insertApiKey(db: Db, key: NewApiKey): ApiKeyRow {
  const row = statement(
    db,
    `INSERT INTO api_keys (name, prefix, secret_hash, quota_per_day, rate_per_minute, created_at,
       webhook_url, expires_at, models, credit_cap)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  ).get(
    key.name,
    key.prefix,
    key.secretHash,
    key.quotaPerDay,
    key.ratePerMinute,
    key.createdAt,
    key.webhookUrl ?? null,
    key.expiresAt ?? null,
    modelsText(key.models),
    key.creditCap ?? null,
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
       webhook_url = CASE WHEN ? THEN ? ELSE webhook_url END,
       expires_at = CASE WHEN ? THEN ? ELSE expires_at END,
       models = CASE WHEN ? THEN ? ELSE models END,
       credit_cap = CASE WHEN ? THEN ? ELSE credit_cap END
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
    changes.expiresAt !== undefined ? 1 : 0,
    changes.expiresAt ?? null,
    changes.models !== undefined ? 1 : 0,
    modelsText(changes.models),
    changes.creditCap !== undefined ? 1 : 0,
    changes.creditCap ?? null,
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

/** Deletes a key for good (its requests stay, under its id); false when there was none. */
export function deleteApiKey(db: Db, id: number): boolean {
  return Number(statement(db, "DELETE FROM api_keys WHERE id = ?").run(id).changes) === 1;
}

/** The credits a key has been charged, all time (see {@linkcode ApiKeyRow.creditsUsed}). */
export function apiKeyCreditsUsed(db: Db, id: number): number {
  const row = statement(db, "SELECT credits_used FROM api_keys WHERE id = ?").get(id) as
    | { credits_used: number }
    | undefined;
  return row?.credits_used ?? 0;
}

/** Records when a key was last used. */
export function touchApiKey(db: Db, id: number, at: number): void {
  statement(db, "UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(at, id);
}

/**
 * Credits a key was charged since `since` — spent, or reserved while the
 * spend is unknown — read from the per-key index alone (the quota check).
 */
export function apiKeyCredits(db: Db, id: number, since: number): number {
  const row = statement(
    db,
    `SELECT coalesce(sum(coalesce(credits_spent, credits_reserved)), 0) AS credits
     FROM requests WHERE api_key_id = ? AND created_at >= ?`,
  ).get(id, since) as { credits: number };
  return row.credits;
}

/** Requests, credits and errors of one key since `since`. */
export function apiKeyUsage(db: Db, id: number, since: number): KeyUsage {
  const row = statement(
    db,
    `SELECT count(*) AS requests, coalesce(sum(coalesce(credits_spent, credits_reserved)), 0)
       AS credits, coalesce(sum(status = 'error'), 0) AS errors
     FROM requests WHERE api_key_id = ? AND created_at >= ?`,
  ).get(id, since) as unknown as KeyUsage;
  return { requests: row.requests, credits: row.credits, errors: row.errors };
}

/** Requests, credits and errors of every key since `since`, by key id. */
export function apiKeysUsage(db: Db, since: number): Map<number, KeyUsage> {
  const rows = statement(
    db,
    `SELECT api_key_id AS id, count(*) AS requests,
       coalesce(sum(coalesce(credits_spent, credits_reserved)), 0) AS credits,
       coalesce(sum(status = 'error'), 0) AS errors
     FROM requests WHERE api_key_id IS NOT NULL AND created_at >= ? GROUP BY api_key_id`,
  ).all(since) as unknown as (KeyUsage & { id: number })[];
  return new Map(
    rows.map((
      row,
    ) => [row.id, { requests: row.requests, credits: row.credits, errors: row.errors }]),
  );
}

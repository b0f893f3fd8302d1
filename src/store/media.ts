/**
 * The `media` table: one row per generated image or video, with its local
 * file while cached.
 * @module
 */
import { type Db, type SqlValue, statement, transaction } from "./db.ts";

/** Image or video. */
export type MediaKind = "image" | "video";

/** A stored media row. */
export interface MediaRecord {
  /** Unguessable public id (22 URL-safe characters). */
  id: string;
  kind: MediaKind;
  model: string;
  prompt: string;
  width: number | null;
  height: number | null;
  /** Hash key of the upstream account that generated it. */
  accountKey: string | null;
  /** Masked account, for display. */
  accountLabel: string | null;
  apiKeyId: number | null;
  requestId: string;
  upstreamUrl: string;
  /** File under `DATA_DIR/media` while cached; `null` when not (yet) or no longer cached. */
  fileName: string | null;
  /** Size of the downloaded file (kept after eviction). */
  bytes: number | null;
  contentType: string | null;
  /** Unix ms. */
  createdAt: number;
  /** Videos: which file this is; `null` for images and older rows. */
  variant: MediaVariant | null;
}

/** Which file of a video a row holds. */
export type MediaVariant = "no_watermark" | "high_bitrate" | "preview";

/** What a new row needs (`variant` may be left out). */
export type NewMedia =
  & Omit<MediaRecord, "fileName" | "bytes" | "contentType" | "variant">
  & { variant?: MediaVariant | null };

const COLUMNS = `id, kind, model, prompt, width, height, account_key, account_label, api_key_id,
  request_id, upstream_url, file_name, bytes, content_type, created_at, variant`;

function toMedia(row: Record<string, unknown>): MediaRecord {
  return {
    id: row.id as string,
    kind: row.kind as MediaKind,
    model: row.model as string,
    prompt: row.prompt as string,
    width: row.width as number | null,
    height: row.height as number | null,
    accountKey: row.account_key as string | null,
    accountLabel: row.account_label as string | null,
    apiKeyId: row.api_key_id as number | null,
    requestId: row.request_id as string,
    upstreamUrl: row.upstream_url as string,
    fileName: row.file_name as string | null,
    bytes: row.bytes as number | null,
    contentType: row.content_type as string | null,
    createdAt: row.created_at as number,
    variant: (row.variant ?? null) as MediaVariant | null,
  };
}

/** Inserts rows (in one transaction) and returns them. */
export function insertMedia(db: Db, items: readonly NewMedia[]): MediaRecord[] {
  const insert = statement(
    db,
    `INSERT INTO media (id, kind, model, prompt, width, height, account_key, account_label,
       api_key_id, request_id, upstream_url, created_at, variant)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     RETURNING ${COLUMNS}`,
  );
  return transaction(db, () =>
    items.map((item) =>
      toMedia(
        insert.get(
          item.id,
          item.kind,
          item.model,
          item.prompt,
          item.width,
          item.height,
          item.accountKey,
          item.accountLabel,
          item.apiKeyId,
          item.requestId,
          item.upstreamUrl,
          item.createdAt,
          item.variant ?? null,
        ) as Record<string, unknown>,
      )
    ));
}

/** One row by public id. */
export function getMedia(db: Db, id: string): MediaRecord | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM media WHERE id = ?`).get(id);
  return row ? toMedia(row as Record<string, unknown>) : undefined;
}

/** Records the downloaded file of a row; false if the row is gone. */
export function setMediaFile(
  db: Db,
  id: string,
  file: { fileName: string; bytes: number; contentType: string },
): boolean {
  const result = statement(
    db,
    "UPDATE media SET file_name = ?, bytes = ?, content_type = ? WHERE id = ?",
  ).run(file.fileName, file.bytes, file.contentType, id);
  return result.changes === 1;
}

/** Forgets the local file of a row (evicted or missing); the row and its size stay. */
export function clearMediaFile(db: Db, id: string): boolean {
  const result = statement(db, "UPDATE media SET file_name = NULL WHERE id = ?").run(id);
  return result.changes === 1;
}

/** Total size of the cached files. */
export function cachedMediaBytes(db: Db): number {
  const row = statement(
    db,
    "SELECT coalesce(sum(bytes), 0) AS total FROM media WHERE file_name IS NOT NULL",
  ).get() as { total: number };
  return row.total;
}

/** The oldest cached rows, oldest first: the eviction order. */
export function oldestCachedMedia(
  db: Db,
  limit: number,
): { id: string; fileName: string; bytes: number }[] {
  const rows = statement(
    db,
    `SELECT id, file_name, coalesce(bytes, 0) AS bytes FROM media
     WHERE file_name IS NOT NULL ORDER BY seq LIMIT ?`,
  ).all(limit) as { id: string; file_name: string; bytes: number }[];
  return rows.map((row) => ({ id: row.id, fileName: row.file_name, bytes: row.bytes }));
}

/** Filters of {@linkcode listMedia} and {@linkcode countMedia}. */
export interface MediaFilter {
  kind?: MediaKind;
  model?: string;
  /** Created at or after (Unix ms). */
  since?: number;
  /** Created before (Unix ms). */
  until?: number;
  accountKey?: string;
  apiKeyId?: number;
  requestId?: string;
}

function where(filter: MediaFilter): { sql: string; params: SqlValue[] } {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  const add = (clause: string, value: SqlValue | undefined) => {
    if (value === undefined) return;
    clauses.push(clause);
    params.push(value);
  };
  add("kind = ?", filter.kind);
  add("model = ?", filter.model);
  add("created_at >= ?", filter.since);
  add("created_at < ?", filter.until);
  add("account_key = ?", filter.accountKey);
  add("api_key_id = ?", filter.apiKeyId);
  add("request_id = ?", filter.requestId);
  return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** A page of {@linkcode listMedia}. */
export interface MediaPage {
  items: MediaRecord[];
  /** Pass as `before` for the next page; `null` on the last page. */
  next: string | null;
}

/**
 * Rows newest first, `limit` at a time. `before` is the `next` of the
 * previous page (the id of its last row); an unknown id yields an empty page.
 * `offset` skips rows instead (numbered pages).
 */
export function listMedia(
  db: Db,
  filter: MediaFilter & { limit: number; before?: string; offset?: number },
): MediaPage {
  if (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > 1000) {
    throw new RangeError(`Invalid limit ${filter.limit}: expected an integer from 1 to 1000`);
  }
  const { sql, params } = where(filter);
  let cursor = "";
  if (filter.before !== undefined) {
    cursor = `${sql ? " AND" : "WHERE"} seq < coalesce((SELECT seq FROM media WHERE id = ?), 0)`;
    params.push(filter.before);
  }
  const rows = statement(
    db,
    `SELECT ${COLUMNS} FROM media ${sql}${cursor} ORDER BY seq DESC LIMIT ? OFFSET ?`,
  ).all(...params, filter.limit + 1, filter.offset ?? 0) as Record<string, unknown>[];
  const items = rows.slice(0, filter.limit).map(toMedia);
  return { items, next: rows.length > filter.limit ? items.at(-1)!.id : null };
}

/** Number of rows matching a filter. */
export function countMedia(db: Db, filter: MediaFilter = {}): number {
  const { sql, params } = where(filter);
  const row = statement(db, `SELECT count(*) AS n FROM media ${sql}`).get(...params) as {
    n: number;
  };
  return row.n;
}

/** The models that appear in the table, for a filter menu. */
export function mediaModels(db: Db): string[] {
  const rows = statement(db, "SELECT DISTINCT model FROM media ORDER BY model").all() as {
    model: string;
  }[];
  return rows.map((row) => row.model);
}

/** Deletes a row and returns it (so its file can be removed), or `undefined`. */
export function deleteMedia(db: Db, id: string): MediaRecord | undefined {
  const row = statement(db, `DELETE FROM media WHERE id = ? RETURNING ${COLUMNS}`).get(id);
  return row ? toMedia(row as Record<string, unknown>) : undefined;
}

/**
 * The webhook outbox: `webhook_events` (one row per event, its body as sent)
 * and `webhook_deliveries` (one row per event and target URL).
 * @module
 */
import { type Db, statement, transaction } from "./db.ts";

/** How a delivery stands. */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/** A new event and where it goes. */
export interface NewWebhookEvent {
  id: string;
  type: string;
  /** The JSON body, byte for byte what every attempt sends. */
  body: string;
  createdAt: number;
  targets: { url: string; apiKeyId: number | null }[];
}

/** A delivery with its event's type. */
export interface WebhookDelivery {
  id: number;
  eventId: string;
  eventType: string;
  url: string;
  apiKeyId: number | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** HTTP status of the last answer, `null` when there was none (timeout, refused). */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  createdAt: number;
}

/** A due delivery, with what the attempt sends. */
export interface DueDelivery extends WebhookDelivery {
  body: string;
}

/** What one attempt changed. */
export interface AttemptRecord {
  status: DeliveryStatus;
  attemptedAt: number;
  httpStatus: number | null;
  error: string | null;
  /** When to try again (pending only). */
  nextAttemptAt: number | null;
}

const COLUMNS = `d.id, d.event_id, e.type, d.url, d.api_key_id, d.status, d.attempts,
  d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.created_at`;

function toDelivery(row: Record<string, unknown>): WebhookDelivery {
  return {
    id: row.id as number,
    eventId: row.event_id as string,
    eventType: row.type as string,
    url: row.url as string,
    apiKeyId: row.api_key_id as number | null,
    status: row.status as DeliveryStatus,
    attempts: row.attempts as number,
    nextAttemptAt: row.next_attempt_at as number | null,
    lastAttemptAt: row.last_attempt_at as number | null,
    lastStatus: row.last_status as number | null,
    lastError: row.last_error as string | null,
    deliveredAt: row.delivered_at as number | null,
    createdAt: row.created_at as number,
  };
}

/** Stores an event and one pending delivery per target, due now; returns the deliveries' ids. */
export function insertWebhookEvent(db: Db, event: NewWebhookEvent): number[] {
  return transaction(db, () => {
    statement(db, "INSERT INTO webhook_events (id, type, body, created_at) VALUES (?, ?, ?, ?)")
      .run(event.id, event.type, event.body, event.createdAt);
    return event.targets.map((target) => {
      const row = statement(
        db,
        `INSERT INTO webhook_deliveries (event_id, url, api_key_id, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, 'pending', ?, ?) RETURNING id`,
      ).get(event.id, target.url, target.apiKeyId, event.createdAt, event.createdAt) as {
        id: number;
      };
      return row.id;
    });
  });
}

/** Pending deliveries due at `now`, oldest due first. */
export function dueDeliveries(db: Db, now: number, limit: number): DueDelivery[] {
  const rows = statement(
    db,
    `SELECT ${COLUMNS}, e.body FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
     WHERE d.status = 'pending' AND d.next_attempt_at <= ?
     ORDER BY d.next_attempt_at, d.id LIMIT ?`,
  ).all(now, limit) as Record<string, unknown>[];
  return rows.map((row) => ({ ...toDelivery(row), body: row.body as string }));
}

/** When the next pending delivery is due, or `null` when none is pending. */
export function nextDeliveryDue(db: Db): number | null {
  const row = statement(
    db,
    "SELECT min(next_attempt_at) AS due FROM webhook_deliveries WHERE status = 'pending'",
  ).get() as { due: number | null };
  return row.due;
}

/** Records an attempt; returns false when the delivery is gone. */
export function recordDeliveryAttempt(db: Db, id: number, attempt: AttemptRecord): boolean {
  const result = statement(
    db,
    `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_attempt_at = ?,
       last_status = ?, last_error = ?, next_attempt_at = ?,
       delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
     WHERE id = ?`,
  ).run(
    attempt.status,
    attempt.attemptedAt,
    attempt.httpStatus,
    attempt.error,
    attempt.status === "pending" ? attempt.nextAttemptAt : null,
    attempt.status,
    attempt.attemptedAt,
    id,
  );
  return Number(result.changes) > 0;
}

/** The most recent deliveries, newest first. */
export function listDeliveries(db: Db, limit: number): WebhookDelivery[] {
  const rows = statement(
    db,
    `SELECT ${COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
     ORDER BY d.id DESC LIMIT ?`,
  ).all(limit) as Record<string, unknown>[];
  return rows.map(toDelivery);
}

/** Deliveries by status. */
export function countDeliveries(db: Db): Record<DeliveryStatus, number> {
  const counts: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
  const rows = statement(db, "SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status")
    .all() as { status: DeliveryStatus; n: number }[];
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** One delivery by id. */
export function getDelivery(db: Db, id: number): WebhookDelivery | undefined {
  const row = statement(
    db,
    `SELECT ${COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
     WHERE d.id = ?`,
  ).get(id) as Record<string, unknown> | undefined;
  return row ? toDelivery(row) : undefined;
}

/** Makes a delivery due again at `at` (a manual retry); returns it, or `undefined`. */
export function requeueDelivery(db: Db, id: number, at: number): WebhookDelivery | undefined {
  statement(
    db,
    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ? WHERE id = ? AND status != 'delivered'",
  ).run(at, id);
  return getDelivery(db, id);
}

/** Deletes events older than `before` with no pending delivery (theirs go with them). */
export function pruneWebhookEvents(db: Db, before: number): number {
  const result = statement(
    db,
    `DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS (
       SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id AND d.status = 'pending')`,
  ).run(before);
  return Number(result.changes);
}

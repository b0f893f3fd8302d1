/**
 * Webhook delivery from a durable outbox. An event is written to SQLite
 * (with one delivery per target URL) before anything is sent, in the same
 * transaction as what caused it when the caller has one; a worker then POSTs
 * each due delivery and records the outcome.
 *
 * - At least once: a delivery is done only when the receiver answered 2xx. A
 *   crash mid-attempt leaves it due, so it is sent again after the restart.
 * - Every attempt sends the same body and `webhook-id`, with a fresh
 *   `webhook-timestamp` and signature (receivers reject old timestamps).
 * - Retries back off exponentially (10 s doubling to at most 4 h, ±20 %),
 *   for up to 24 h after the event; then the delivery is failed.
 * - 10 s per attempt; redirects are not followed (a 3xx is a failed attempt),
 *   so a receiver cannot send the server elsewhere.
 * - The URLs come only from the operator (settings, API keys), never from a
 *   client request, so they are not restricted to public addresses.
 * @module
 */
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import {
  countDeliveries,
  type DeliveryStatus,
  dueDeliveries,
  type DueDelivery,
  insertWebhookEvent,
  listDeliveries,
  nextDeliveryDue,
  pruneWebhookEvents,
  recordDeliveryAttempt,
  requeueDelivery,
  type WebhookDelivery,
} from "../store/webhooks.ts";
import { webhookHeaders } from "./signature.ts";

/** Event types. */
export type WebhookEventType =
  | "video.completed"
  | "video.failed"
  | "jimeng.account.expired"
  | "jimeng.account.low_credits"
  | "jimeng.webhook.test";

/** The body of an event, as OpenAI shapes its events. */
export interface WebhookEvent {
  id: string;
  object: "event";
  /** Unix seconds. */
  created_at: number;
  type: WebhookEventType;
  data: { id: string } & Record<string, unknown>;
}

/** What the outbox needs. */
export interface WebhookOutboxDeps {
  db: Db;
  log: Logger;
  now: () => number;
  /** The operator's URLs, read at each event (a runtime setting). */
  urls: () => readonly string[];
  /** The signing secret, read at each attempt; `null` sends unsigned. */
  secret: () => string | null;
  /** The webhook URL of an API key, if it has one and is not revoked. */
  keyUrl: (apiKeyId: number) => string | null;
  setTimer?: (fn: () => void, ms: number) => () => void;
  fetch?: typeof fetch;
  /** Timeout of one attempt. @default 10000 */
  timeoutMs?: number;
  /** First retry delay; doubles per attempt. @default 10000 */
  backoffMs?: number;
  /** Longest retry delay. @default 4 h */
  maxBackoffMs?: number;
  /** How long after the event deliveries are retried. @default 24 h */
  retryForMs?: number;
  /** Attempts running at once. @default 4 */
  concurrency?: number;
  /** How long finished events are kept. @default 30 days */
  keepMs?: number;
  random?: () => number;
}

/** Where an event goes besides the operator's URLs. */
export interface EmitOptions {
  /** The API key whose job it is: its webhook URL receives the event too. */
  apiKeyId?: number | null;
}

/** The outbox. */
export interface WebhookOutbox {
  /**
   * Queues an event for the operator's URLs (and the key's); returns its id,
   * or `null` when there is no URL to send it to. Synchronous: callers may
   * run it inside their own transaction.
   */
  emit(type: WebhookEventType, data: WebhookEvent["data"], options?: EmitOptions): string | null;
  /** Looks for due deliveries now (at start, after a restart). */
  wake(): void;
  list(limit: number): WebhookDelivery[];
  counts(): Record<DeliveryStatus, number>;
  /** Makes a pending or failed delivery due now. */
  retry(id: number): WebhookDelivery | undefined;
  /** Stops: running attempts are abandoned (they stay due), no new ones start. */
  close(): Promise<void>;
}

/** A new event id in OpenAI's form (`evt_` + 32 hex digits). */
export function newEventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `evt_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The delay before retry number `attempts` (1 = after the first failure), without jitter. */
export function retryDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 30));
}

/** The URL without its query, for logs (a query may hold a receiver's token). */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? "?…" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}

function defaultTimer(fn: () => void, ms: number): () => void {
  const id = setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1));
  return () => clearTimeout(id);
}

/** Creates the outbox; call `wake()` once the server is up. */
export function createWebhookOutbox(deps: WebhookOutboxDeps): WebhookOutbox {
  const { db, log } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const baseMs = deps.backoffMs ?? 10_000;
  const maxBackoffMs = deps.maxBackoffMs ?? 4 * 3_600_000;
  const retryForMs = deps.retryForMs ?? 24 * 3_600_000;
  const concurrency = deps.concurrency ?? 4;
  const keepMs = deps.keepMs ?? 30 * 86_400_000;
  const setTimer = deps.setTimer ?? defaultTimer;
  const random = deps.random ?? Math.random;
  const closing = new AbortController();
  const running = new Map<number, Promise<void>>();
  let cancelTimer: (() => void) | null = null;
  let timerAt = Infinity;
  let prunedAt = 0;
  let pausedUntil = 0;

  function schedule(at: number): void {
    if (closing.signal.aborted || at >= timerAt) return;
    cancelTimer?.();
    timerAt = at;
    cancelTimer = setTimer(() => {
      cancelTimer = null;
      timerAt = Infinity;
      sweep();
    }, at - deps.now());
  }

  function sweep(): void {
    if (closing.signal.aborted) return;
    const now = deps.now();
    if (now < pausedUntil) return schedule(pausedUntil);
    try {
      if (now - prunedAt > 3_600_000) {
        prunedAt = now;
        pruneWebhookEvents(db, now - keepMs);
      }
      for (const delivery of dueDeliveries(db, now, concurrency * 2)) {
        if (running.size >= concurrency) return;
        if (running.has(delivery.id)) continue;
        const attempt = deliver(delivery).finally(() => {
          running.delete(delivery.id);
          sweep();
        });
        running.set(delivery.id, attempt);
      }
      const due = nextDeliveryDue(db);
      // Anything due now is running or waits for a free slot; a finished attempt sweeps again.
      if (due !== null && due > now) schedule(due);
    } catch (error) {
      log.warn("The webhook outbox could not be read; trying again in a minute", { error });
      schedule(now + 60_000);
    }
  }

  async function deliver(delivery: DueDelivery): Promise<void> {
    const attemptedAt = deps.now();
    const headers = webhookHeaders(
      deps.secret(),
      delivery.eventId,
      Math.floor(attemptedAt / 1000),
      delivery.body,
    );
    const timeout = AbortSignal.timeout(timeoutMs);
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      const response = await (deps.fetch ?? fetch)(delivery.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "jimeng-api-webhooks/1",
          ...headers,
        },
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.any([timeout, closing.signal]),
      });
      httpStatus = response.status;
      await response.body?.cancel().catch(() => {});
      if (httpStatus >= 300 && httpStatus < 400) {
        const location = response.headers.get("location");
        error = `Answered HTTP ${httpStatus}${
          location ? ` (to ${shownUrl(new URL(location, delivery.url).href)})` : ""
        }: redirects are not followed; set the final URL`;
      } else if (httpStatus < 200 || httpStatus >= 300) {
        error = `Answered HTTP ${httpStatus}`;
      }
    } catch (failure) {
      // Shutting down: the delivery stays due and goes out after the restart.
      if (closing.signal.aborted) return;
      error = timeout.aborted
        ? `No answer within ${timeoutMs / 1000} s`
        : `Could not reach it: ${(failure as Error).message}`;
    }
    const finishedAt = deps.now();
    let status: DeliveryStatus = "delivered";
    let nextAttemptAt: number | null = null;
    if (error !== null) {
      const deadline = delivery.createdAt + retryForMs;
      const delay = retryDelay(delivery.attempts + 1, baseMs, maxBackoffMs) *
        (0.8 + 0.4 * random());
      status = finishedAt >= deadline ? "failed" : "pending";
      nextAttemptAt = status === "pending"
        ? Math.round(Math.min(finishedAt + delay, deadline))
        : null;
      log[status === "failed" ? "error" : "warn"](
        `Webhook ${delivery.eventType} to ${shownUrl(delivery.url)}: ${error}${
          status === "failed" ? "; giving up after 24 h" : ""
        }`,
        { event: delivery.eventId, attempt: delivery.attempts + 1 },
      );
    } else {
      log.info(`Webhook ${delivery.eventType} delivered to ${shownUrl(delivery.url)}`, {
        event: delivery.eventId,
        attempt: delivery.attempts + 1,
        status: httpStatus,
      });
    }
    try {
      recordDeliveryAttempt(db, delivery.id, {
        status,
        attemptedAt,
        httpStatus,
        error,
        nextAttemptAt,
      });
    } catch (storeError) {
      // The delivery is still due in the store: wait before sending it again.
      pausedUntil = deps.now() + 60_000;
      log.warn("Could not record a webhook attempt; pausing deliveries for a minute", {
        error: storeError,
      });
    }
  }

  return {
    emit(type, data, options = {}) {
      const targets = deps.urls().map((url) => ({ url, apiKeyId: null as number | null }));
      const keyId = options.apiKeyId ?? null;
      const keyUrl = keyId === null ? null : deps.keyUrl(keyId);
      if (keyUrl !== null && !targets.some((t) => t.url === keyUrl)) {
        targets.push({ url: keyUrl, apiKeyId: keyId });
      }
      if (targets.length === 0) return null;
      const createdAt = deps.now();
      const event: WebhookEvent = {
        id: newEventId(),
        object: "event",
        created_at: Math.floor(createdAt / 1000),
        type,
        data,
      };
      insertWebhookEvent(db, {
        id: event.id,
        type,
        body: JSON.stringify(event),
        createdAt,
        targets,
      });
      // After the caller's transaction (if any) has committed.
      queueMicrotask(sweep);
      return event.id;
    },
    wake: () => sweep(),
    list: (limit) => listDeliveries(db, limit),
    counts: () => countDeliveries(db),
    retry(id) {
      const delivery = requeueDelivery(db, id, deps.now());
      queueMicrotask(sweep);
      return delivery;
    },
    async close() {
      closing.abort();
      cancelTimer?.();
      cancelTimer = null;
      await Promise.allSettled([...running.values()]);
    },
  };
}

/**
 * Webhooks for the console: the settings as they stand, recent deliveries,
 * a test event, and a retry now. The settings themselves change through
 * `PUT /api/admin/settings/:env` (`config_routes.ts`).
 *
 * | Method | Path                                    | Body | Answer |
 * |--------|-----------------------------------------|------|--------|
 * | GET    | /api/admin/webhooks                     | –    | `{settings, counts, deliveries: DeliveryJson[]}` (newest first, `?limit=` up to 200, default 50) |
 * | POST   | /api/admin/webhooks/test                | –    | 202 `{eventId, deliveries}`: a `jimeng.webhook.test` event to the WEBHOOK_URL targets |
 * | POST   | /api/admin/webhooks/deliveries/:id/retry | –   | `DeliveryJson`, due now again (not for a delivered one) |
 *
 * `settings` = `{urls: string[], urlSource, signed: boolean, secretSource, lowCredits,
 * lowCreditsSource}` (sources: `environment`, `console`, `default`). `DeliveryJson` = `{id,
 * eventId, eventType, url, apiKeyId, status, attempts, nextAttemptAt, lastAttemptAt, lastStatus,
 * lastError, deliveredAt, createdAt}`: status `pending`, `delivered` or `failed`; times Unix ms.
 * @module
 */
import { Hono } from "hono";
import { ApiError, badRequest } from "../api/errors.ts";
import { RUNTIME_SETTINGS } from "../config.ts";
import type { RuntimeSettings } from "../runtime_settings.ts";
import type { WebhookDelivery } from "../store/webhooks.ts";
import type { WebhookOutbox } from "../webhooks/outbox.ts";
import type { AdminEnv } from "./auth.ts";

/** What the webhook routes need. */
export interface WebhookRouteDeps {
  outbox: WebhookOutbox;
  settings: RuntimeSettings;
}

/** A delivery as the console sees it. */
export type DeliveryJson = WebhookDelivery;

/** The webhook router. */
export function webhookRoutes(deps: WebhookRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const { outbox, settings } = deps;

  app.get("/webhooks", (c) => {
    const raw = c.req.query("limit");
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw badRequest("limit", "'limit' must be an integer from 1 to 200");
    }
    return c.json({
      settings: {
        urls: settings.get(RUNTIME_SETTINGS.webhookUrls),
        urlSource: settings.source(RUNTIME_SETTINGS.webhookUrls.env),
        signed: settings.get(RUNTIME_SETTINGS.webhookSecret) !== null,
        secretSource: settings.source(RUNTIME_SETTINGS.webhookSecret.env),
        lowCredits: settings.get(RUNTIME_SETTINGS.webhookLowCredits),
        lowCreditsSource: settings.source(RUNTIME_SETTINGS.webhookLowCredits.env),
      },
      counts: outbox.counts(),
      deliveries: outbox.list(limit) satisfies DeliveryJson[],
    });
  });

  app.post("/webhooks/test", (c) => {
    const id = `test_${crypto.randomUUID().replaceAll("-", "")}`;
    const eventId = outbox.emit("jimeng.webhook.test", { id });
    if (eventId === null) {
      throw badRequest(
        null,
        "No webhook URL is set: set WEBHOOK_URL (here or in the server's environment) first",
        "webhook_url_missing",
      );
    }
    return c.json({ eventId, deliveries: settings.get(RUNTIME_SETTINGS.webhookUrls).length }, 202);
  });

  app.post("/webhooks/deliveries/:id/retry", (c) => {
    const raw = c.req.param("id");
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
    const delivery = Number.isSafeInteger(id) ? outbox.retry(id) : undefined;
    if (!delivery) {
      throw new ApiError(
        404,
        `No webhook delivery with id ${raw}`,
        "invalid_request_error",
        "not_found",
      );
    }
    if (delivery.status === "delivered") {
      throw badRequest(null, `Delivery ${raw} was delivered already`, "already_delivered");
    }
    return c.json(delivery satisfies DeliveryJson);
  });

  return app;
}

/**
 * Webhook signatures as OpenAI sends them, per the Standard Webhooks scheme:
 * `webhook-signature: v1,<base64 of HMAC-SHA256("<id>.<timestamp>.<body>")>`
 * with the key being the base64 part of the `whsec_…` secret.
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";

/** The headers of one signed attempt. */
export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature"?: string;
}

/** The `v1,…` signature of a body sent as event `id` at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const digest = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${digest}`;
}

/** The Standard Webhooks headers of an attempt; unsigned without a secret. */
export function webhookHeaders(
  secret: string | null,
  id: string,
  timestamp: number,
  body: string,
): WebhookHeaders {
  const headers: WebhookHeaders = { "webhook-id": id, "webhook-timestamp": String(timestamp) };
  if (secret !== null) headers["webhook-signature"] = signWebhook(secret, id, timestamp, body);
  return headers;
}

/** A new random secret in the `whsec_` form (32 bytes). */
export function generateWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`;
}

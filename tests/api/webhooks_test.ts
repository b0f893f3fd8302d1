/**
 * Webhooks end to end: the real server with the fake upstream sends events
 * to loopback receivers; the official `openai` SDK's `webhooks.unwrap()`
 * verifies them. Redelivery after a receiver error, across a restart, after
 * a timeout; redirects not followed; per-key URLs; operator alerts.
 * @module
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { listDeliveries } from "../../src/store/webhooks.ts";
import { generateWebhookSecret } from "../../src/webhooks/signature.ts";
import { startCanary } from "../helpers/canary.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack, startStack, upstreamEnv } from "../helpers/stack.ts";
import { type Received, startReceiver } from "../helpers/webhook_receiver.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";

const SECRET = generateWebhookSecret();
const FIVE = "5" as OpenAI.Videos.VideoSeconds;

/** An event as this server sends it (the SDK's union types only OpenAI's own). */
interface EventJson {
  id: string;
  object: string;
  created_at: number;
  type: string;
  data: Record<string, unknown>;
}

/** Verifies a received webhook with the official SDK, as a receiver would. */
async function unwrap(received: Received, secret = SECRET): Promise<EventJson> {
  const client = new OpenAI({ apiKey: "unused", webhookSecret: secret });
  return await client.webhooks.unwrap(received.body, received.headers) as unknown as EventJson;
}

async function waitForVideo(stack: Stack, id: string, apiKey?: string) {
  for (;;) {
    const video = await stack.openai(apiKey).videos.retrieve(id);
    if (video.status === "completed" || video.status === "failed") return video;
    await stack.server.deps.jobs.wait(id, AbortSignal.timeout(500)).catch(() => {});
  }
}

/** Resolves once `fn` holds, checking after each of the outbox's writes would have happened. */
async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("webhooks: video.completed and video.failed, signed so openai.webhooks.unwrap() verifies them", async () => {
  const receiver = startReceiver();
  const stack = await startStack({
    env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    fake: { videoLatencyMs: 200 },
  });
  try {
    const made = await stack.openai().videos.create({ prompt: "a fox", seconds: FIVE });
    assert.equal((await waitForVideo(stack, made.id)).status, "completed");
    const [first] = await receiver.waitFor(1);
    assert.equal(first.headers["content-type"], "application/json");
    assert.match(first.headers["webhook-id"], /^evt_[0-9a-f]{32}$/);
    assert.match(first.headers["webhook-signature"], /^v1,[A-Za-z0-9+/]{43}=$/);
    const event = await unwrap(first);
    assert.equal(event.type, "video.completed");
    assert.deepEqual(Object.keys(event).sort(), ["created_at", "data", "id", "object", "type"]);
    assert.equal(event.object, "event");
    assert.equal(event.id, first.headers["webhook-id"]);
    assert.deepEqual(event.data, { id: made.id });
    assert.ok(Math.abs(event.created_at - Date.now() / 1000) < 30);

    await assert.rejects(unwrap(first, generateWebhookSecret()), /signature/);
    await assert.rejects(
      unwrap({ ...first, body: first.body.replace("video.completed", "video.failed") }),
      /signature/,
    );

    const blocked = await stack.openai().videos.create({ prompt: "a forbidden-word scene" });
    assert.equal((await waitForVideo(stack, blocked.id)).status, "failed");
    const [, second] = await receiver.waitFor(2);
    const failed = await unwrap(second);
    assert.equal(failed.type, "video.failed");
    assert.deepEqual(failed.data, { id: blocked.id });
    assert.notEqual(failed.id, event.id);
  } finally {
    await stack.close();
    await receiver.close();
  }
});

Deno.test("webhooks: a key's own URL gets its jobs' events; the operator's URL gets every event", async () => {
  const operator = startReceiver();
  const client = startReceiver();
  const stack = await startStack({
    env: {
      ...ADMIN_ENV,
      DAILY_CLAIM: "false",
      JIMENG_SESSIONS: GOOD_SESSION,
      WEBHOOK_URL: operator.url,
      WEBHOOK_SECRET: SECRET,
    },
  });
  try {
    const admin = await loginAdmin(stack);
    const bad = await admin.call("POST", "/keys", { name: "x", webhookUrl: "ftp://nope" });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, "webhookUrl");
    const key = await admin.json<{ id: number; key: string; webhookUrl: string }>(
      "POST",
      "/keys",
      { name: "n8n", webhookUrl: client.url },
      201,
    );
    assert.equal(key.webhookUrl, client.url);

    const mine = await stack.openai(key.key).videos.create({
      prompt: "for the key",
      seconds: FIVE,
    });
    await waitForVideo(stack, mine.id, key.key);
    const [toClient] = await client.waitFor(1);
    assert.deepEqual((await unwrap(toClient)).data, { id: mine.id });
    const [toOperator] = await operator.waitFor(1);
    assert.equal(toOperator.headers["webhook-id"], toClient.headers["webhook-id"]);

    const other = await stack.openai().videos.create({ prompt: "someone else", seconds: FIVE });
    await waitForVideo(stack, other.id);
    await operator.waitFor(2);
    assert.equal(client.received.length, 1, "the key's URL gets only the key's jobs");

    const cleared = await admin.json<{ webhookUrl: string | null }>("PATCH", `/keys/${key.id}`, {
      webhookUrl: null,
    });
    assert.equal(cleared.webhookUrl, null);
  } finally {
    await stack.close();
    await operator.close();
    await client.close();
  }
});

Deno.test("webhooks: a receiver error is retried with the same webhook-id until it answers 2xx", async () => {
  const receiver = startReceiver((index) =>
    new Response("busy", { status: index === 0 ? 500 : 200 })
  );
  const stack = await startStack({
    env: { ...ADMIN_ENV, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    overrides: { webhooks: { backoffMs: 50 } },
  });
  try {
    const admin = await loginAdmin(stack);
    const test = await admin.json<{ eventId: string }>("POST", "/webhooks/test", undefined, 202);
    const [first, second] = await receiver.waitFor(2);
    assert.equal(first.headers["webhook-id"], test.eventId);
    assert.equal(second.headers["webhook-id"], test.eventId);
    assert.equal(second.body, first.body);
    const event = await unwrap(second);
    assert.equal(event.type, "jimeng.webhook.test");
    await unwrap(first);

    const delivery = await until("the delivery to be recorded", () => {
      const [row] = listDeliveries(stack.server.db, 1);
      return row.status === "delivered" ? row : undefined;
    });
    assert.equal(delivery.attempts, 2);
    assert.equal(delivery.lastStatus, 200);
    const listed = await admin.json<{
      deliveries: { eventType: string; status: string; attempts: number }[];
      settings: { urls: string[]; signed: boolean };
    }>("GET", "/webhooks");
    assert.deepEqual(listed.settings.urls, [receiver.url]);
    assert.equal(listed.settings.signed, true);
    assert.equal(listed.deliveries[0].eventType, "jimeng.webhook.test");
    assert.equal(listed.deliveries[0].status, "delivered");
    const config = await admin.json<{ settings: { env: string; value: string | null }[] }>(
      "GET",
      "/config",
    );
    const shown = config.settings.find((s) => s.env === "WEBHOOK_SECRET")!;
    assert.equal(shown.value, "(set)");
    assert.ok(!JSON.stringify(config).includes(SECRET.slice(6)));
    assert.ok(!stack.logs.some((line) => line.includes(SECRET.slice(6))));
  } finally {
    await stack.close();
    await receiver.close();
  }
});

Deno.test("webhooks: a delivery pending when the server stops is delivered after the restart", async () => {
  const fake = await startFakeUpstream();
  fake.addSession(GOOD_SESSION);
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-webhook-restart-" });
  // Before the restart: one error, then (should a retry come that soon) no answer at all.
  const receiver = startReceiver(async (index, _request, signal) => {
    if (index === 0) return new Response("down", { status: 503 });
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    return new Response("too late");
  });
  const config = loadConfig({
    ...upstreamEnv(fake.url, dataDir),
    ...ADMIN_ENV,
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: SECRET,
  });
  const start = () =>
    startServer(config, {
      logger: createLogger({ level: "error", write: () => {} }),
      webhooks: { backoffMs: 1000 },
    });
  let server: RunningServer | undefined = await start();
  try {
    const eventId = server.webhooks.emit("jimeng.webhook.test", { id: "restart" });
    await receiver.waitFor(1);
    const db = server.db;
    await until(
      "the failed attempt to be recorded",
      () => listDeliveries(db, 1)[0].attempts === 1 ? true : undefined,
    );
    // Stopping abandons a running attempt without counting it; the delivery stays pending.
    await server.close();
    server = undefined;

    receiver.answer(() => new Response("ok"));
    server = await start();
    const restarted = server;
    const row = await until("the delivery after the restart", () => {
      const [delivery] = listDeliveries(restarted.db, 1);
      return delivery.status === "delivered" ? delivery : undefined;
    });
    assert.equal(row.attempts, 2);
    assert.equal(row.lastStatus, 200);
    assert.ok(receiver.received.length >= 2);
    for (const request of receiver.received) {
      assert.equal(request.headers["webhook-id"], eventId);
      assert.equal((await unwrap(request)).id, eventId);
    }
  } finally {
    await server?.close();
    await receiver.close();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("webhooks: an attempt without an answer in time is abandoned and retried", async () => {
  const receiver = startReceiver(async (index, _request, signal) => {
    if (index === 0) {
      // Hangs until the sender gives up.
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    }
    return new Response("ok");
  });
  const stack = await startStack({
    env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    // The first attempt never answers, so any timeout ends it; the second must be answered
    // within it, which a busy machine may slow to more than a few hundred ms.
    overrides: { webhooks: { timeoutMs: 2000, backoffMs: 50 } },
  });
  try {
    const eventId = stack.server.webhooks.emit("jimeng.webhook.test", { id: "slow" });
    const [first, second] = await receiver.waitFor(2);
    assert.equal(first.headers["webhook-id"], eventId);
    assert.equal(second.headers["webhook-id"], eventId);
    const row = await until("the delivery to be recorded", () => {
      const [delivery] = listDeliveries(stack.server.db, 1);
      return delivery.status === "delivered" ? delivery : undefined;
    });
    assert.equal(row.attempts, 2);
    assert.ok(stack.logs.some((line) => line.includes("No answer within 2 s")));
  } finally {
    await stack.close();
    await receiver.close();
  }
});

Deno.test("webhooks: a redirect is not followed; the attempt counts as failed", async () => {
  const canary = startCanary();
  const receiver = startReceiver(() =>
    new Response(null, { status: 307, headers: { Location: canary.url } })
  );
  const stack = await startStack({
    env: { WEBHOOK_URL: receiver.url },
    overrides: { webhooks: { backoffMs: 60_000 } },
  });
  try {
    stack.server.webhooks.emit("jimeng.webhook.test", { id: "moved" });
    await receiver.waitFor(1);
    const row = await until("the attempt to be recorded", () => {
      const [delivery] = listDeliveries(stack.server.db, 1);
      return delivery.attempts === 1 ? delivery : undefined;
    });
    assert.equal(row.status, "pending");
    assert.equal(row.lastStatus, 307);
    assert.match(
      row.lastError!,
      /^Answered HTTP 307 \(to http:\/\/127\.0\.0\.1:\d+\/canary\.png\): redirects are not followed/,
    );
    assert.ok(row.nextAttemptAt! > Date.now() + 30_000);
    assert.equal(canary.connections(), 0);
    // Unsigned without a secret, but with the id and timestamp.
    assert.equal(receiver.received[0].headers["webhook-signature"], undefined);
    assert.match(receiver.received[0].headers["webhook-timestamp"], /^\d{10}$/);
  } finally {
    await stack.close();
    await receiver.close();
    canary.close();
  }
});

Deno.test("webhooks: operators hear of an expired account and of one running low, once each", async () => {
  const LOW = "4d5e6f708192a3b4c5d6e7f8091a2b3c";
  const EXPIRED = "5e6f708192a3b4c5d6e7f8091a2b3c4d";
  const receiver = startReceiver();
  const stack = await startStack({
    env: {
      DAILY_CLAIM: "false",
      // No background checks: the test checks once the fake knows the sessions.
      ACCOUNT_CHECK_INTERVAL_MIN: "0",
      JIMENG_SESSIONS: `${GOOD_SESSION},${LOW},${EXPIRED}`,
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_LOW_CREDITS: "20",
    },
    overrides: { creditRefreshMs: 0 },
  });
  try {
    stack.fake.addSession(LOW, { credits: 5 });
    stack.fake.addSession(EXPIRED, { expired: true });
    for (const account of stack.server.accounts.list()) await stack.server.accounts.check(account);
    const events = await Promise.all((await receiver.waitFor(2)).map((r) => unwrap(r)));
    const byType = Object.fromEntries(events.map((e) => [e.type, e.data]));
    assert.deepEqual(Object.keys(byType).sort(), [
      "jimeng.account.expired",
      "jimeng.account.low_credits",
    ]);
    assert.equal(byType["jimeng.account.low_credits"].label, `${LOW.slice(0, 4)}…${LOW.slice(-4)}`);
    assert.equal(byType["jimeng.account.low_credits"].credits, 5);
    assert.equal(byType["jimeng.account.low_credits"].threshold, 20);
    assert.equal(
      byType["jimeng.account.expired"].label,
      `${EXPIRED.slice(0, 4)}…${EXPIRED.slice(-4)}`,
    );
    assert.ok(!receiver.received.some((r) => r.body.includes(LOW) || r.body.includes(EXPIRED)));

    // Checked again, nothing changed: no repeat (events are queued as the check records it).
    for (const account of stack.server.accounts.list()) await stack.server.accounts.check(account);
    assert.equal(listDeliveries(stack.server.db, 10).length, 2);
  } finally {
    await stack.close();
    await receiver.close();
  }
});

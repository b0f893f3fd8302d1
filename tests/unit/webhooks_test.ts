import assert from "node:assert/strict";
import { loadConfig, RUNTIME_SETTINGS } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { listDeliveries } from "../../src/store/webhooks.ts";
import { createAccountAlerts } from "../../src/webhooks/account_alerts.ts";
import { createWebhookOutbox, retryDelay } from "../../src/webhooks/outbox.ts";
import { generateWebhookSecret, signWebhook } from "../../src/webhooks/signature.ts";
import { newAccount } from "../../src/accounts/pool.ts";
import { createVirtualClock, flush } from "../helpers/virtual_clock.ts";

Deno.test("signWebhook() matches the Standard Webhooks reference vector", () => {
  assert.equal(
    signWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    ),
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  );
});

Deno.test("retryDelay() doubles from 10 s to at most 4 h", () => {
  const delays = Array.from({ length: 14 }, (_, i) => retryDelay(i + 1, 10_000, 4 * 3_600_000));
  assert.deepEqual(delays.slice(0, 4), [10_000, 20_000, 40_000, 80_000]);
  assert.equal(delays.at(-1), 4 * 3_600_000);
  assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]));
});

Deno.test("WEBHOOK_URL and WEBHOOK_SECRET parse, and a bad secret is never repeated", () => {
  const secret = generateWebhookSecret();
  const config = loadConfig({
    WEBHOOK_URL: "https://a.example/hook?t=1, http://127.0.0.1:9/x",
    WEBHOOK_SECRET: secret,
  });
  assert.equal(config.explicit.WEBHOOK_SECRET, secret);
  assert.deepEqual(RUNTIME_SETTINGS.webhookUrls.parse(config.explicit.WEBHOOK_URL, "WEBHOOK_URL"), [
    "https://a.example/hook?t=1",
    "http://127.0.0.1:9/x",
  ]);
  assert.throws(() => loadConfig({ WEBHOOK_URL: "ftp://x" }), /expected an http\(s\) URL/);
  for (const bad of ["not-a-secret-at-all", "whsec_c2hvcnQ=", "whsec_!!!!notbase64!!!!"]) {
    assert.throws(
      () => loadConfig({ WEBHOOK_SECRET: bad }),
      (error: Error) => /whsec_ followed by/.test(error.message) && !error.message.includes(bad),
    );
  }
  assert.throws(() => loadConfig({ WEBHOOK_LOW_CREDITS: "-1" }), /WEBHOOK_LOW_CREDITS/);
});

function migrated() {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

Deno.test("createWebhookOutbox() retries with one webhook-id for 24 h, then gives up", async () => {
  const db = migrated();
  const clock = createVirtualClock();
  const sent: { id: string; timestamp: number; body: string }[] = [];
  const outbox = createWebhookOutbox({
    db,
    log: createLogger({ level: "error", write: () => {} }),
    now: clock.now,
    setTimer: clock.setTimer,
    urls: () => ["http://receiver.test/hook"],
    secret: () => null,
    keyUrl: () => null,
    random: () => 0.5,
    fetch: (_url, init) => {
      const headers = init!.headers as Record<string, string>;
      assert.equal(init!.redirect, "manual");
      sent.push({
        id: headers["webhook-id"],
        timestamp: Number(headers["webhook-timestamp"]),
        body: init!.body as string,
      });
      return Promise.resolve(new Response("no", { status: 500 }));
    },
  });
  try {
    const id = outbox.emit("video.completed", { id: "video_1" });
    assert.ok(id);
    const failed = () => listDeliveries(db, 1)[0].status === "failed";
    await clock.runUntil(failed, 25 * 3_600_000);
    const [delivery] = listDeliveries(db, 1);
    assert.equal(delivery.status, "failed");
    assert.equal(delivery.lastStatus, 500);
    assert.equal(delivery.nextAttemptAt, null);
    // 10 s doubling to 4 h, with the last try at the 24 h mark.
    assert.equal(delivery.attempts, 17);
    assert.equal(sent.length, 17);
    assert.ok(sent.every((s) => s.id === id && s.body === sent[0].body));
    const span = (sent.at(-1)!.timestamp - sent[0].timestamp) * 1000;
    assert.ok(Math.abs(span - 24 * 3_600_000) < 2000, `last attempt after ${span} ms`);
    assert.deepEqual(JSON.parse(sent[0].body), {
      id,
      object: "event",
      created_at: Math.floor(clock.now() / 1000) - 24 * 3600,
      type: "video.completed",
      data: { id: "video_1" },
    });
  } finally {
    await outbox.close();
    db.close();
  }
});

Deno.test("createWebhookOutbox() queues nothing without a URL, and adds a key's own URL", async () => {
  const db = migrated();
  let urls: string[] = [];
  const outbox = createWebhookOutbox({
    db,
    log: createLogger({ level: "error", write: () => {} }),
    now: Date.now,
    urls: () => urls,
    secret: () => null,
    keyUrl: (id) => (id === 7 ? "http://key.test/7" : null),
    fetch: () => Promise.resolve(new Response("ok")),
  });
  try {
    assert.equal(outbox.emit("video.failed", { id: "video_x" }), null);
    assert.equal(listDeliveries(db, 10).length, 0);
    assert.ok(outbox.emit("video.failed", { id: "video_y" }, { apiKeyId: 7 }));
    urls = ["http://ops.test/a", "http://key.test/7"];
    assert.ok(outbox.emit("video.failed", { id: "video_z" }, { apiKeyId: 7 }));
    const rows = listDeliveries(db, 10).reverse();
    assert.deepEqual(
      rows.map((r) => [r.url, r.apiKeyId]),
      [["http://key.test/7", 7], ["http://ops.test/a", null], ["http://key.test/7", null]],
    );
    await flush();
  } finally {
    await outbox.close();
    db.close();
  }
});

Deno.test("createAccountAlerts() alerts once per change, not for the state seen at start", () => {
  const emitted: [string, Record<string, unknown>][] = [];
  let threshold = 10;
  const alerts = createAccountAlerts({
    emit: (type, data) => {
      emitted.push([type, data]);
      return "evt";
    },
    threshold: () => threshold,
  });
  const known = newAccount("1111222233334444aaaabbbbccccdddd", "stored", 1);
  known.expired = true;
  const fresh = newAccount("5555666677778888eeeeffff00001111", "stored", 2);
  alerts.seed([known]);
  alerts.observe(known);
  assert.deepEqual(emitted, []);

  const credits = (total: number) => ({ gift: total, purchase: 0, vip: 0, total });
  fresh.credits = credits(3);
  alerts.observe(fresh);
  alerts.observe(fresh);
  assert.deepEqual(emitted, [[
    "jimeng.account.low_credits",
    { id: "2", label: "5555…1111", region: "cn", credits: 3, threshold: 10 },
  ]]);
  fresh.credits = credits(50);
  alerts.observe(fresh);
  fresh.credits = credits(2);
  alerts.observe(fresh);
  assert.equal(emitted.length, 2);

  known.expired = false;
  alerts.observe(known);
  known.expired = true;
  alerts.observe(known);
  assert.equal(emitted.at(-1)![0], "jimeng.account.expired");

  threshold = 0;
  const never = newAccount("9999aaaabbbbccccddddeeeeffff0000", "stored", 3);
  never.credits = credits(0);
  alerts.observe(never);
  const bearer = newAccount("aaaa9999bbbbccccddddeeeeffff0000", "bearer", null);
  bearer.expired = true;
  alerts.observe(bearer);
  assert.equal(emitted.length, 3);
});

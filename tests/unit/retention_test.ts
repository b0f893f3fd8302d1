import assert from "node:assert/strict";
import { createLogger } from "../../src/log.ts";
import { startRetention } from "../../src/retention.ts";
import { openDatabase } from "../../src/store/db.ts";
import { insertLogs, queryLogs } from "../../src/store/logs.ts";
import { migrate } from "../../src/store/migrate.ts";
import { MIGRATIONS } from "../../src/store/migrations/all.ts";
import { usageTotal } from "../../src/store/request_hours.ts";
import { insertRequest, pruneRequests, recentRequests } from "../../src/store/requests.ts";

const DAY = 86_400_000;

function row(createdAt: number, credits: number) {
  return {
    createdAt,
    requestId: crypto.randomUUID(),
    endpoint: "/v1/images/generations",
    model: "jimeng-image-4.5",
    kind: "image" as const,
    n: 1,
    status: "ok" as const,
    httpStatus: 200,
    errorCode: null,
    accountKey: null,
    accountLabel: null,
    creditsSpent: credits,
    creditsRemaining: null,
    latencyMs: 5,
    historyIds: null,
    apiKeyId: null,
  };
}

Deno.test("startRetention() deletes usage rows and log records past the limit, keeping the statistics", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    const now = 1000 * DAY;
    for (let i = 0; i < 25; i++) insertRequest(db, row(now - 100 * DAY + i, 1));
    insertRequest(db, row(now - 89 * DAY, 7));
    insertLogs(db, [
      { time: now - 91 * DAY, level: "info", message: "old" },
      { time: now - DAY, level: "info", message: "recent" },
    ], 100);
    const timers: { fn: () => void; ms: number }[] = [];
    const retention = startRetention({
      db,
      log: createLogger({ write: null }),
      now: () => now,
      keepDays: 90,
      batch: 10,
      setTimer: (fn, ms) => {
        const timer = { fn, ms };
        timers.push(timer);
        return () => timers.splice(timers.indexOf(timer), 1);
      },
    });
    assert.deepEqual(timers.map((t) => t.ms), [60_000]);
    assert.equal(recentRequests(db, 100).length, 26);
    timers.shift()!.fn();
    assert.deepEqual(recentRequests(db, 100).map((r) => r.creditsSpent), [7]);
    assert.deepEqual(queryLogs(db, { limit: 10 }).map((l) => l.message), ["recent"]);
    // The hourly rollup keeps what the deleted rows said.
    assert.deepEqual(usageTotal(db, 0), { requests: 26, errors: 0, credits: 32 });
    assert.deepEqual(timers.map((t) => t.ms), [3_600_000], "the next run in an hour");
    assert.deepEqual(retention.run(), { requests: 0, logs: 0 });
    retention.close();
    assert.equal(timers.length, 0);
  } finally {
    db.close();
  }
});

Deno.test("pruneRequests() reads the oldest rows through the created_at index", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    const plan = (db.prepare(
      `EXPLAIN QUERY PLAN SELECT id FROM requests WHERE created_at < 5 ORDER BY created_at LIMIT 10`,
    ).all() as { detail: string }[]).map((r) => r.detail).join("; ");
    assert.match(plan, /USING (COVERING )?INDEX requests_created/);
    assert.equal(pruneRequests(db, 5, 10), 0);
  } finally {
    db.close();
  }
});

Deno.test("migration 170 drops the non-generation rows, keeps the rollup in step and totals each key", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version < 170));
    db.exec(
      `INSERT INTO api_keys (name, prefix, secret_hash, created_at) VALUES ('k', 'sk-…', 'h', 0)`,
    );
    const insert = db.prepare(
      `INSERT INTO requests (created_at, request_id, endpoint, model, kind, n, status, http_status,
         credits_spent, latency_ms, api_key_id) VALUES (?, 'r', ?, ?, ?, 0, ?, ?, ?, 1, ?)`,
    );
    insert.run(3_600_000, "/v1/images/generations", "m", "image", "ok", 200, 4, 1);
    insert.run(3_600_000, "/v1/models", null, "other", "ok", 200, null, 1);
    insert.run(3_600_000, "/v1/videos/abc", null, "other", "error", 401, null, null);
    assert.equal(usageTotal(db, 0).requests, 3);
    migrate(db);
    assert.equal(recentRequests(db, 10).length, 1);
    assert.deepEqual(usageTotal(db, 0), { requests: 1, errors: 0, credits: 4 });
    const key = () =>
      db.prepare("SELECT credits_used FROM api_keys").get() as { credits_used: number };
    assert.equal(key().credits_used, 4);
    insertRequest(db, {
      ...row(7_200_000, 0),
      creditsSpent: null,
      creditsReserved: 6,
      apiKeyId: 1,
    });
    assert.equal(key().credits_used, 10, "a reservation counts until the spend is known");
    db.exec("UPDATE requests SET credits_spent = 2 WHERE credits_reserved = 6");
    assert.equal(key().credits_used, 6);
    const plan = (db.prepare(
      `EXPLAIN QUERY PLAN SELECT sum(coalesce(credits_spent, credits_reserved)) FROM requests
       WHERE api_key_id = 1 AND created_at >= 0`,
    ).all() as { detail: string }[]).map((r) => r.detail).join("; ");
    assert.match(plan, /COVERING INDEX requests_key_time/);
  } finally {
    db.close();
  }
});

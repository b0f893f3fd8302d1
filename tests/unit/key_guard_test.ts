import assert from "node:assert/strict";
import {
  createKeyGuard,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
} from "../../src/api/api_keys.ts";
import { ApiError } from "../../src/api/errors.ts";
import { createRateLimiter } from "../../src/api/rate_limit.ts";
import { insertApiKey, revokeApiKey } from "../../src/store/api_keys.ts";
import { openDatabase } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { insertRequest } from "../../src/store/requests.ts";

Deno.test("createRateLimiter() allows N per sliding minute and says when the next slot opens", () => {
  let now = 0;
  const limiter = createRateLimiter(() => now);
  assert.deepEqual(limiter.take(1, 2), { ok: true });
  now = 10_000;
  assert.deepEqual(limiter.take(1, 2), { ok: true });
  now = 20_000;
  assert.deepEqual(limiter.take(1, 2), { ok: false, retryAfterMs: 40_000 });
  assert.deepEqual(limiter.take(2, 2), { ok: true });
  now = 60_001;
  assert.deepEqual(limiter.take(1, 2), { ok: true });
  assert.deepEqual(limiter.take(1, 2), { ok: false, retryAfterMs: 9_999 });
  limiter.forget(1);
  assert.deepEqual(limiter.take(1, 2), { ok: true });
});

Deno.test("createRateLimiter() with maxKeys drops the key seen least recently", () => {
  const limiter = createRateLimiter<string>(() => 0, 2);
  assert.deepEqual(limiter.take("a", 1), { ok: true });
  assert.deepEqual(limiter.take("b", 1), { ok: true });
  assert.equal(limiter.take("a", 1).ok, false, "a is used again: it stays");
  assert.deepEqual(limiter.take("c", 1), { ok: true });
  assert.equal(limiter.take("a", 1).ok, false);
  assert.deepEqual(limiter.take("b", 1), { ok: true }, "b was dropped to make room for c");
});

Deno.test("generateApiKey() makes 256-bit sk- keys stored only as their SHA-256", () => {
  const a = generateApiKey();
  const b = generateApiKey();
  assert.notEqual(a.secret, b.secret);
  assert.match(a.secret, /^sk-[A-Za-z0-9_-]{43}$/);
  assert.equal(a.hash, hashApiKey(a.secret));
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.equal(a.prefix, `${a.secret.slice(0, 7)}…${a.secret.slice(-4)}`);
  assert.ok(looksLikeApiKey(a.secret));
  assert.ok(!looksLikeApiKey("0f1e2d3c4b5a69788796a5b4c3d2e1f0"));
  assert.ok(looksLikeApiKey(`SK-${a.secret.slice(3)}`), "any case: never taken for a sessionid");
});

Deno.test("createKeyGuard() refuses unknown and revoked keys, limits rate and daily quota", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    // 2026-01-11 10:00 in Shanghai.
    let now = Date.UTC(2026, 0, 11, 2);
    const guard = createKeyGuard({ db, now: () => now, timeZone: "Asia/Shanghai" });
    const generated = generateApiKey();
    const row = insertApiKey(db, {
      name: "ci",
      prefix: generated.prefix,
      secretHash: generated.hash,
      quotaPerDay: 5,
      ratePerMinute: 1,
      createdAt: now,
    });
    assert.throws(() => guard.authenticate("sk-unknown"), (e: ApiError) => e.status === 401);
    const key = guard.authenticate(generated.secret);
    assert.equal(key.id, row.id);
    guard.admit(key);
    assert.throws(
      () => guard.admit(key),
      (e: ApiError) =>
        e.status === 429 && e.code === "rate_limit_exceeded" && e.headers["Retry-After"] === "60",
    );
    now += 60_000;
    const spend = (at: number, credits: number) =>
      insertRequest(db, {
        createdAt: at,
        requestId: crypto.randomUUID(),
        endpoint: "/v1/images/generations",
        model: "m",
        kind: "image",
        n: 1,
        status: "ok",
        httpStatus: 200,
        errorCode: null,
        accountKey: null,
        accountLabel: null,
        creditsSpent: credits,
        creditsRemaining: null,
        latencyMs: 1,
        historyIds: null,
        apiKeyId: row.id,
      });
    spend(Date.UTC(2026, 0, 10, 15), 50); // the day before, in Shanghai
    spend(now, 5);
    assert.deepEqual(guard.usageToday(row.id), { requests: 1, credits: 5 });
    assert.throws(
      () => guard.admit(key),
      (e: ApiError) =>
        e.status === 429 && e.code === "insufficient_quota" && /5 of 5 credits/.test(e.message),
    );
    // A new Shanghai day (16:00 UTC) resets the quota.
    now = Date.UTC(2026, 0, 11, 16, 0, 1);
    guard.admit(key);
    assert.equal(guard.todayStart(), Date.UTC(2026, 0, 11, 16));
    revokeApiKey(db, row.id, now);
    assert.throws(
      () => guard.authenticate(generated.secret),
      (e: ApiError) => e.status === 401 && /revoked/.test(e.message),
    );
  } finally {
    db.close();
  }
});

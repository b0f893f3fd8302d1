import assert from "node:assert/strict";
import {
  createKeyGuard,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
  readsPerMinute,
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

Deno.test("createKeyGuard() refuses unknown, revoked and expired keys; limits creations, reads and the daily quota", () => {
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
    guard.admit(key, "create");
    assert.throws(
      () => guard.admit(key, "create"),
      (e: ApiError) =>
        e.status === 429 && e.code === "rate_limit_exceeded" && e.headers["Retry-After"] === "60",
    );
    // Reads have their own, much higher bound: polling is not a creation.
    for (let i = 0; i < readsPerMinute(1); i++) guard.admit(key, "read");
    assert.equal(readsPerMinute(1), 600);
    assert.equal(readsPerMinute(100), 1000);
    assert.throws(
      () => guard.admit(key, "read"),
      (e: ApiError) => e.status === 429 && /600 reads/.test(e.message),
    );
    now += 60_000;
    const spend = (at: number, credits: number | null, reserved: number | null = null) =>
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
        creditsReserved: reserved,
      });
    spend(Date.UTC(2026, 0, 10, 15), 50); // the day before, in Shanghai
    spend(now, 2);
    assert.deepEqual(guard.usageToday(row.id), { requests: 1, credits: 2, errors: 0 });
    // 2 charged + 2 held + 2 asked > 5: refused; 2 + 2 + 1 fits.
    const held = guard.reserve(key, "m", 2);
    assert.equal(guard.held(row.id), 2);
    assert.throws(
      () => guard.reserve(key, "m", 2),
      (e: ApiError) =>
        e.status === 429 && e.code === "insufficient_quota" &&
        /may cost up to 2 credits and 1 of its daily quota of 5 are left/.test(e.message),
    );
    const small = guard.reserve(key, "m", 1);
    assert.throws(
      () => guard.reserve(key, "m", 1),
      (e: ApiError) =>
        e.status === 429 && /used its daily quota: 5 of 5 credits today/.test(e.message),
    );
    // A row written with its reservation counts it until the spend is known.
    spend(now, null, 2);
    held.release();
    held.release();
    assert.equal(guard.held(row.id), 1);
    assert.deepEqual(guard.usageToday(row.id), { requests: 2, credits: 4, errors: 0 });
    small.release();
    assert.equal(guard.held(row.id), 0);
    // A new Shanghai day (16:00 UTC) resets the quota.
    now = Date.UTC(2026, 0, 11, 16, 0, 1);
    guard.reserve(key, "m", 5).release();
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

Deno.test("createKeyGuard() enforces expiry, the model allow-list and the total credit cap", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    let now = 1_000_000;
    const guard = createKeyGuard({ db, now: () => now, timeZone: "UTC" });
    const generated = generateApiKey();
    const row = insertApiKey(db, {
      name: "limited",
      prefix: generated.prefix,
      secretHash: generated.hash,
      quotaPerDay: null,
      ratePerMinute: null,
      createdAt: now,
      expiresAt: now + 60_000,
      models: ["jimeng-image-4.5"],
      creditCap: 10,
    });
    const key = guard.authenticate(generated.secret);
    assert.deepEqual(key.models, ["jimeng-image-4.5"]);
    assert.throws(
      () => guard.reserve(key, "jimeng-video-3.0", 1),
      (e: ApiError) =>
        e.status === 403 && e.code === "model_not_allowed" && e.param === "model" &&
        /'jimeng-image-4.5'/.test(e.message),
    );
    const first = guard.reserve(key, "jimeng-image-4.5", 8);
    assert.throws(
      () => guard.reserve(key, "jimeng-image-4.5", 4),
      (e: ApiError) => e.status === 429 && /credit cap of 10/.test(e.message),
    );
    insertRequest(db, {
      createdAt: now,
      requestId: "r1",
      endpoint: "/v1/images/generations",
      model: "jimeng-image-4.5",
      kind: "image",
      n: 1,
      status: "ok",
      httpStatus: 200,
      errorCode: null,
      accountKey: null,
      accountLabel: null,
      creditsSpent: null,
      creditsRemaining: null,
      latencyMs: 1,
      historyIds: null,
      apiKeyId: row.id,
      creditsReserved: 8,
    });
    first.release();
    // The total follows the row: reserved 8, then the real spend 3.
    assert.equal(guard.authenticate(generated.secret).creditsUsed, 8);
    db.prepare("UPDATE requests SET credits_spent = 3 WHERE request_id = 'r1'").run();
    assert.equal(guard.authenticate(generated.secret).creditsUsed, 3);
    guard.reserve(key, "jimeng-image-4.5", 7).release();
    now += 60_000;
    assert.throws(
      () => guard.authenticate(generated.secret),
      (e: ApiError) => e.status === 401 && e.code === "api_key_expired",
    );
  } finally {
    db.close();
  }
});

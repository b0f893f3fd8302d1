import assert from "node:assert/strict";
import type { ApiError } from "../../src/api/errors.ts";
import {
  createAdminAuth,
  MAX_LOGIN_FAILURES,
  THROTTLE_WINDOW_MS,
} from "../../src/dashboard/auth.ts";
import { hashPassword, verifyPassword } from "../../src/dashboard/passwords.ts";
import { createLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";

const log = createLogger({ write: null });

function setup(now: () => number, ttlMs = 3_600_000) {
  const db = openDatabase(":memory:");
  migrate(db);
  return { db, auth: createAdminAuth({ db, log, now, ttlMs }) };
}

Deno.test("hashPassword() salts every hash; verifyPassword() accepts only the password", async () => {
  const one = await hashPassword("correct horse");
  const two = await hashPassword("correct horse");
  assert.notEqual(one, two);
  assert.match(one, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.ok(await verifyPassword("correct horse", one));
  assert.ok(!(await verifyPassword("correct horsE", one)));
  assert.ok(!(await verifyPassword("correct horse", "sha256$abc")));
});

Deno.test("createAdminAuth() sets up once, with the current token only", async () => {
  const { db, auth } = setup(Date.now);
  try {
    assert.ok(auth.setupNeeded());
    const stale = auth.issueSetupToken()!;
    const token = auth.issueSetupToken()!;
    const input = { username: "root", password: "long enough" };
    await assert.rejects(auth.setup({ ...input, token: stale }), (e: ApiError) => e.status === 403);
    await assert.rejects(
      auth.setup({ ...input, token, password: "short" }),
      (e: ApiError) => e.status === 400 && e.param === "password",
    );
    const login = await auth.setup({ ...input, token });
    assert.equal(login.username, "root");
    assert.equal(auth.session(login.cookie)!.username, "root");
    assert.ok(!auth.setupNeeded());
    assert.equal(auth.issueSetupToken(), null);
    await assert.rejects(auth.setup({ ...input, token }), (e: ApiError) => e.status === 409);
    assert.equal(await auth.bootstrap("other", "password!"), false);
  } finally {
    db.close();
  }
});

Deno.test("createAdminAuth() throttles per user and per IP for the window, then lets in", async () => {
  let now = 1_700_000_000_000;
  const { db, auth } = setup(() => now);
  try {
    await auth.bootstrap("root", "the right password");
    for (let i = 0; i < MAX_LOGIN_FAILURES; i++) {
      await assert.rejects(
        auth.login({ username: "root", password: "wrong", ip: `10.0.0.${i}` }),
        (e: ApiError) => e.status === 401,
      );
      now += 1000;
    }
    // Per user: a new IP is still refused, with the time until the oldest failure expires.
    await assert.rejects(
      auth.login({ username: "ROOT", password: "the right password", ip: "10.9.9.9" }),
      (e: ApiError) =>
        e.status === 429 && e.headers["Retry-After"] === String(THROTTLE_WINDOW_MS / 1000 - 5),
    );
    now += THROTTLE_WINDOW_MS - 4000;
    const login = await auth.login({ username: "root", password: "the right password", ip: "1" });
    assert.ok(auth.session(login.cookie));

    // Per IP: five different names from one address.
    for (let i = 0; i < MAX_LOGIN_FAILURES; i++) {
      await assert.rejects(auth.login({ username: `guess${i}`, password: "x", ip: "6.6.6.6" }));
    }
    await assert.rejects(
      auth.login({ username: "root", password: "the right password", ip: "6.6.6.6" }),
      (e: ApiError) => e.status === 429,
    );
  } finally {
    db.close();
  }
});

Deno.test("createAdminAuth() sessions expire, rotate at login and end with the password", async () => {
  let now = 1_700_000_000_000;
  const { db, auth } = setup(() => now, 60_000);
  try {
    await auth.bootstrap("root", "the right password");
    const first = await auth.login({ username: "root", password: "the right password", ip: "1" });
    const second = await auth.login({
      username: "root",
      password: "the right password",
      ip: "1",
      previous: first.cookie,
    });
    assert.notEqual(second.cookie, first.cookie);
    assert.notEqual(second.csrfToken, first.csrfToken);
    assert.equal(auth.session(first.cookie), undefined);
    const third = await auth.login({ username: "root", password: "the right password", ip: "2" });
    const session = auth.session(second.cookie)!;
    await assert.rejects(
      auth.changePassword(session, "not it", "a new password"),
      (e: ApiError) => e.status === 403,
    );
    await auth.changePassword(session, "the right password", "a new password");
    assert.ok(auth.session(second.cookie));
    assert.equal(auth.session(third.cookie), undefined);
    now += 60_001;
    assert.equal(auth.session(second.cookie), undefined);
  } finally {
    db.close();
  }
});

import assert from "node:assert/strict";
import type { ApiError } from "../../src/api/errors.ts";
import {
  createAdminAuth,
  csrfTokenOf,
  MAX_ADDRESS_FAILURES,
  MAX_LOGIN_FAILURES,
  MAX_SLOWDOWN_MS,
  slowdownMs,
  THROTTLE_WINDOW_MS,
  USER_SLOWDOWN_AFTER,
} from "../../src/dashboard/auth.ts";
import { createPasswordGate, hashPassword, verifyPassword } from "../../src/dashboard/passwords.ts";
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

Deno.test("createAdminAuth() throttles per address and name, then per address; never locks out elsewhere", async () => {
  let now = 1_700_000_000_000;
  const { db, auth } = setup(() => now);
  try {
    await auth.bootstrap("root", "the right password");
    for (let i = 0; i < MAX_LOGIN_FAILURES; i++) {
      await assert.rejects(
        auth.login({ username: "root", password: "wrong", ip: "10.0.0.1" }),
        (e: ApiError) => e.status === 401,
      );
      now += 1000;
    }
    // That address is refused for the name, with the time until its oldest failure expires …
    await assert.rejects(
      auth.login({ username: "ROOT", password: "the right password", ip: "10.0.0.1" }),
      (e: ApiError) =>
        e.status === 429 && e.headers["Retry-After"] === String(THROTTLE_WINDOW_MS / 1000 - 5),
    );
    // … but the administrator at another address gets in.
    const elsewhere = await auth.login({
      username: "root",
      password: "the right password",
      ip: "10.9.9.9",
    });
    assert.ok(auth.session(elsewhere.cookie));
    now += THROTTLE_WINDOW_MS - 4000;
    const later = await auth.login({
      username: "root",
      password: "the right password",
      ip: "10.0.0.1",
    });
    assert.ok(auth.session(later.cookie));

    // Per address: many names from one address.
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) {
      await assert.rejects(
        auth.login({ username: `guess${i % 4}`, password: "x", ip: "6.6.6.6" }),
        (e: ApiError) => e.status === (i < 4 * MAX_LOGIN_FAILURES ? 401 : 429),
      );
    }
    await assert.rejects(
      auth.login({ username: "root", password: "the right password", ip: "6.6.6.6" }),
      (e: ApiError) => e.status === 429,
    );
    // An IPv6 client counts as its /64.
    for (let i = 0; i < MAX_LOGIN_FAILURES; i++) {
      await assert.rejects(auth.login({ username: "root", password: "x", ip: `2001:db8::${i}` }));
    }
    await assert.rejects(
      auth.login({ username: "root", password: "the right password", ip: "2001:db8::ffff" }),
      (e: ApiError) => e.status === 429,
    );
  } finally {
    db.close();
  }
});

Deno.test("createAdminAuth() counts parallel attempts before checking any password", async () => {
  const { db, auth } = setup(() => 1_700_000_000_000);
  try {
    await auth.bootstrap("root", "the right password");
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, () => auth.login({ username: "root", password: "no", ip: "1" })),
    );
    const statuses = outcomes.map((o) => o.status === "rejected" ? o.reason.status : 200);
    assert.equal(statuses.filter((s) => s === 401).length, MAX_LOGIN_FAILURES);
    assert.equal(statuses.filter((s) => s === 429).length, 40 - MAX_LOGIN_FAILURES);
  } finally {
    db.close();
  }
});

Deno.test("createAdminAuth() slows a user's checks down after failures from many addresses", async () => {
  const { db } = setup(() => 1_700_000_000_000);
  const waits: number[] = [];
  const auth = createAdminAuth({
    db,
    log,
    now: () => 1_700_000_000_000,
    ttlMs: 60_000,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  try {
    await auth.bootstrap("root", "the right password");
    for (let i = 0; i < USER_SLOWDOWN_AFTER + 3; i++) {
      await assert.rejects(
        auth.login({ username: "root", password: "no", ip: `10.0.${i}.1` }),
        (e: ApiError) => e.status === 401,
      );
    }
    assert.deepEqual(waits, [250, 500, 1000]);
    assert.equal(slowdownMs(USER_SLOWDOWN_AFTER + 40), MAX_SLOWDOWN_MS);
    // Slowed down, not locked out; and a success ends the slow-down.
    await auth.login({ username: "root", password: "the right password", ip: "10.1.0.1" });
    assert.equal(waits.length, 4);
    await auth.login({ username: "root", password: "the right password", ip: "10.1.0.1" });
    assert.equal(waits.length, 4);
    // Unknown names never slow the administrator down.
    for (let i = 0; i < USER_SLOWDOWN_AFTER + 3; i++) {
      await assert.rejects(auth.login({ username: "nobody", password: "no", ip: `10.2.${i}.1` }));
    }
    assert.equal(waits.length, 4);
  } finally {
    db.close();
  }
});

Deno.test("createAdminAuth() stores no typed name that is no administrator's", async () => {
  const { db, auth } = setup(() => 1_700_000_000_000);
  try {
    await auth.bootstrap("root", "the right password");
    await assert.rejects(auth.login({ username: "MyPassw0rd!", password: "x", ip: "1" }));
    await assert.rejects(auth.login({ username: "root", password: "MyPassw0rd!", ip: "1" }));
    const rows = db.prepare("SELECT scope, subject FROM login_failures").all();
    assert.equal(rows.length, 5);
    assert.ok(!JSON.stringify(rows).toLowerCase().includes("passw0rd"), JSON.stringify(rows));
    assert.ok(!JSON.stringify(rows).includes("root"), "even existing names are stored by id");
  } finally {
    db.close();
  }
});

Deno.test("createAdminAuth() refuses logins beyond the password-check gate at once", async () => {
  const { db } = setup(() => 1_700_000_000_000);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const gate = createPasswordGate(1, 1);
  const auth = createAdminAuth({ db, log, now: () => 1_700_000_000_000, ttlMs: 60_000, gate });
  try {
    await auth.bootstrap("root", "the right password");
    const blocker = gate.tryRun(() => held)!;
    const waiting = auth.login({ username: "root", password: "no", ip: "10.0.0.1" });
    await assert.rejects(
      auth.login({ username: "root", password: "no", ip: "10.0.0.2" }),
      (e: ApiError) =>
        e.status === 429 && e.code === "login_busy" && e.headers["Retry-After"] === "2",
    );
    // A refused attempt is not counted: the second address has no failure.
    assert.equal(
      (db.prepare("SELECT count(*) AS n FROM login_failures WHERE subject LIKE '10.0.0.2%'")
        .get() as { n: number }).n,
      0,
    );
    release();
    await blocker;
    await assert.rejects(waiting, (e: ApiError) => e.status === 401);
  } finally {
    db.close();
  }
});

Deno.test("createPasswordGate() runs at most its concurrency and queues a bounded number", async () => {
  const gate = createPasswordGate(2, 3);
  let running = 0;
  let peak = 0;
  const work = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    return true;
  };
  const runs = Array.from({ length: 8 }, () => gate.tryRun(work));
  assert.equal(runs.filter((r) => r === undefined).length, 3);
  await Promise.all(runs);
  assert.equal(peak, 2);
  assert.ok(gate.tryRun(work));
});

Deno.test("createAdminAuth() throttles wrong current passwords when changing it", async () => {
  const { db, auth } = setup(() => 1_700_000_000_000);
  try {
    await auth.bootstrap("root", "the right password");
    const login = await auth.login({ username: "root", password: "the right password", ip: "1" });
    const session = auth.session(login.cookie)!;
    const tries = await Promise.allSettled(
      Array.from(
        { length: 12 },
        (_, i) => auth.changePassword(session, `guess ${i}`, "new pass 1"),
      ),
    );
    const statuses = tries.map((t) => t.status === "rejected" ? t.reason.status : 200);
    assert.equal(statuses.filter((s) => s === 403).length, MAX_LOGIN_FAILURES);
    assert.equal(statuses.filter((s) => s === 429).length, 12 - MAX_LOGIN_FAILURES);
    await assert.rejects(
      auth.changePassword(session, "the right password", "new pass 1"),
      (e: ApiError) => e.status === 429 && e.code === "too_many_login_attempts",
    );
  } finally {
    db.close();
  }
});

Deno.test("csrfTokenOf() derives the session's token; nothing stored gives it away", async () => {
  const { db, auth } = setup(() => 1_700_000_000_000);
  try {
    await auth.bootstrap("root", "the right password");
    const login = await auth.login({ username: "root", password: "the right password", ip: "1" });
    assert.equal(login.csrfToken, csrfTokenOf(login.cookie));
    assert.equal(auth.session(login.cookie)!.csrfToken, login.csrfToken);
    const stored = JSON.stringify(db.prepare("SELECT * FROM admin_sessions").all());
    assert.ok(!stored.includes(login.csrfToken));
    assert.ok(!stored.includes(login.cookie));
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

/**
 * Hostile use of the console's way in, over real HTTP: parallel password
 * guessing, locking the administrator out from elsewhere, forged
 * `X-Forwarded-For` entries, guessing the current password with a stolen
 * session, and what is kept of it all.
 * @module
 */
import assert from "node:assert/strict";
import { ADMIN, ADMIN_ENV, adminFetch, loginAdmin } from "../helpers/admin.ts";
import { type Stack, startStack } from "../helpers/stack.ts";

function loginFrom(
  stack: Stack,
  forwardedFor: string | null,
  password: string,
  username = "admin",
) {
  return fetch(`${stack.url}/api/admin/login`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin: stack.url,
      ...(forwardedFor === null ? {} : { "x-forwarded-for": forwardedFor }),
    },
    body: JSON.stringify({ username, password }),
  });
}

async function statusOf(response: Promise<Response>): Promise<number> {
  const answer = await response;
  await answer.body?.cancel();
  return answer.status;
}

const tally = (statuses: number[]) =>
  Object.fromEntries(
    [...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]),
  );

Deno.test("300 parallel wrong passwords: 5 are checked, the rest get 429", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, LOG_LEVEL: "warn" } });
  try {
    const statuses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => statusOf(loginFrom(stack, null, `guess ${i}`))),
    );
    assert.deepEqual(tally(statuses), { 401: 5, 429: 295 });
    // The right password from that address waits for the window too.
    assert.equal(await statusOf(loginFrom(stack, null, ADMIN.password)), 429);
  } finally {
    await stack.close();
  }
});

Deno.test("failures from one address never lock the administrator out at another", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, LOG_LEVEL: "warn", TRUST_PROXY: "true", TRUSTED_PROXIES: "127.0.0.1" },
  });
  try {
    const attacker = "198.51.100.7";
    const attempts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => statusOf(loginFrom(stack, attacker, `guess ${i}`))),
    );
    assert.deepEqual(tally(attempts), { 401: 5, 429: 45 });
    // The attacker writes the administrator's address into X-Forwarded-For: the proxy appends
    // the real one, and the right-most entry that is no trusted proxy is what counts.
    const forged = await statusOf(
      loginFrom(stack, `203.0.113.9, ${attacker}`, ADMIN.password),
    );
    assert.equal(forged, 429, "a forged left-most entry does not pass for another client");
    // The administrator, at their own address (behind a second trusted hop), gets in.
    const admin = await loginFrom(stack, "203.0.113.9, 127.0.0.1", ADMIN.password);
    assert.equal(admin.status, 200, await admin.clone().text());
    await admin.body?.cancel();
    // Guesses from many addresses only slow the checks down; they cannot lock anyone out.
    const spread = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => statusOf(loginFrom(stack, `192.0.2.${i + 1}`, `spray ${i}`)),
      ),
    );
    assert.deepEqual(tally(spread), { 401: 8 });
    const again = await loginFrom(stack, "203.0.113.10", ADMIN.password);
    assert.equal(again.status, 200, await again.clone().text());
    await again.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("X-Forwarded-For is ignored from a peer that is not a trusted proxy, and said so", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, LOG_LEVEL: "warn", TRUST_PROXY: "true", TRUSTED_PROXIES: "10.0.0.0/8" },
  });
  try {
    // Each attempt claims another address, but the peer (loopback) is no trusted proxy.
    for (let i = 0; i < 5; i++) {
      assert.equal(await statusOf(loginFrom(stack, `192.0.2.${i}`, `guess ${i}`)), 401);
    }
    assert.equal(await statusOf(loginFrom(stack, "192.0.2.99", ADMIN.password)), 429);
    const warnings = stack.logs.filter((l) => l.includes("X-Forwarded-For from 127.0.0.1 ignored"));
    assert.equal(warnings.length, 1, "said once");
  } finally {
    await stack.close();
  }
});

Deno.test("a stolen session cannot guess the current password: /password is throttled", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, LOG_LEVEL: "warn" } });
  try {
    const admin = await loginAdmin(stack);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        statusOf(admin.call("POST", "/password", {
          current_password: `guess number ${i}`,
          new_password: "a brand new password",
        }))),
    );
    assert.deepEqual(tally(statuses), { 403: 5, 429: 15 });
    const right = await admin.call("POST", "/password", {
      current_password: ADMIN.password,
      new_password: "a brand new password",
    });
    assert.equal(right.status, 429);
    assert.ok(Number(right.headers.get("retry-after")) > 800);
    assert.equal((await right.json()).error.code, "too_many_login_attempts");
  } finally {
    await stack.close();
  }
});

Deno.test("a password typed as the user name and the CSRF token are stored nowhere", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  const typo = "Tr0ub4dor&3-as-a-name";
  try {
    const wrong = await adminFetch(stack, "POST", "/login", {
      body: { username: typo, password: ADMIN.password },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const admin = await loginAdmin(stack);
    const logs = await admin.json<{ data: { message: string; fields?: unknown }[] }>(
      "GET",
      "/logs?limit=1000",
    );
    const stored = JSON.stringify(logs) +
      JSON.stringify(stack.server.db.prepare("SELECT * FROM login_failures").all()) +
      JSON.stringify(stack.server.db.prepare("SELECT * FROM logs").all());
    assert.ok(stored.includes("Console login failed"), "the failure is logged");
    assert.ok(!stored.includes(typo), "the typed name is not");
    assert.ok(!stack.logs.join("\n").includes(typo), "not in the output either");
    const sessions = JSON.stringify(
      stack.server.db.prepare("SELECT * FROM admin_sessions").all(),
    );
    assert.ok(!sessions.includes(admin.csrfToken), "the CSRF token is not stored");
    assert.ok(!sessions.includes(admin.cookie.split("=")[1]), "nor the cookie");
    // The token still works, derived from the cookie.
    const key = await admin.call("POST", "/keys", { name: "after" });
    assert.equal(key.status, 201);
    await key.body?.cancel();
  } finally {
    await stack.close();
  }
});

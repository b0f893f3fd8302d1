import assert from "node:assert/strict";
import { MAX_TOKENS_PER_CALL, TOKEN_CHECKS_PER_MINUTE } from "../../src/api/token.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";

function post(stack: Stack, path: string, init: { auth?: string; body?: unknown; from?: string }) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  if (init.from) headers["x-forwarded-for"] = init.from;
  return fetch(`${stack.url}${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(init.body ?? {}),
  });
}

const upstreamCalls = (stack: Stack) =>
  Object.values(stack.fake.stats.calls).reduce((sum, n) => sum + n, 0);

Deno.test("with ALLOW_SESSIONID_AUTH=false the token routes answer 401 like /v1 and call nothing", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, ALLOW_SESSIONID_AUTH: "false" } });
  try {
    const admin = await loginAdmin(stack);
    const { key } = await admin.json<{ key: string }>("POST", "/keys", { name: "k" }, 201);
    stack.fake.resetStats();
    for (const auth of [undefined, GOOD_SESSION, key]) {
      const check = await post(stack, "/token/check", { auth, body: { token: GOOD_SESSION } });
      assert.equal(check.status, 401, `check with ${auth}`);
      assert.match(check.headers.get("content-type")!, /application\/json/);
      const error = (await check.json()).error;
      assert.equal(error.code, "invalid_api_key");
      assert.match(error.message, /sessionid authentication is off/);
    }
    const points = await post(stack, "/token/points", { auth: GOOD_SESSION });
    assert.equal(points.status, 401);
    await points.body?.cancel();
    assert.equal(upstreamCalls(stack), 0);
  } finally {
    await stack.close();
  }
});

Deno.test("/token/check is rate-limited per client address and refuses junk without a call", async () => {
  const stack = await startStack({
    env: { TRUST_PROXY: "true", TRUSTED_PROXIES: "127.0.0.1", LOG_LEVEL: "warn" },
  });
  try {
    stack.fake.resetStats();
    const from = "198.51.100.20";
    for (let i = 0; i < TOKEN_CHECKS_PER_MINUTE; i++) {
      const check = await post(stack, "/token/check", { from, body: { token: GOOD_SESSION } });
      assert.equal(check.status, 200);
      assert.deepEqual(await check.json(), { live: true });
    }
    const limited = await post(stack, "/token/check", { from, body: { token: GOOD_SESSION } });
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal((await limited.json()).error.code, "rate_limit_exceeded");
    // A forged left-most entry does not make another client.
    const forged = await post(stack, "/token/check", {
      from: `203.0.113.1, ${from}`,
      body: { token: GOOD_SESSION },
    });
    assert.equal(forged.status, 429);
    await forged.body?.cancel();
    assert.equal(upstreamCalls(stack), TOKEN_CHECKS_PER_MINUTE);
    // Another client has its own budget; junk is a 400 and costs no upstream call.
    for (const token of ["x", "us-", `us-us-${GOOD_SESSION}`, `SK-${"x".repeat(43)}`]) {
      const junk = await post(stack, "/token/check", { from: "203.0.113.2", body: { token } });
      assert.equal(junk.status, 400, token);
      const error = (await junk.json()).error;
      assert.equal(error.param, "token");
      assert.equal(error.code, "invalid_value");
    }
    assert.equal(upstreamCalls(stack), TOKEN_CHECKS_PER_MINUTE);
  } finally {
    await stack.close();
  }
});

Deno.test("/token/points and /token/receive act on at most 10 sessionids per call", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn" } });
  try {
    const tokens = Array.from(
      { length: MAX_TOKENS_PER_CALL + 1 },
      (_, i) => `${String(i).padStart(2, "0")}${GOOD_SESSION.slice(2)}`,
    );
    stack.fake.resetStats();
    for (const path of ["/token/points", "/token/receive"]) {
      const many = await post(stack, path, { auth: tokens.join(",") });
      assert.equal(many.status, 400, path);
      const error = (await many.json()).error;
      assert.equal(error.code, "too_many_tokens");
      assert.match(error.message, /At most 10 sessionids per call; got 11/);
    }
    assert.equal(upstreamCalls(stack), 0);
    const ten = await post(stack, "/token/points", {
      auth: tokens.slice(0, MAX_TOKENS_PER_CALL).join(","),
    });
    assert.equal(ten.status, 200);
    assert.equal((await ten.json()).length, MAX_TOKENS_PER_CALL);
  } finally {
    await stack.close();
  }
});

import assert from "node:assert/strict";
import { type APIError } from "openai";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import { recentRequests } from "../../src/store/requests.ts";
import { ADMIN_ENV, type AdminClient, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

/** One stored account; the scheduler's check at start caches its balance. */
const ENV = { ...ADMIN_ENV, DAILY_CLAIM: "false", JIMENG_SESSIONS: GOOD_SESSION };

type CreatedKey = KeyJson & { key: string };

function createKey(admin: AdminClient, body: Record<string, unknown>): Promise<CreatedKey> {
  return admin.json<CreatedKey>("POST", "/keys", body, 201);
}

async function listKeys(admin: AdminClient): Promise<KeyJson[]> {
  return (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
}

Deno.test("a key created over HTTP is shown once, works with the SDK and records its usage", async () => {
  const stack = await startStack({ env: ENV, overrides: { creditRefreshMs: 0 } });
  try {
    await stack.server.scheduler.idle();
    const admin = await loginAdmin(stack);
    const created = await createKey(admin, { name: "laptop" });
    assert.match(created.key, /^sk-[A-Za-z0-9_-]{43}$/);
    assert.equal(created.prefix, `${created.key.slice(0, 7)}…${created.key.slice(-4)}`);
    assert.equal(created.quotaPerDay, null);
    assert.equal(created.ratePerMinute, null);
    assert.equal(created.revokedAt, null);

    const result = await stack.openai(created.key).images.generate({ prompt: "a key at work" });
    assert.equal(result.data?.length, 1);
    const chat = await stack.openai(created.key).chat.completions.create({
      model: "jimeng-image-4.5",
      messages: [{ role: "user", content: "a chat picture" }],
    });
    assert.match(chat.choices[0].message.content!, /!\[image_1\]/);
    await stack.server.deps.credits.idle();

    const [key] = await listKeys(admin);
    assert.equal(key.id, created.id);
    assert.equal(key.name, "laptop");
    assert.ok(!("key" in key));
    assert.equal(key.requestsToday, 2);
    assert.equal(key.usedToday, 100 - stack.fake.session(GOOD_SESSION).credits);
    assert.ok(key.usedToday > 0);
    assert.ok(key.lastUsedAt! > 0);
    const rows = recentRequests(stack.server.db, 5);
    assert.deepEqual(rows.map((r) => r.apiKeyId), [created.id, created.id]);

    const renamed = await admin.json<KeyJson>("PATCH", `/keys/${created.id}`, {
      name: "desktop",
      quotaPerDay: 500,
    });
    assert.equal(renamed.name, "desktop");
    assert.equal(renamed.quotaPerDay, 500);
    assert.equal(renamed.ratePerMinute, null);
    const badPatch = await admin.call("PATCH", `/keys/${created.id}`, { ratePerMinute: 0 });
    assert.equal(badPatch.status, 400);
    assert.equal((await badPatch.json()).error.param, "ratePerMinute");

    const revoked = await admin.json<KeyJson>("DELETE", `/keys/${created.id}`);
    assert.ok(revoked.revokedAt! > 0);
    await assert.rejects(
      stack.openai(created.key).images.generate({ prompt: "after revocation" }),
      (error: APIError) => error.status === 401 && error.code === "invalid_api_key",
    );
    await assert.rejects(
      stack.openai("sk-" + "x".repeat(43)).images.generate({ prompt: "a guess" }),
      (error: APIError) => error.status === 401 && error.code === "invalid_api_key",
    );
    const logs = stack.logs.join("\n");
    assert.ok(!logs.includes(created.key));
    assert.ok(!logs.includes(GOOD_SESSION));
    const listed = JSON.stringify(await listKeys(admin));
    assert.ok(!listed.includes(created.key));
  } finally {
    await stack.close();
  }
});

Deno.test("a key over its daily credit quota gets 429 insufficient_quota", async () => {
  const stack = await startStack({ env: ENV, overrides: { creditRefreshMs: 0 } });
  try {
    await stack.server.scheduler.idle();
    const admin = await loginAdmin(stack);
    // A 1k task of four images may cost up to 2 credits, of one image 1 (the fake charges 1).
    const created = await createKey(admin, { name: "metered", quotaPerDay: 2 });
    const client = stack.openai(created.key);
    await client.images.generate({ prompt: "the first one", size: "1024x1024", n: 1 });
    await stack.server.deps.credits.idle();
    await assert.rejects(
      client.images.generate({ prompt: "the second one", size: "1024x1024", n: 4 }),
      (error: APIError) => {
        assert.equal(error.status, 429);
        assert.equal(error.code, "insufficient_quota");
        assert.equal((error.error as { type?: string }).type, "insufficient_quota");
        assert.match(error.message, /may cost up to 2 credits and 1 of its daily quota of 2/);
        return true;
      },
    );
    assert.equal(stack.fake.records().length, 1);
    // Raising the quota lets the key through again.
    await admin.json("PATCH", `/keys/${created.id}`, { quotaPerDay: null });
    await client.images.generate({ prompt: "the third one" });
  } finally {
    await stack.close();
  }
});

Deno.test("a key over its rate limit gets 429 rate_limit_exceeded with Retry-After", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const created = await createKey(admin, { name: "slow", ratePerMinute: 2 });
    const client = stack.openai(created.key);
    await client.images.generate({ prompt: "one" });
    await client.images.generate({ prompt: "two" });
    await assert.rejects(
      client.images.generate({ prompt: "three" }),
      (error: APIError) => {
        assert.equal(error.status, 429);
        assert.equal(error.code, "rate_limit_exceeded");
        const retryAfter = Number(error.headers?.get("retry-after"));
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        assert.match(error.message, /2 requests per minute/);
        return true;
      },
    );
    assert.equal(stack.fake.records().length, 2);
    // Another key is not affected.
    const other = await createKey(admin, { name: "other" });
    await stack.openai(other.key).images.generate({ prompt: "four" });
  } finally {
    await stack.close();
  }
});

Deno.test("ALLOW_SESSIONID_AUTH=false refuses sessionids and accepts issued keys", async () => {
  const stack = await startStack({ env: { ...ENV, ALLOW_SESSIONID_AUTH: "false" } });
  try {
    await assert.rejects(
      stack.openai(GOOD_SESSION).images.generate({ prompt: "x" }),
      (error: APIError) => {
        assert.equal(error.status, 401);
        assert.equal(error.code, "invalid_api_key");
        assert.match(error.message, /only API keys/);
        assert.ok(!error.message.includes(GOOD_SESSION));
        return true;
      },
    );
    const points = await fetch(`${stack.url}/token/points`, {
      method: "POST",
      headers: { Authorization: `Bearer ${GOOD_SESSION}` },
    });
    assert.equal(points.status, 401);
    await points.body?.cancel();
    assert.equal(stack.fake.records().length, 0);
    const admin = await loginAdmin(stack);
    const created = await createKey(admin, { name: "only way in" });
    const result = await stack.openai(created.key).images.generate({ prompt: "with a key" });
    assert.equal(result.data?.length, 1);
    const tokenRoute = await fetch(`${stack.url}/token/points`, {
      method: "POST",
      headers: { Authorization: `Bearer ${created.key}` },
    });
    assert.equal(tokenRoute.status, 403);
    assert.equal((await tokenRoute.json()).error.code, "sessionid_required");
  } finally {
    await stack.close();
  }
});

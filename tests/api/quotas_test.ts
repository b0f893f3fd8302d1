/**
 * Quotas charge generations, not polls: each creation reserves what it may
 * cost before anything is submitted (so parallel, back-to-back and large
 * requests cannot overshoot), the reservation settles to the real spend, and
 * reads — status, results, lists — are never refused for quota and have a
 * rate bound of their own. A never-seen sessionid's first generation is
 * charged like the others.
 * @module
 */
import assert from "node:assert/strict";
import type OpenAI from "openai";
import { type APIError } from "openai";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import type { Db } from "../../src/store/db.ts";
import { recentRequests } from "../../src/store/requests.ts";
import { ADMIN_ENV, type AdminClient, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { waitFor } from "../helpers/wait.ts";

const ENV = { ...ADMIN_ENV, DAILY_CLAIM: "false", JIMENG_SESSIONS: GOOD_SESSION };
/** A 1k image task of four images: the fake charges 1 credit, the estimate reserves 2. */
const SMALL = { model: "jimeng-image-4.5", size: "1024x1024" as const, n: 4 };

type CreatedKey = KeyJson & { key: string };

function createKey(admin: AdminClient, body: Record<string, unknown>): Promise<CreatedKey> {
  return admin.json<CreatedKey>("POST", "/keys", { name: "metered", ...body }, 201);
}

/** Credits the fake took from the one stored account. */
function spent(stack: Stack, before = 100): number {
  return before - stack.fake.session(GOOD_SESSION).credits;
}

/** Waits until every row of a key has its real spend. */
async function settled(stack: Stack, keyId: number): Promise<void> {
  const pending = (db: Db) =>
    (db.prepare(
      "SELECT count(*) AS n FROM requests WHERE api_key_id = ? AND credits_spent IS NULL",
    ).get(keyId) as { n: number }).n;
  await waitFor(() => pending(stack.server.db) === 0, "the key's credits to settle");
}

async function keyRow(admin: AdminClient, id: number): Promise<KeyJson> {
  return (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data.find((k) => k.id === id)!;
}

function isQuotaRefusal(reason: unknown): boolean {
  const error = reason as APIError;
  return error.status === 429 && error.code === "insufficient_quota";
}

Deno.test("12 parallel image creates cannot overshoot a 10-credit daily quota", async () => {
  const stack = await startStack({ env: ENV, overrides: { creditRefreshMs: 0 } });
  try {
    await stack.server.scheduler.idle();
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, { quotaPerDay: 10 });
    const client = stack.openai(key.key);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => client.images.generate({ ...SMALL, prompt: `p${i}` })),
    );
    const passed = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.filter((r) => r.status === "rejected");
    assert.ok(refused.every((r) => isQuotaRefusal(r.reason)), JSON.stringify(refused));
    // 2 credits reserved each: at least 5 fit, and never all 12.
    assert.ok(passed >= 5 && refused.length >= 2, `${passed} passed`);
    assert.equal(stack.fake.records().length, passed, "a refused request never reached Jimeng");
    await settled(stack, key.id);
    const used = (await keyRow(admin, key.id)).usedToday;
    assert.equal(used, spent(stack), "the reservations settled to the real spend");
    assert.ok(used <= 10, `used ${used} of 10`);
  } finally {
    await stack.close();
  }
});

Deno.test("back-to-back creates under a 3-credit quota stop before it is exceeded", async () => {
  const stack = await startStack({ env: ENV, overrides: { creditRefreshMs: 0 } });
  try {
    await stack.server.scheduler.idle();
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, { quotaPerDay: 3 });
    const client = stack.openai(key.key);
    let passed = 0;
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      try {
        await client.images.generate({ ...SMALL, prompt: `one after another ${i}` });
        passed++;
      } catch (error) {
        assert.ok(isQuotaRefusal(error), String(error));
        refused++;
      }
    }
    assert.ok(passed >= 1 && refused >= 7, `${passed} passed, ${refused} refused`);
    await settled(stack, key.id);
    assert.ok(spent(stack) <= 3, `spent ${spent(stack)}`);
    assert.equal((await keyRow(admin, key.id)).usedToday, spent(stack));
    // Once the first spends are known, what is left is offered again.
    const row = recentRequests(stack.server.db, 20).find((r) => r.status === "ok")!;
    assert.equal(row.creditsReserved, 2);
    assert.equal(row.creditsSpent, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("one large request over the quota is refused before anything is submitted", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, { quotaPerDay: 1 });
    await assert.rejects(
      stack.openai(key.key).images.generate({
        model: "jimeng-image-4.5",
        prompt: "ten at 4k",
        n: 10,
        size: "4096x4096" as "1024x1024",
      }),
      (error: APIError) => {
        assert.equal(error.status, 429);
        assert.equal(error.code, "insufficient_quota");
        // Tasks of 4 + 4 + 2 images at 4k: 8 + 8 + 4 (the fake would charge 4 + 4 + 2).
        assert.match(error.message, /may cost up to 20 credits and 1 of its daily quota of 1/);
        return true;
      },
    );
    assert.equal(stack.fake.records().length, 0);
    assert.equal(stack.fake.stats.calls["/mweb/v1/aigc_draft/generate"] ?? 0, 0);
    // The refusal is a usage record of the key (it was authenticated and asked to create).
    const [row] = recentRequests(stack.server.db, 1);
    assert.equal(row.errorCode, "insufficient_quota");
    assert.equal(row.creditsReserved, null);
    assert.equal(row.apiKeyId, key.id);
  } finally {
    await stack.close();
  }
});

async function videoDone(client: OpenAI, id: string): Promise<OpenAI.Videos.Video> {
  let video = await client.videos.retrieve(id);
  await waitFor(async () => {
    video = await client.videos.retrieve(id);
    return video.status === "completed" || video.status === "failed";
  }, `video ${id}`);
  return video;
}

Deno.test("20 parallel 10 s videos stay within a 50-credit quota; the paid ones can always be read", async () => {
  const stack = await startStack({
    env: ENV,
    fake: { videoLatencyMs: 200 },
    overrides: { creditRefreshMs: 0 },
  });
  try {
    await stack.server.scheduler.idle();
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, { quotaPerDay: 50 });
    const client = stack.openai(key.key);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        client.videos.create({
          model: "jimeng-video-3.0",
          prompt: `wave ${i}`,
          seconds: "10" as OpenAI.Videos.VideoSeconds,
        })),
    );
    const videos = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const refused = results.filter((r) => r.status === "rejected");
    assert.ok(refused.every((r) => isQuotaRefusal(r.reason)));
    // A 10 s video reserves 20 credits (and costs 20 at the fake): two fit in 50.
    assert.equal(videos.length, 2);
    for (const video of videos) {
      assert.equal((await videoDone(client, video.id)).status, "completed");
    }
    await settled(stack, key.id);
    assert.equal(spent(stack), 40);
    assert.equal((await keyRow(admin, key.id)).usedToday, 40);
    await assert.rejects(
      client.videos.create({ prompt: "one more", seconds: "10" as OpenAI.Videos.VideoSeconds }),
      isQuotaRefusal,
    );

    // Over its quota, the key still reads what it paid for.
    const listed = await client.videos.list();
    assert.equal(listed.data.length, 2);
    for (const video of videos) {
      assert.equal((await client.videos.retrieve(video.id)).status, "completed");
      const content = await client.videos.downloadContent(video.id);
      assert.ok((await content.arrayBuffer()).byteLength > 0);
    }
    // Reads are not usage records: only the 20 creates and the refused 21st are.
    const rows = recentRequests(stack.server.db, 100).filter((r) => r.apiKeyId === key.id);
    assert.equal(rows.length, 21);
    assert.ok(rows.every((r) => r.endpoint === "/v1/videos"));
  } finally {
    await stack.close();
  }
});

Deno.test("a rate limit counts creations; polls and downloads have their own, higher bound", async () => {
  const stack = await startStack({ env: ENV, fake: { videoLatencyMs: 100 } });
  try {
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, { ratePerMinute: 2 });
    const client = stack.openai(key.key);
    const first = await client.videos.create({ prompt: "polled a lot" });
    // The README's polling of three videos every 5 s is 36 reads a minute; far more pass.
    for (let i = 0; i < 60; i++) await client.videos.retrieve(first.id);
    for (let i = 0; i < 10; i++) await client.videos.list();
    await videoDone(client, first.id);
    await client.videos.create({ prompt: "the second creation" });
    await assert.rejects(
      client.images.generate({ ...SMALL, prompt: "the third creation" }),
      (error: APIError) => {
        assert.equal(error.status, 429);
        assert.equal(error.code, "rate_limit_exceeded");
        assert.match(error.message, /2 requests per minute/);
        return true;
      },
    );
    // Refused by the rate limit: counted in /metrics, not a usage record.
    const rows = recentRequests(stack.server.db, 100).filter((r) => r.apiKeyId === key.id);
    assert.equal(rows.length, 2);
  } finally {
    await stack.close();
  }
});

Deno.test("a never-seen sessionid's first generation is charged like the others", async () => {
  const fresh = "1a2b3c4d5e6f708192a3b4c5d6e7f809";
  const stack = await startStack({ overrides: { creditRefreshMs: 0 } });
  try {
    stack.fake.addSession(fresh, { credits: 999 });
    const client = stack.openai(fresh);
    await client.images.generate({ model: "jimeng-image-4.5", prompt: "my first one" });
    await waitFor(
      () => recentRequests(stack.server.db, 1)[0]?.creditsSpent !== null,
      "the first generation's credits",
    );
    const [first] = recentRequests(stack.server.db, 1);
    const left = stack.fake.session(fresh).credits;
    assert.ok(left < 999);
    assert.equal(first.creditsSpent, 999 - left);
    assert.equal(first.creditsRemaining, left);
    await client.images.generate({ model: "jimeng-image-4.5", prompt: "my second one" });
    await waitFor(
      () => recentRequests(stack.server.db, 1)[0]?.creditsSpent !== null,
      "the second generation's credits",
    );
    const [second] = recentRequests(stack.server.db, 1);
    assert.equal(second.creditsSpent, first.creditsSpent);
  } finally {
    await stack.close();
  }
});

/**
 * Small hardening cases found by the outside attack rounds (issue 16.17):
 * private data files, a key's rate window across a rename, Idempotency-Key
 * reuse with another body, Dreamina account checks.
 * @module
 */
import assert from "node:assert/strict";
import { type APIError, toFile } from "openai";
import type OpenAI from "openai";
import { encodePng } from "../fake_upstream/media.ts";
import { KEY_FILE } from "../../src/accounts/secrets.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test({
  name: "the data files are 0600 and their directories 0700; wider ones are narrowed at start",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "jimeng-modes-" });
    const dataDir = `${root}/data`;
    try {
      const env = { DATA_DIR: dataDir, LOG_LEVEL: "info" };
      const first = await startStack({ env });
      try {
        await first.openai().images.generate({ prompt: "a private fox" });
        await first.server.deps.media.idle();
      } finally {
        await first.close();
      }
      const media = [...Deno.readDirSync(`${dataDir}/media`)].map((e) =>
        `${dataDir}/media/${e.name}`
      );
      assert.equal(media.length, 1, "the image was cached");
      const files = [`${dataDir}/jimeng.db`, `${dataDir}/${KEY_FILE}`, ...media];
      const second = await startStack({ env });
      try {
        // While it runs, SQLite's -wal and -shm exist: they take the database's mode.
        for (const path of [`${dataDir}/jimeng.db-wal`, `${dataDir}/jimeng.db-shm`, ...files]) {
          assert.equal((await modeOf(path)).toString(8), "600", path);
        }
        for (const path of [dataDir, `${dataDir}/media`]) {
          assert.equal((await modeOf(path)).toString(8), "700", path);
        }
      } finally {
        await second.close();
      }

      // An older version left them open to everyone: the next start narrows them.
      for (const path of files) await Deno.chmod(path, 0o644);
      for (const path of [dataDir, `${dataDir}/media`]) await Deno.chmod(path, 0o755);
      const third = await startStack({ env });
      try {
        for (const path of [`${dataDir}/jimeng.db`, `${dataDir}/${KEY_FILE}`]) {
          assert.equal((await modeOf(path)).toString(8), "600", path);
        }
        for (const path of [dataDir, `${dataDir}/media`]) {
          assert.equal((await modeOf(path)).toString(8), "700", path);
        }
        assert.ok(third.logs.some((l) => l.includes("jimeng.db was open to other users")));
      } finally {
        await third.close();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("renaming a key (or changing its limits) keeps its rate window", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, JIMENG_SESSIONS: GOOD_SESSION, DAILY_CLAIM: "false", LOG_LEVEL: "warn" },
  });
  try {
    const admin = await loginAdmin(stack);
    const created = await admin.json<{ id: number; key: string }>("POST", "/keys", {
      name: "two a minute",
      ratePerMinute: 2,
    }, 201);
    const client = stack.openai(created.key);
    for (let i = 0; i < 2; i++) await client.images.generate({ prompt: `fox ${i}` });
    for (const patch of [{ name: "renamed" }, { quotaPerDay: 1000 }, { ratePerMinute: 2 }]) {
      await admin.json("PATCH", `/keys/${created.id}`, patch);
      await assert.rejects(
        client.images.generate({ prompt: "one more" }),
        (error: APIError) => error.status === 429 && error.code === "rate_limit_exceeded",
        JSON.stringify(patch),
      );
    }
  } finally {
    await stack.close();
  }
});

Deno.test("an Idempotency-Key reused with another body is a 409; the same body gets the same job", async () => {
  const stack = await startStack({ fake: { videoLatencyMs: 60_000 }, env: { LOG_LEVEL: "warn" } });
  try {
    const client = stack.openai();
    const body = {
      model: "jimeng-video-3.0",
      prompt: "a lighthouse",
      seconds: "5" as OpenAI.Videos.VideoSeconds,
    };
    const first = await client.videos.create(body, { headers: { "Idempotency-Key": "job-1" } });
    const again = await client.videos.create({ ...body }, {
      headers: { "Idempotency-Key": "job-1" },
    });
    assert.equal(again.id, first.id);
    // The same fields in another order and spacing are the same request.
    const raw = await fetch(`${stack.url}/v1/videos`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${GOOD_SESSION}`,
        "content-type": "application/json",
        "idempotency-key": "job-1",
      },
      body: '{ "seconds": "5",\n  "prompt": "a lighthouse", "model": "jimeng-video-3.0" }',
    });
    assert.equal((await raw.json()).id, first.id);
    for (
      const other of [{ prompt: "a windmill" }, { seconds: "10" as OpenAI.Videos.VideoSeconds }]
    ) {
      await assert.rejects(
        client.videos.create({ ...body, ...other }, { headers: { "Idempotency-Key": "job-1" } }),
        (error: APIError) => {
          assert.equal(error.status, 409);
          assert.equal(error.code, "idempotency_key_reused");
          return true;
        },
      );
    }
    // Multipart (the SDK with a file): another boundary, same file → same job; another file → 409.
    const red = encodePng({ width: 64, height: 48, color: [200, 40, 40] });
    const blue = encodePng({ width: 64, height: 48, color: [40, 40, 200] });
    const withFile = async (png: Uint8Array) =>
      client.videos.create(
        { ...body, prompt: "from a frame", input_reference: await toFile(png, "frame.png") },
        { headers: { "Idempotency-Key": "job-2" } },
      );
    const framed = await withFile(red);
    assert.equal((await withFile(red)).id, framed.id);
    await assert.rejects(withFile(blue), (error: APIError) => error.status === 409);
    // Racing retries: one job; racing different bodies: one job, the others 409.
    const racing = await Promise.allSettled(
      Array.from(
        { length: 6 },
        (_, i) =>
          client.videos.create({ ...body, prompt: i % 2 ? "race b" : "race a" }, {
            headers: { "Idempotency-Key": "job-3" },
          }),
      ),
    );
    const ids = new Set(racing.flatMap((r) => (r.status === "fulfilled" ? [r.value.id] : [])));
    assert.equal(ids.size, 1);
    const refused = racing.flatMap((r) => (r.status === "rejected" ? [r.reason.status] : []));
    assert.deepEqual(refused, [409, 409, 409]);
    assert.equal(stack.server.deps.jobs.list({ limit: 100, order: "desc" }).jobs.length, 3);
  } finally {
    await stack.close();
  }
});

Deno.test("Dreamina accounts are checked with a call Dreamina has: healthy, or expired, never a 404", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, DAILY_CLAIM: "false", ACCOUNT_CHECK_INTERVAL_MIN: "0", LOG_LEVEL: "warn" },
  });
  try {
    const us = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
    const hk = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";
    const gone = "f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2";
    stack.fake.addSession(us, { region: "us", credits: 70 });
    stack.fake.addSession(hk, { region: "hk", credits: 30 });
    stack.fake.addSession(gone, { region: "sg", expired: true });
    const admin = await loginAdmin(stack);
    const added = await admin.json<{ added: { id: number; label: string }[] }>(
      "POST",
      "/accounts",
      { sessionids: [`us-${us}`, `hk-${hk}`, `sg-${gone}`, GOOD_SESSION] },
      201,
    );
    // The background check of new accounts has run its course before counting calls.
    await stack.server.scheduler.idle();
    stack.fake.resetStats();
    const checked = [];
    for (const account of added.added) {
      checked.push(
        await admin.json<{ health: string; lastCheckError: string | null; credits: unknown }>(
          "POST",
          `/accounts/${account.id}/check`,
        ),
      );
    }
    assert.deepEqual(
      checked.map((a) => [a.health, a.lastCheckError]),
      [["ok", null], ["ok", null], ["expired", "The session has expired"], ["ok", null]],
    );
    assert.deepEqual(checked.map((a) => (a.credits as { total: number } | null)?.total ?? null), [
      70,
      30,
      null,
      100,
    ]);
    // Passport only for the Jimeng (CN) account; one credit read per Dreamina account.
    assert.equal(stack.fake.stats.calls["/passport/account/info/v2"], 1);
    assert.equal(stack.fake.stats.calls["/commerce/v1/benefits/user_credit"], 4);
    // /token/check follows the same rule.
    for (const [token, live] of [[`us-${us}`, true], [`sg-${gone}`, false]] as const) {
      const answer = await fetch(`${stack.url}/token/check`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      assert.deepEqual(await answer.json(), { live });
    }
  } finally {
    await stack.close();
  }
});

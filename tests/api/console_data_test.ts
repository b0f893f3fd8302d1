import assert from "node:assert/strict";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";
import { waitForValue } from "../helpers/wait.ts";

const ENV = { ...ADMIN_ENV, JIMENG_SESSIONS: GOOD_SESSION, SECRET_KEY: "a".repeat(32) };

Deno.test("stats count the API calls made, per model, per key and over time", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const client = stack.openai();
    await client.images.generate({ model: "jimeng-image-4.0", prompt: "one" });
    await client.images.generate({ model: "jimeng-image-4.0", prompt: "two" });
    await client.images.generate({ model: "jimeng-image-3.0", prompt: "three" });
    await client.images.generate({ model: "jimeng-image-4.0", prompt: "" }).catch(() => {});
    await stack.server.deps.credits.idle();
    type Stats = {
      totals: Record<string, number | null>;
      series: { t: number; requests: number; errors: number; credits: number }[];
      byModel: { model: string; requests: number; errors: number }[];
      byKey: { keyId: number | null; name: string; requests: number }[];
    };
    const day = await admin.json<Stats>("GET", "/stats?range=24h");
    assert.equal(day.totals.requestsToday, 4);
    assert.equal(day.totals.requestsTotal, 4);
    assert.equal(day.totals.errorsInRange, 1);
    assert.equal(day.totals.successRate, 0.75);
    assert.ok((day.totals.creditsRemaining as number) > 0);
    assert.equal(day.series.length, 24);
    assert.equal(day.series.reduce((sum, b) => sum + b.requests, 0), 4);
    assert.ok(day.series.every((b, i) => i === 0 || b.t - day.series[i - 1].t === 3_600_000));
    const models = new Map(day.byModel.map((m) => [m.model, m]));
    assert.equal(models.get("jimeng-image-4.0")?.requests, 2);
    // The invalid request never got as far as a model.
    assert.deepEqual([models.get("(none)")?.requests, models.get("(none)")?.errors], [1, 1]);
    assert.equal(models.get("jimeng-image-3.0")?.requests, 1);
    assert.deepEqual(day.byKey.map((k) => [k.keyId, k.requests]), [[null, 4]]);
    const month = await admin.json<Stats>("GET", "/stats?range=30d");
    assert.equal(month.series.length, 30);
    assert.equal(month.series.at(-1)!.requests, 4);
    const bad = await admin.call("GET", "/stats?range=1y");
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("logs page, filter, search, stream live and clear", async () => {
  const stack = await startStack({ env: { ...ENV, LOG_LEVEL: "info" } });
  try {
    const admin = await loginAdmin(stack);
    await fetch(`${stack.url}/v1/models`).then((r) => r.body?.cancel());
    type Logs = {
      items: { id: number; level: string; message: string }[];
      nextBefore: number | null;
    };
    const page = await admin.json<Logs>("GET", "/logs?limit=5");
    assert.ok(page.items.length > 0);
    assert.ok(page.items.every((e, i) => i === 0 || e.id < page.items[i - 1].id), "newest first");
    const found = await admin.json<Logs>("GET", "/logs?q=GET%20%2Fv1%2Fmodels");
    assert.ok(found.items.some((e) => e.message.includes("GET /v1/models 200")));
    stack.server.deps.log.warn("something odd happened");
    const warnings = await admin.json<Logs>("GET", "/logs?level=warn");
    assert.ok(warnings.items.length >= 1);
    assert.ok(warnings.items.every((e) => e.level === "warn" || e.level === "error"));

    const controller = new AbortController();
    const stream = await fetch(`${stack.url}/api/admin/logs/stream`, {
      headers: { Cookie: admin.cookie },
      signal: controller.signal,
    });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type")!, /text\/event-stream/);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    stack.server.deps.log.info("live line for the tail");
    let text = "";
    while (!text.includes("live line for the tail")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.match(
      text,
      /data: \{"id":\d+,"time":\d+,"level":"info","message":"live line for the tail"/,
    );
    controller.abort();
    await reader.cancel().catch(() => {});

    const cleared = await admin.json<{ deleted: number }>("DELETE", "/logs");
    assert.ok(cleared.deleted > 0);
  } finally {
    await stack.close();
  }
});

Deno.test("media lists generated images, serves them and deletes them", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    await stack.openai().images.generate({
      model: "jimeng-image-4.0",
      prompt: "a gallery cat",
      n: 2,
    });
    await stack.server.deps.media.idle();
    type Media = {
      items: { id: string; kind: string; url: string; prompt: string; cached: boolean }[];
      next: string | null;
      total: number;
      models: string[];
    };
    const first = await admin.json<Media>("GET", "/media?limit=1&kind=image");
    assert.equal(first.total, 2);
    assert.equal(first.items.length, 1);
    assert.ok(first.next);
    assert.deepEqual(first.models, ["jimeng-image-4.0"]);
    const second = await admin.json<Media>("GET", `/media?limit=1&before=${first.next}`);
    assert.equal(second.items.length, 1);
    assert.notEqual(second.items[0].id, first.items[0].id);
    assert.equal(second.next, null);
    const numbered = await admin.json<Media & { page: number }>("GET", "/media?limit=1&page=2");
    assert.equal(numbered.page, 2);
    assert.equal(numbered.items[0].id, second.items[0].id, "page 2 is the second item");
    const item = first.items[0];
    assert.equal(item.prompt, "a gallery cat");
    assert.equal(item.cached, true);
    const file = await fetch(`${stack.url}${item.url}`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get("content-type"), "image/png");
    await file.body?.cancel();
    assert.equal((await admin.json<Media>("GET", "/media?kind=video")).total, 0);
    await admin.json("DELETE", `/media/${item.id}`);
    assert.equal((await admin.json<Media>("GET", "/media")).total, 1);
    const again = await admin.call("DELETE", `/media/${item.id}`);
    assert.equal(again.status, 404);
    await again.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("jobs and configuration for the console; secrets only as (set)", async () => {
  const stack = await startStack({ env: ENV, fake: { videoLatencyMs: 200 } });
  try {
    const admin = await loginAdmin(stack);
    const video = await stack.openai().videos.create({ prompt: "a console job" });
    type Jobs = {
      items: { id: string; kind: string; status: string }[];
      counts: Record<string, number>;
    };
    const jobs = await admin.json<Jobs>("GET", "/jobs");
    assert.equal(jobs.items[0].id, video.id);
    assert.equal(jobs.items[0].kind, "video");
    assert.equal(Object.values(jobs.counts).reduce((a, b) => a + b, 0), 1);
    const none = await admin.json<Jobs>("GET", "/jobs?status=failed");
    assert.equal(none.items.length, 0);
    // A failed job has an end for the console (its duration), though no completed_at.
    const refused = await stack.openai().videos.create({ prompt: "a forbidden-word poster" });
    type Ended = { id: string; status: string; completed_at: number | null; finished_at: number };
    const ended = await waitForValue(async () => {
      const list = await admin.json<{ items: Ended[] }>("GET", "/jobs");
      return list.items.find((job) => job.id === refused.id && job.status === "failed");
    }, "the refused job to fail");
    assert.equal(ended.completed_at, null);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(ended.finished_at >= refused.created_at && ended.finished_at <= now);
    const running = (await admin.json<{ items: Ended[] }>("GET", "/jobs")).items
      .find((job) => job.id === video.id)!;
    assert.equal(running.finished_at === null, running.status !== "completed");
    type Settings = { settings: { env: string; value: string | null; default: string }[] };
    const config = await admin.json<Settings>("GET", "/config");
    const byName = new Map(config.settings.map((s) => [s.env, s]));
    assert.equal(byName.get("SECRET_KEY")?.value, "(set)");
    assert.equal(byName.get("JIMENG_SESSIONS")?.value, "(set)");
    assert.equal(byName.get("ADMIN_PASSWORD")?.value, "(set)");
    assert.equal(byName.get("ADMIN_USER")?.value, "admin");
    assert.equal(byName.get("PORT")?.value, "0");
    assert.equal(byName.get("MAX_BODY_MB")?.value, null);
    assert.ok(!JSON.stringify(config).includes(GOOD_SESSION));
  } finally {
    await stack.close();
  }
});

Deno.test("the playground calls /v1 with the console session and its CSRF token", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const call = (headers: Record<string, string>) =>
      fetch(`${stack.url}/v1/images/generations`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ prompt: "from the playground" }),
      });
    const ok = await call({
      Cookie: admin.cookie,
      "X-CSRF-Token": admin.csrfToken,
      Origin: stack.url,
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { data: unknown[] }).data.length, 1);
    for (
      const headers of [
        { Cookie: admin.cookie, Origin: stack.url },
        { Cookie: admin.cookie, "X-CSRF-Token": admin.csrfToken, Origin: "https://evil.example" },
        { "X-CSRF-Token": admin.csrfToken, Origin: stack.url },
      ] as Record<string, string>[]
    ) {
      const refused = await call(headers);
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
    }
    assert.equal(stack.fake.records().length, 1);
  } finally {
    await stack.close();
  }
});

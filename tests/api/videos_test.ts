import assert from "node:assert/strict";
import { APIError, toFile } from "openai";
import type OpenAI from "openai";
import { encodePng, fakeVideoBytes } from "../fake_upstream/media.ts";
import { fakePngBytes } from "../fake_upstream/server.ts";
import { recentRequests } from "../../src/store/requests.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { waitForValue } from "../helpers/wait.ts";

type Video = OpenAI.Videos.Video & { urls?: string[] };

const VIDEO_3 = "dreamina_ic_generate_video_model_vgfm_3.0";
const PNG = encodePng({ width: 64, height: 48, color: [200, 40, 40] });
const PNG_DATA_URL = `data:image/png;base64,${btoa(String.fromCharCode(...PNG))}`;
const PNG_2 = encodePng({ width: 48, height: 64, color: [40, 40, 200] });
const PNG_2_DATA_URL = `data:image/png;base64,${btoa(String.fromCharCode(...PNG_2))}`;

/** A stack whose poller already knows that videos take about `latencyMs`. */
async function videoStack(latencyMs = 300, options: Parameters<typeof startStack>[0] = {}) {
  const stack = await startStack({
    ...options,
    fake: { videoLatencyMs: latencyMs, ...options.fake },
  });
  const poller = stack.server.deps.client.poller;
  for (const key of [VIDEO_3, `${VIDEO_3}_lite`, `${VIDEO_3}_pro`, `${VIDEO_3}_fast`]) {
    poller.learn(key, latencyMs);
  }
  return stack;
}

/** The video once it ended, however long a busy machine makes that take. */
function pollUntilDone(client: OpenAI, id: string): Promise<Video> {
  return waitForValue(
    async () => {
      const video = await client.videos.retrieve(id) as Video;
      return video.status === "completed" || video.status === "failed" ? video : undefined;
    },
    `video ${id} to finish`,
    60_000,
  );
}

async function post(
  stack: Stack,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: {
      "Authorization": `Bearer ${GOOD_SESSION}`,
      "content-type": "application/json",
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

Deno.test("videos.create → retrieve → downloadContent returns the fake's MP4", async () => {
  const stack = await videoStack();
  try {
    const client = stack.openai();
    const created = await client.videos.create({
      model: "jimeng-video-3.0",
      prompt: "a cat napping in the sun",
      seconds: "5" as OpenAI.Videos.VideoSeconds,
      size: "1280x720",
    }) as Video;
    assert.equal(created.object, "video");
    assert.match(created.id, /^video_[0-9a-f]{32}$/);
    assert.equal(created.status, "queued");
    assert.equal(created.model, "jimeng-video-3.0");
    assert.equal(created.seconds, "5");
    assert.equal(created.size, "1280x720");
    assert.equal(created.progress, 0);
    const done = await pollUntilDone(client, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assert.equal(done.progress, 100);
    assert.ok(done.completed_at! >= done.created_at);
    assert.ok(done.expires_at! > done.completed_at!, "signed CDN URLs expire");
    const [record] = stack.fake.records();
    assert.equal(record.model, VIDEO_3);
    assert.equal(record.durationMs, 5000);
    assert.equal(record.aspectRatio, "16:9");
    assert.equal(record.videoResolution, "720p");
    const content = await client.videos.downloadContent(created.id);
    assert.equal(content.headers.get("content-type"), "video/mp4");
    const bytes = new Uint8Array(await content.arrayBuffer());
    assert.deepEqual(bytes, fakeVideoBytes(record.historyId, "hq"));
    assert.equal(Object.values(stack.fake.stats.submits).reduce((a, b) => a + b, 0), 1);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("video content honours Range requests", async () => {
  const stack = await videoStack();
  try {
    const client = stack.openai();
    const created = await client.videos.create({ prompt: "waves", model: "jimeng-video-3.0" });
    await pollUntilDone(client, created.id);
    const response = await fetch(`${stack.url}/v1/videos/${created.id}/content`, {
      headers: { Authorization: `Bearer ${GOOD_SESSION}`, Range: "bytes=10-19" },
    });
    assert.equal(response.status, 206);
    const whole = fakeVideoBytes(stack.fake.records()[0].historyId, "hq");
    assert.equal(response.headers.get("content-range"), `bytes 10-19/${whole.length}`);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), whole.subarray(10, 20));
  } finally {
    await stack.close();
  }
});

Deno.test("a first frame uploaded as a file and first+last frames as URLs reach the upstream", async () => {
  const stack = await videoStack();
  try {
    const client = stack.openai();
    const one = await client.videos.create({
      model: "jimeng-video-3.0",
      prompt: "the cat wakes up",
      input_reference: await toFile(PNG, "first.png", { type: "image/png" }),
    });
    const two = await post(stack, "/v1/videos", {
      model: "jimeng-video-3.0",
      prompt: "sunrise to sunset",
      input_reference: [{ image_url: PNG_DATA_URL }, { image_url: PNG_2_DATA_URL }],
    });
    assert.equal(two.status, 200, JSON.stringify(two.json));
    assert.equal((await pollUntilDone(client, one.id)).status, "completed");
    assert.equal((await pollUntilDone(client, two.json.id)).status, "completed");
    const records = stack.fake.records().sort((a, b) => a.submittedAt - b.submittedAt);
    const byPrompt = new Map(records.map((r) => [r.prompt, r]));
    assert.equal(byPrompt.get("the cat wakes up")!.inputUris.length, 1);
    assert.equal(byPrompt.get("sunrise to sunset")!.inputUris.length, 2);
    assert.equal(stack.fake.stats.uploads, 3);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("durations follow each model's rule; defaults and prompt keywords as the seed", async () => {
  const stack = await videoStack();
  try {
    const bad = async (
      body: Record<string, unknown>,
      param: string,
      allowed: string,
      status = 400,
    ) => {
      const answer = await post(stack, "/v1/videos", { prompt: "x", ...body });
      assert.equal(answer.status, status, JSON.stringify(answer.json));
      assert.equal(answer.json.error.param, param);
      assert.ok(answer.json.error.message.includes(allowed), answer.json.error.message);
    };
    await bad({ model: "jimeng-video-s2.0", seconds: "10" }, "seconds", "must be 5 for");
    await bad({ model: "jimeng-video-2.0-pro", duration: 10 }, "duration", "must be 5 for");
    await bad({ model: "jimeng-video-3.0", seconds: "8" }, "seconds", "5 or 10");
    await bad({ model: "jimeng-video-3.0", seconds: -5 }, "seconds", "5 or 10");
    await bad({ model: "jimeng-video-3.0", seconds: "five" }, "seconds", "number of seconds");
    await bad({ model: "jimeng-video-3.5-pro", seconds: 7 }, "seconds", "5 or 10 or 12");
    await bad({ model: "jimeng-video-3.0", ratio: "5:4" }, "ratio", "16:9");
    await bad({ model: "jimeng-video-3.0", size: "wide" }, "size", "WIDTHxHEIGHT");
    await bad({ model: "jimeng-video-3.0", resolution: "1080p" }, "resolution", "720p");
    await bad({ model: "jimeng-video-nope" }, "model", "does not exist", 404);
    assert.equal(stack.fake.records().length, 0);

    const client = stack.openai();
    const ids = [
      (await post(stack, "/v1/videos", { model: "jimeng-video-3.0", prompt: "default length" }))
        .json.id,
      (await post(stack, "/v1/videos", { model: "jimeng-video-3.0", prompt: "一段5秒的海浪" })).json
        .id,
      (await post(stack, "/v1/videos", { model: "jimeng-video-s2.0", prompt: "short only" })).json
        .id,
      (await post(stack, "/v1/videos", {
        model: "jimeng-video-3.0-fast",
        prompt: "竖屏 a dancer",
        resolution: "1080p",
      })).json.id,
      (await post(stack, "/v1/videos", {
        model: "jimeng-video-3.5-pro",
        prompt: "long",
        seconds: 12,
      })).json.id,
    ];
    for (const id of ids) assert.equal((await pollUntilDone(client, id)).status, "completed");
    const byPrompt = new Map(stack.fake.records().map((r) => [r.prompt, r]));
    assert.equal(byPrompt.get("default length")!.durationMs, 10_000);
    assert.equal(byPrompt.get("一段5秒的海浪")!.durationMs, 5_000);
    assert.equal(byPrompt.get("short only")!.durationMs, 5_000);
    assert.equal(byPrompt.get("竖屏 a dancer")!.aspectRatio, "9:16");
    assert.equal(byPrompt.get("竖屏 a dancer")!.videoResolution, "1080p");
    assert.equal(byPrompt.get("long")!.durationMs, 12_000);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("Seedance ids follow the seed's v1.2.6 mapping; 2.5 takes 4–15 s", async () => {
  // Sent directly (the browser transport off), the plain 2.0 / 2.0 Fast submits meet risk control;
  // tests/api/browser_transport_test.ts sends them through the site's page.
  const stack = await videoStack(300, { env: { JIMENG_BROWSER_TRANSPORT: "off" } });
  try {
    const client = stack.openai();
    const cases: [string, string, number, "completed" | "refused"][] = [
      ["jimeng-video-seedance-2.0", "dreamina_seedance_40_pro", 4, "refused"],
      ["jimeng-video-seedance-2.0-fast", "dreamina_seedance_40", 15, "refused"],
      ["jimeng-video-seedance-2.0-vip", "dreamina_seedance_40_pro_vision", 10, "completed"],
      ["jimeng-video-seedance-2.0-pro", "dreamina_seedance_40_pro_vision", 5, "completed"],
      ["jimeng-video-seedance-2.0-fast-vip", "dreamina_seedance_40_vision", 5, "completed"],
      ["jimeng-video-seedance-2.0-mini", "dreamina_seedance_40_mini", 5, "completed"],
      ["jimeng-video-seedance-2.5", "dreamina_seedance_45_pro", 12, "completed"],
    ];
    for (const [, key] of cases) stack.server.deps.client.poller.learn(key, 300);
    const ids = [];
    for (const [model, , seconds] of cases) {
      const answer = await post(stack, "/v1/videos", { model, prompt: model, seconds });
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
      ids.push(answer.json.id);
    }
    for (const [i, id] of ids.entries()) {
      const video = await pollUntilDone(client, id);
      if (cases[i][3] === "completed") {
        assert.equal(video.status, "completed", cases[i][0]);
        continue;
      }
      assert.equal(video.status, "failed", cases[i][0]);
      assert.equal(video.error?.code, "upstream_risk_control");
      assert.match(video.error!.message, /ret 4013.*JIMENG_BROWSER_TRANSPORT to auto/);
    }
    assert.deepEqual(stack.fake.stats.riskRefusals, { "/mweb/v1/aigc_draft/generate": 2 });
    const byPrompt = new Map(stack.fake.records().map((r) => [r.prompt, r]));
    for (const [model, key, seconds, outcome] of cases) {
      if (outcome === "refused") {
        assert.equal(byPrompt.get(model), undefined, model);
        continue;
      }
      assert.equal(byPrompt.get(model)?.model, key, model);
      assert.equal(byPrompt.get(model)?.durationMs, seconds * 1000, model);
    }
    const tooLong = await post(stack, "/v1/videos", {
      model: "jimeng-video-seedance-2.5",
      prompt: "x",
      seconds: 16,
    });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.json.error.message, /4 to 15/);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("moderation, no credits and an expired session end the job failed with a precise code", async () => {
  const stack = await videoStack();
  stack.fake.addSession("broke-session-000000000000000000", { credits: 0, dailyGift: 0 });
  stack.fake.addSession("expired-session-00000000000000000", { expired: true });
  try {
    const blocked = await stack.openai().videos.create({ prompt: "a forbidden-word scene" });
    const broke = await stack.openai("broke-session-000000000000000000").videos.create({
      prompt: "a rich scene",
    });
    const expired = await stack.openai("expired-session-00000000000000000").videos.create({
      prompt: "an old scene",
    });
    const moderated = await pollUntilDone(stack.openai(), blocked.id);
    assert.equal(moderated.status, "failed");
    assert.equal(moderated.error?.code, "content_policy_violation");
    const poor = await pollUntilDone(stack.openai("broke-session-000000000000000000"), broke.id);
    assert.equal(poor.status, "failed");
    assert.equal(poor.error?.code, "insufficient_quota");
    assert.match(poor.error!.message, /credits/);
    const old = await pollUntilDone(stack.openai("expired-session-00000000000000000"), expired.id);
    assert.equal(old.status, "failed");
    assert.equal(old.error?.code, "session_expired");
    assert.match(old.error!.message, /log in/);
  } finally {
    await stack.close();
  }
});

Deno.test("videos.list paginates with after/limit/order; delete removes; others cannot see", async () => {
  const stack = await videoStack();
  stack.fake.addSession("other-session-0000000000000000000");
  try {
    const client = stack.openai();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await client.videos.create({ prompt: `clip ${i}` })).id);
    }
    const first = await client.videos.list({ limit: 2 });
    assert.deepEqual(first.data.map((v) => v.id), [ids[4], ids[3]]);
    assert.equal(first.has_more, true);
    const seen: string[] = [];
    for await (const video of client.videos.list({ limit: 2 })) seen.push(video.id);
    assert.deepEqual(seen, [...ids].reverse());
    const ascending = await client.videos.list({ limit: 3, order: "asc", after: ids[0] });
    assert.deepEqual(ascending.data.map((v) => v.id), [ids[1], ids[2], ids[3]]);

    const other = stack.openai("other-session-0000000000000000000");
    assert.equal((await other.videos.list()).data.length, 0);
    await assert.rejects(() => other.videos.retrieve(ids[0]), (e) => {
      return e instanceof APIError && e.status === 404;
    });

    for (const id of ids) await pollUntilDone(client, id);
    const deleted = await client.videos.delete(ids[2]);
    assert.deepEqual(deleted, { id: ids[2], object: "video.deleted", deleted: true });
    await assert.rejects(() => client.videos.retrieve(ids[2]), (e) => {
      return e instanceof APIError && e.status === 404 &&
        (e.error as { code?: string })?.code === "video_not_found";
    });
    assert.equal((await client.videos.list({ limit: 100 })).data.length, 4);
  } finally {
    await stack.close();
  }
});

Deno.test("an Idempotency-Key returns the same job and submits once", async () => {
  const stack = await videoStack();
  try {
    const body = { model: "jimeng-video-3.0", prompt: "only once" };
    const a = await post(stack, "/v1/videos", body, { "Idempotency-Key": "abc-123" });
    const b = await post(stack, "/v1/videos", body, { "Idempotency-Key": "abc-123" });
    assert.equal(a.json.id, b.json.id);
    const c = await post(stack, "/v1/videos", body, { "Idempotency-Key": "other" });
    assert.notEqual(c.json.id, a.json.id);
    await pollUntilDone(stack.openai(), a.json.id);
    await pollUntilDone(stack.openai(), c.json.id);
    assert.equal(stack.fake.records().length, 2);
  } finally {
    await stack.close();
  }
});

Deno.test("the seed's POST /v1/videos/generations answers when the video is ready", async () => {
  const stack = await videoStack();
  try {
    const url = await post(stack, "/v1/videos/generations", {
      model: "jimeng-video-3.0",
      prompt: "a paper boat",
      duration: 5,
      ratio: "1:1",
      file_paths: [PNG_DATA_URL],
    });
    assert.equal(url.status, 200, JSON.stringify(url.json));
    assert.equal(typeof url.json.created, "number");
    assert.equal(url.json.data[0].revised_prompt, "a paper boat");
    // The server's own copy, under the address the client used.
    assert.match(url.json.data[0].url, new RegExp(`^${stack.url}/media/[A-Za-z0-9_-]{22}\\.mp4$`));
    const record = stack.fake.records()[0];
    assert.equal(record.aspectRatio, "1:1");
    assert.equal(record.inputUris.length, 1);

    const b64 = await post(stack, "/v1/videos/generations", {
      prompt: "another boat",
      response_format: "b64_json",
    });
    assert.equal(b64.status, 200);
    const bytes = Uint8Array.from(atob(b64.json.data[0].b64_json), (ch) => ch.charCodeAt(0));
    const second = stack.fake.records().find((r) => r.prompt === "another boat")!;
    assert.deepEqual(bytes, fakeVideoBytes(second.historyId, "hq"));

    const failed = await post(stack, "/v1/videos/generations", { prompt: "forbidden-word" });
    assert.equal(failed.status, 400);
    assert.equal(failed.json.error.code, "content_policy_violation");
  } finally {
    await stack.close();
  }
});

Deno.test("an image model through the job API yields images as content", async () => {
  const stack = await videoStack();
  try {
    const client = stack.openai();
    const job = await client.videos.create({
      model: "jimeng-image-4.0",
      prompt: "a lighthouse at night",
      size: "1024x1024" as OpenAI.Videos.VideoSize,
    }) as Video;
    assert.match(job.id, /^image_/);
    const done = await pollUntilDone(client, job.id);
    assert.equal(done.status, "completed");
    assert.equal(done.urls?.length, 1);
    const record = stack.fake.records()[0];
    assert.equal(record.generateType, "generate");
    const content = await client.videos.downloadContent(job.id);
    assert.deepEqual(
      new Uint8Array(await content.arrayBuffer()),
      fakePngBytes(record.historyId, 0),
    );
  } finally {
    await stack.close();
  }
});

Deno.test("chat with a video model streams progress in words, then the link", async () => {
  const stack = await videoStack(1500);
  try {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "jimeng-video-3.0",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{
          role: "user",
          content: [
            { type: "text", text: "生成一个从日出到日落的延时摄影 5秒" },
            { type: "image_url", image_url: { url: PNG_DATA_URL } },
            { type: "image_url", image_url: { url: PNG_2_DATA_URL } },
          ],
        }],
      }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
    const text = await response.text();
    const events = text.split("\n\n").filter((b) => b.startsWith("data: ")).map((b) => b.slice(6));
    assert.equal(events.at(-1), "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
    assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" });
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.ok(usage.usage.total_tokens > 0);
    const withChoices = chunks.slice(0, -1);
    assert.equal(withChoices.at(-1).choices[0].finish_reason, "stop");
    assert.ok(withChoices.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
    // Progress is reasoning (a thinking block in chat clients); the content is the link alone.
    const content = withChoices.map((c) => c.choices[0].delta.content ?? "").join("");
    const reasoning = withChoices.map((c) => c.choices[0].delta.reasoning_content ?? "").join("");
    assert.match(
      content,
      /^!\[video\]\(http:\/\/127\.0\.0\.1:\d+\/media\/\S+\.mp4\)\n\n\[Download/,
    );
    assert.match(reasoning, /^Queued: video job video_\w+ .*\nSubmitted to Jimeng\.\n/);
    assert.ok(reasoning.includes("Generating"), reasoning);
    const last = withChoices.findLastIndex((c) => c.choices[0].delta.reasoning_content);
    const first = withChoices.findIndex((c) => c.choices[0].delta.content);
    assert.ok(last < first, "every progress line comes before the link");
    assert.ok(text.includes(": keep-alive"), "keep-alive comments while waiting");
    const record = stack.fake.records()[0];
    assert.equal(record.inputUris.length, 2);
    assert.equal(record.durationMs, 5000);
  } finally {
    await stack.close();
  }
});

Deno.test("chat with a video model, not streamed, answers with the video link", async () => {
  const stack = await videoStack();
  try {
    const completion = await stack.openai().chat.completions.create({
      model: "jimeng-video-s2.0",
      messages: [{ role: "user", content: "一只小猫在阳光下打盹" }],
    });
    const content = completion.choices[0].message.content!;
    assert.match(content, /^!\[video\]\(http:\/\/127\.0\.0\.1:\d+\/media\/\S+\.mp4\)/);
    assert.equal(completion.choices[0].finish_reason, "stop");
    assert.equal(stack.fake.records()[0].model, `${VIDEO_3.replace("_3.0", "")}_lite`);
  } finally {
    await stack.close();
  }
});

Deno.test("a finished video is kept in the media library and its content is served from there", async () => {
  const stack = await videoStack();
  try {
    const client = stack.openai();
    const created = await client.videos.create({ prompt: "kept forever" });
    await pollUntilDone(client, created.id);
    await stack.server.deps.media.idle();
    const cdnBefore = stack.fake.stats.calls["cdn"] ?? 0;
    const content = await client.videos.downloadContent(created.id);
    const bytes = new Uint8Array(await content.arrayBuffer());
    assert.deepEqual(bytes, fakeVideoBytes(stack.fake.records()[0].historyId, "hq"));
    assert.equal(stack.fake.stats.calls["cdn"] ?? 0, cdnBefore, "served from the local cache");
    const job = stack.server.deps.jobs.get(created.id)!;
    const media = stack.server.deps.media.get(job.result!.mediaIds![0])!;
    assert.equal(media.kind, "video");
    assert.equal(media.prompt, "kept forever");
    assert.equal(media.model, "jimeng-video-3.0");
    // The size asked for (the default), since the record does not tell it.
    assert.equal(created.size, "1280x720");
    assert.deepEqual([media.width, media.height], [1280, 720]);
  } finally {
    await stack.close();
  }
});

Deno.test("a video made with an API key is served by the stored accounts and its credits are recorded", async () => {
  const stack = await videoStack(300, {
    env: { ...ADMIN_ENV, JIMENG_SESSIONS: GOOD_SESSION, SECRET_KEY: "k".repeat(32) },
    overrides: { creditRefreshMs: 1 },
  });
  try {
    const admin = await loginAdmin(stack);
    const { key, id: keyId } = await admin.json<{ key: string; id: number }>(
      "POST",
      "/keys",
      { name: "video client" },
      201,
    );
    const before = stack.fake.session(GOOD_SESSION).credits;
    const client = stack.openai(key);
    const created = await client.videos.create({
      prompt: "billed once",
      seconds: "5" as OpenAI.Videos.VideoSeconds,
    });
    assert.equal((await pollUntilDone(client, created.id)).status, "completed");
    const other = await admin.json<{ key: string }>("POST", "/keys", { name: "other" }, 201);
    await assert.rejects(() => stack.openai(other.key).videos.retrieve(created.id), /404/);
    const spent = before - stack.fake.session(GOOD_SESSION).credits;
    assert.equal(spent, 10, "a 5 s video costs the fake 10 credits");
    // The job's credits complete the request's row once the balance was read again.
    const row = await waitForValue(() => {
      const found = recentRequests(stack.server.db, 20).find((r) => r.endpoint === "/v1/videos");
      return found?.creditsSpent == null ? undefined : found;
    }, "the request's row to get its credits");
    assert.equal(row.apiKeyId, keyId);
    assert.equal(row.creditsSpent, spent, "the job's credits complete the request's row");
    assert.equal(row.creditsRemaining, stack.fake.session(GOOD_SESSION).credits);
  } finally {
    await stack.close();
  }
});

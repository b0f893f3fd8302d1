/**
 * Best-quality video (2026-10 sheet §6): after a video finishes the server
 * asks `get_local_item_list` and keeps the best file the account is entitled
 * to — watermark-free, else high bitrate, else the preview — and serves that
 * one everywhere.
 * @module
 */
import assert from "node:assert/strict";
import type OpenAI from "openai";
import { fakeVideoBytes, type VideoVariant } from "../fake_upstream/media.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack, type StackOptions, startStack } from "../helpers/stack.ts";

type Video = OpenAI.Videos.Video & { urls?: string[] };

const LOCAL_ITEMS = "/mweb/v1/get_local_item_list";

async function videoStack(options: StackOptions = {}): Promise<Stack> {
  return await startStack({
    ...options,
    env: { ...ADMIN_ENV, ...options.env },
    fake: { videoLatencyMs: 200, ...options.fake },
  });
}

/** Creates a video through the SDK and waits for it through the runner. */
async function makeVideo(stack: Stack, token = GOOD_SESSION): Promise<Video> {
  const client = stack.openai(token);
  const created = await client.videos.create({
    model: "jimeng-video-3.0",
    prompt: "waves on a reef",
    seconds: "5" as OpenAI.Videos.VideoSeconds,
  }) as Video;
  await stack.server.deps.jobs.wait(created.id);
  return await client.videos.retrieve(created.id) as Video;
}

async function contentBytes(stack: Stack, id: string, token = GOOD_SESSION) {
  const content = await stack.openai(token).videos.downloadContent(id);
  assert.equal(content.headers.get("content-type"), "video/mp4");
  return new Uint8Array(await content.arrayBuffer());
}

/** Asserts `bytes` are the fake's file of `variant` for the only record. */
function assertVariant(stack: Stack, bytes: Uint8Array, variant: VideoVariant): void {
  const [record] = stack.fake.records();
  const tag = new TextDecoder().decode(bytes.subarray(40, 100)).split("\n")[0];
  assert.equal(tag, `fake-video ${record.historyId} ${variant}`);
  assert.deepEqual(bytes, fakeVideoBytes(record.historyId, variant));
}

/** The variant the console's two pages show for a job. */
async function consoleVariants(stack: Stack, id: string) {
  const admin = await loginAdmin(stack);
  const jobs = await admin.json<{ items: { id: string; variant: string | null }[] }>(
    "GET",
    "/jobs",
  );
  const media = await admin.json<{ items: { kind: string; variant: string | null }[] }>(
    "GET",
    "/media?kind=video",
  );
  return {
    job: jobs.items.find((job) => job.id === id)?.variant,
    media: media.items.map((item) => item.variant),
  };
}

Deno.test("an account without watermark-free videos gets the high-bitrate file", async () => {
  const stack = await videoStack();
  try {
    const done = await makeVideo(stack);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assert.equal(stack.fake.stats.calls[LOCAL_ITEMS], 1);
    assertVariant(stack, await contentBytes(stack, done.id), "hq");
    assert.deepEqual(await consoleVariants(stack, done.id), {
      job: "high_bitrate",
      media: ["high_bitrate"],
    });
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("an entitled account gets the watermark-free file, the largest one listed", async () => {
  const stack = await videoStack();
  try {
    const token = "4444bbbb4444bbbb4444bbbb4444bbbb";
    stack.fake.addSession(token, { watermarkFree: true });
    const done = await makeVideo(stack, token);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assertVariant(stack, await contentBytes(stack, done.id, token), "nowm");
    assert.match(done.urls![0], /\/nowm\.mp4\?/, "the handed-out link is the watermark-free file");
    assert.deepEqual(await consoleVariants(stack, done.id), {
      job: "no_watermark",
      media: ["no_watermark"],
    });
  } finally {
    await stack.close();
  }
});

Deno.test("chat links and cached media serve the best file", async () => {
  const stack = await videoStack({ env: { PUBLIC_BASE_URL: "http://127.0.0.1:1" } });
  try {
    const token = "5555cccc5555cccc5555cccc5555cccc";
    stack.fake.addSession(token, { watermarkFree: true });
    const completion = await stack.openai(token).chat.completions.create({
      model: "jimeng-video-3.0",
      messages: [{ role: "user", content: "a lighthouse in fog 5秒" }],
    });
    const link = /\]\(([^)]+)\)/.exec(completion.choices[0].message.content!)![1];
    const path = new URL(link).pathname;
    assert.match(path, /^\/media\/[A-Za-z0-9_-]{22}\.mp4$/, "a local, cached link");
    const response = await fetch(`${stack.url}${path}`);
    assert.equal(response.status, 200);
    assertVariant(stack, new Uint8Array(await response.arrayBuffer()), "nowm");
  } finally {
    await stack.close();
  }
});

Deno.test("a failing get_local_item_list leaves the preview and a completed job", async () => {
  const stack = await videoStack();
  try {
    stack.fake.knobs.localItemsFail = true;
    const done = await makeVideo(stack);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assert.ok(stack.fake.stats.calls[LOCAL_ITEMS] >= 1);
    assertVariant(stack, await contentBytes(stack, done.id), "preview");
    assert.deepEqual(await consoleVariants(stack, done.id), { job: "preview", media: ["preview"] });
  } finally {
    await stack.close();
  }
});

Deno.test("VIDEO_QUALITY=preview keeps the preview without asking for better files", async () => {
  const stack = await videoStack({ env: { VIDEO_QUALITY: "preview" } });
  try {
    const token = "6666dddd6666dddd6666dddd6666dddd";
    stack.fake.addSession(token, { watermarkFree: true });
    const done = await makeVideo(stack, token);
    assert.equal(done.status, "completed");
    assert.equal(stack.fake.stats.calls[LOCAL_ITEMS] ?? 0, 0);
    assertVariant(stack, await contentBytes(stack, done.id, token), "preview");
  } finally {
    await stack.close();
  }
});

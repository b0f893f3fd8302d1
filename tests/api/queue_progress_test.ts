import assert from "node:assert/strict";
import type OpenAI from "openai";
import { type Stack, startStack } from "../helpers/stack.ts";

/** The video object with this project's extensions. */
type Video = OpenAI.Videos.Video & {
  urls?: string[];
  queue?: { position: number; length: number | null; eta_seconds: number | null };
};

const VIDEO_3 = "dreamina_ic_generate_video_model_vgfm_3.0";
const IMAGE_5 = "high_aes_general_v50";

/** A stack whose fake queues every record for `queueMs`, then runs it `runMs`. */
async function queueingStack(queueMs: number, runMs: number): Promise<Stack> {
  const stack = await startStack({
    fake: { queueMs, videoLatencyMs: runMs, imageLatencyMs: runMs },
  });
  // Learned run times, so the tests wait for the queue, not for a cold search.
  stack.server.deps.client.poller.learn(VIDEO_3, runMs);
  stack.server.deps.client.poller.learn(IMAGE_5, runMs);
  return stack;
}

Deno.test("videos.retrieve shows the job's place in Jimeng's queue while it waits, then not", async () => {
  const stack = await queueingStack(3000, 600);
  try {
    const client = stack.openai();
    const created = await client.videos.create({
      model: "jimeng-video-3.0",
      prompt: "a queue of umbrellas in the rain",
    }) as Video;
    assert.equal(created.queue, undefined, "not submitted yet");
    const queued: Video[] = [];
    const progress: number[] = [];
    let done: Video | undefined;
    for (let i = 0; i < 800 && !done; i++) {
      const video = await client.videos.retrieve(created.id) as Video;
      if (video.queue) queued.push(video);
      if (video.status === "in_progress") progress.push(video.progress);
      if (video.status === "completed" || video.status === "failed") done = video;
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(done?.status, "completed", JSON.stringify(done?.error));
    assert.equal(done.queue, undefined, "no queue once completed");
    assert.equal(done.progress, 100);
    assert.ok(queued.length >= 2, `seen queued ${queued.length} times`);
    for (const video of queued) {
      assert.equal(video.status, "in_progress");
      assert.equal(typeof video.progress, "number");
      assert.equal(video.queue!.length, 10);
      assert.ok(video.queue!.position >= 1 && video.queue!.position <= 10);
      assert.ok(video.queue!.eta_seconds! >= 0 && video.queue!.eta_seconds! <= 3);
    }
    const positions = queued.map((v) => v.queue!.position);
    assert.deepEqual(positions, [...positions].sort((a, b) => b - a), "the position counts down");
    assert.ok(positions[0] > positions.at(-1)!, JSON.stringify(positions));
    // Progress moves with the elapsed share of the expected time, queue included.
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    assert.ok(new Set(progress).size >= 3, JSON.stringify(progress));
    // Listing shows the same extension.
    const listed = await client.videos.list();
    assert.equal((listed.data[0] as Video).queue, undefined);
  } finally {
    await stack.close();
  }
});

/** Streams a chat completion with the SDK and returns its whole content. */
async function streamChat(stack: Stack, model: string, prompt: string): Promise<string> {
  const stream = await stack.openai().chat.completions.create({
    model,
    stream: true,
    messages: [{ role: "user", content: prompt }],
  });
  let content = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta?.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, "stop");
  return content;
}

Deno.test("a streamed chat video says its place in Jimeng's queue, then the link", async () => {
  const stack = await queueingStack(2500, 500);
  try {
    const content = await streamChat(stack, "jimeng-video-3.0", "a lighthouse at night, 5 s");
    const place = content.search(
      /Waiting in Jimeng's queue: position \d+ of 10, about \d s to go\./,
    );
    const left = content.indexOf("Out of the queue; generating…");
    const link = content.indexOf("![video](");
    assert.ok(place > 0 && place < left && left < link, content);
  } finally {
    await stack.close();
  }
});

Deno.test("a streamed chat image says its place in Jimeng's queue, then the images", async () => {
  const stack = await queueingStack(2500, 400);
  try {
    const content = await streamChat(stack, "jimeng-image-5.0-lite", "a watercolor fox");
    const lines = content.split("\n");
    assert.match(lines[0], /^Waiting in Jimeng's queue: position \d+ of 10, about \d s to go\.$/);
    const left = content.indexOf("Out of the queue; generating…");
    const firstImage = content.indexOf("![image_1](http");
    assert.ok(left > 0 && left < firstImage, content);
    assert.equal([...content.matchAll(/!\[image_\d\]\(http/g)].length, 4);
  } finally {
    await stack.close();
  }
});

Deno.test("a streamed chat image without a queue is the images alone, as before", async () => {
  const stack = await startStack({ fake: { imageLatencyMs: 200 } });
  try {
    const content = await streamChat(stack, "jimeng-image-5.0-lite", "a watercolor fox");
    assert.match(content, /^!\[image_1\]\(http/);
    assert.ok(!content.includes("queue"), content);
  } finally {
    await stack.close();
  }
});

Deno.test("the first video of a model moves its progress before it finishes", async () => {
  // Nothing learned: the model's typical time is the guess, far above the 4 s it takes.
  const stack = await startStack({ fake: { videoLatencyMs: 4000 } });
  try {
    const client = stack.openai();
    const created = await client.videos.create({ model: "jimeng-video-3.0", prompt: "a kite" });
    const progress: number[] = [];
    let done: Video | undefined;
    for (let i = 0; i < 800 && !done; i++) {
      const video = await client.videos.retrieve(created.id) as Video;
      if (video.status === "in_progress") progress.push(video.progress);
      if (video.status === "completed" || video.status === "failed") done = video;
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(done?.status, "completed");
    assert.ok(new Set(progress).size >= 3, `progress seen: ${[...new Set(progress)]}`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  } finally {
    await stack.close();
  }
});

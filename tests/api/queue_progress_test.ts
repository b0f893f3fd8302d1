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

/** A streamed delta with the reasoning field chat clients show as a thinking block. */
type Delta = OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta & {
  reasoning_content?: string;
};

/**
 * Streams a chat completion with the SDK: the content (what a client saves as the answer) and
 * the reasoning (the progress lines it shows folded), each concatenated.
 */
async function streamChat(
  stack: Stack,
  model: string,
  prompt: string,
): Promise<{ content: string; reasoning: string }> {
  const stream = await stack.openai().chat.completions.create({
    model,
    stream: true,
    messages: [{ role: "user", content: prompt }],
  });
  let content = "";
  let reasoning = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta as Delta | undefined;
    content += delta?.content ?? "";
    reasoning += delta?.reasoning_content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, "stop");
  return { content, reasoning };
}

Deno.test("a streamed chat video says its place in Jimeng's queue as reasoning; the content is the link alone", async () => {
  const stack = await queueingStack(2500, 500);
  try {
    const { content, reasoning } = await streamChat(
      stack,
      "jimeng-video-3.0",
      "a lighthouse at night, 5 s",
    );
    const [video] = (await stack.openai().videos.list()).data as Video[];
    const url = video.urls![0];
    assert.equal(content, `![video](${url})\n\n[Download the video](${url})`);
    const lines = reasoning.trimEnd().split("\n");
    assert.match(lines[0], new RegExp(`^Queued: video job ${video.id} \\(jimeng-video-3.0, 5 s,`));
    const place = lines.findIndex((line) =>
      /^Waiting in Jimeng's queue: position \d+ of 10, about \d s to go\.$/.test(line)
    );
    const left = lines.indexOf("Out of the queue; generating…");
    assert.ok(place > 0 && place < left, reasoning);
    assert.ok(!reasoning.includes("![video]"), reasoning);
  } finally {
    await stack.close();
  }
});

Deno.test("a streamed chat image says its place in Jimeng's queue as reasoning; the content is the images alone", async () => {
  const stack = await queueingStack(2500, 400);
  try {
    const { content, reasoning } = await streamChat(
      stack,
      "jimeng-image-5.0-lite",
      "a watercolor fox",
    );
    const lines = reasoning.trimEnd().split("\n");
    assert.match(lines[0], /^Waiting in Jimeng's queue: position \d+ of 10, about \d s to go\.$/);
    assert.equal(lines.at(-1), "Out of the queue; generating…");
    const urls = [...content.matchAll(/!\[image_\d\]\((http[^)]+)\)/g)].map((m) => m[1]);
    assert.equal(urls.length, 4);
    assert.equal(content, urls.map((url, i) => `![image_${i + 1}](${url})`).join("\n\n"));
  } finally {
    await stack.close();
  }
});

Deno.test("a streamed chat image without a queue is the images alone, as before", async () => {
  const stack = await startStack({ fake: { imageLatencyMs: 200 } });
  try {
    const { content, reasoning } = await streamChat(
      stack,
      "jimeng-image-5.0-lite",
      "a watercolor fox",
    );
    assert.match(content, /^!\[image_1\]\(http/);
    assert.equal(reasoning, "");
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

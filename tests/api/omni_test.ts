/**
 * Omni-reference videos end to end against the fake upstream: the official
 * SDK (`videos.create` with extra body fields, JSON and multipart), the seed
 * family's `POST /v1/videos/generations`, and chat with audio and video parts.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { toFile } from "openai";
import type OpenAI from "openai";
import {
  encodeM4a,
  encodeMp3,
  encodeMp4,
  encodeWav,
  encodeWebm,
} from "../fake_upstream/av_media.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { startCanary } from "../helpers/canary.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { waitForValue } from "../helpers/wait.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";

type Video = OpenAI.Videos.Video & {
  urls?: string[];
  references?: { placeholder: string; kind_placeholder: string; kind: string; seconds?: number }[];
};

const SEEDANCE = "dreamina_seedance_40_pro";
const PNG = encodePng({ width: 64, height: 48, color: [200, 40, 40] });
const MP4 = encodeMp4({ durationMs: 5000, width: 640, height: 360 });
const WAV = encodeWav({ durationMs: 3000 });

const dataUrl = (type: string, bytes: Uint8Array) =>
  `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;

async function omniStack(options: Parameters<typeof startStack>[0] = {}) {
  // Seedance 2.0 takes submits only from Jimeng's page: the browser transport sends them.
  const stack = await startStack({
    ...options,
    env: { CHROMIUM_PATH, ...options.env },
    fake: { videoLatencyMs: 300, ...options.fake },
  });
  for (const key of [SEEDANCE, "dreamina_seedance_40", "dreamina_seedance_45_pro"]) {
    stack.server.deps.client.poller.learn(key, 300);
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

async function post(stack: Stack, path: string, body: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

async function referenceDirs(stack: Stack): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${stack.server.deps.config.dataDir}/references`)) {
      names.push(entry.name);
    }
  } catch {
    // Not created yet.
  }
  return names;
}

Deno.test("the SDK's videos.create with `references` makes an omni video from an image, a video and audio", async () => {
  const stack = await omniStack();
  try {
    const client = stack.openai();
    const body = {
      model: "jimeng-video-seedance-2.0",
      prompt: "@image1 dances like @video1 to @audio1",
      seconds: "8",
      references: [dataUrl("image/png", PNG), dataUrl("video/mp4", MP4), dataUrl("audio/wav", WAV)],
    } as OpenAI.Videos.VideoCreateParams;
    const created = await client.videos.create(body) as Video;
    assert.equal(created.status, "queued");
    assert.deepEqual(
      created.references?.map((r) => [r.placeholder, r.kind_placeholder, r.seconds]),
      [["@1", "@image1", undefined], ["@2", "@video1", 5], ["@3", "@audio1", 3]],
    );
    const done = await pollUntilDone(client, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assert.equal(done.seconds, "8");
    const [record] = stack.fake.records();
    assert.equal(record.model, SEEDANCE);
    assert.equal(record.prompt, "@1 dances like @2 to @3");
    assert.equal(record.durationMs, 8000);
    assert.deepEqual(record.materials?.map((m) => [m.kind, m.duration]), [
      ["image", undefined],
      ["video", 5],
      ["audio", 3],
    ]);
    assert.equal(stack.fake.stats.uploads, 3);
    assert.equal(stack.fake.stats.vodUploads, 2);
    assert.deepEqual(stack.fake.stats.violations, []);
    assert.deepEqual(await referenceDirs(stack), [], "files dropped once the job ended");
    const content = await client.videos.downloadContent(created.id);
    assert.equal(content.headers.get("content-type"), "video/mp4");
    await content.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("multipart: input_reference is the first reference, repeated `references` files follow", async () => {
  const stack = await omniStack();
  try {
    const client = stack.openai();
    const created = await client.videos.create({
      model: "jimeng-video-seedance-2.0-fast",
      prompt: "the cat from @1 sings @3 in the room of @2",
      input_reference: await toFile(PNG, "cat.png", { type: "image/png" }),
      references: [
        await toFile(encodePng({ width: 20, height: 20, color: [0, 90, 0] }), "room.png"),
        // Named like an image: the bytes say MP3, and the bytes decide.
        await toFile(encodeMp3({ durationMs: 2000 }), "song.png"),
      ],
    } as OpenAI.Videos.VideoCreateParams) as Video;
    assert.deepEqual(created.references?.map((r) => r.kind), ["image", "image", "audio"]);
    const done = await pollUntilDone(client, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    const [record] = stack.fake.records();
    assert.equal(record.prompt, "the cat from @1 sings @3 in the room of @2");
    assert.equal(record.model, "dreamina_seedance_40");
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("without placeholders the materials come first; URLs pass the SSRF guard; LOCAL_FILES_DIR files work", async () => {
  const files = await Deno.makeTempDir({ prefix: "jimeng-omni-local-" });
  await Deno.writeFile(`${files}/clip.webm`, encodeWebm({ durationMs: 4000, withDuration: false }));
  const media = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(encodeM4a(6000) as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": "application/octet-stream" },
      }),
  );
  const host = `127.0.0.1:${media.addr.port}`;
  const stack = await omniStack({ env: { LOCAL_FILES_DIR: files, FETCH_ALLOWLIST: host } });
  try {
    const created = await post(stack, "/v1/videos", {
      model: "jimeng-video-seedance-2.5",
      prompt: "a music video",
      references: ["clip.webm", `http://${host}/song.m4a`],
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const done = await pollUntilDone(stack.openai(), created.json.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    const [record] = stack.fake.records();
    assert.equal(record.prompt, "@1@2a music video");
    assert.deepEqual(record.materials?.map((m) => [m.kind, m.duration]), [["video", 4], [
      "audio",
      6,
    ]]);
    assert.equal(record.model, "dreamina_seedance_45_pro");
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
    await media.shutdown();
    await Deno.remove(files, { recursive: true });
  }
});

Deno.test("the seed route takes functionMode omni_reference with image_file_N, video_file_N and audio_file_N", async () => {
  const stack = await omniStack();
  try {
    const form = new FormData();
    form.set("model", "jimeng-video-seedance-2.0");
    form.set("prompt", "@image_file_1 walks into @video_file_1 while @audio_file_1 plays");
    form.set("functionMode", "omni_reference");
    form.set("duration", "5");
    form.set("image_file_1", new File([PNG as Uint8Array<ArrayBuffer>], "a.png"));
    form.set("video_file_1", new File([MP4 as Uint8Array<ArrayBuffer>], "b.mp4"));
    form.set("audio_file_1", new File([WAV as Uint8Array<ArrayBuffer>], "c.wav"));
    const response = await fetch(`${stack.url}/v1/videos/generations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${GOOD_SESSION}` },
      body: form,
    });
    const json = await response.json();
    assert.equal(response.status, 200, JSON.stringify(json));
    assert.match(json.data[0].url, /^http/);
    const [record] = stack.fake.records();
    assert.equal(record.prompt, "@1 walks into @2 while @3 plays");
    assert.deepEqual(record.materials?.map((m) => m.kind), ["image", "video", "audio"]);

    // JSON with file_paths, as curl would send it.
    const again = await post(stack, "/v1/videos/generations", {
      model: "jimeng-video-seedance-2.0",
      prompt: "@图1 看着 @视频1",
      functionMode: "omni_reference",
      file_paths: [dataUrl("image/png", PNG), dataUrl("video/mp4", MP4)],
    });
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(stack.fake.records().at(-1)?.prompt, "@1 看着 @2");
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("chat: input_audio and video_url parts make an omni video; two images alone stay frames", async () => {
  const stack = await omniStack();
  try {
    const client = stack.openai();
    const completion = await client.chat.completions.create({
      model: "jimeng-video-seedance-2.0",
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "@image1 dances to @audio1, moving like @video1" },
          { type: "image_url", image_url: { url: dataUrl("image/png", PNG) } },
          {
            type: "input_audio",
            input_audio: { data: Buffer.from(WAV).toString("base64"), format: "wav" },
          },
          // Several clients send videos this way; the SDK's types do not know it.
          { type: "video_url", video_url: { url: dataUrl("video/mp4", MP4) } } as never,
        ],
      }],
    });
    assert.match(completion.choices[0].message.content ?? "", /!\[video\]\(http/);
    const [omni] = stack.fake.records();
    assert.equal(omni.prompt, "@1 dances to @2, moving like @3");
    assert.deepEqual(omni.materials?.map((m) => m.kind), ["image", "audio", "video"]);

    await client.chat.completions.create({
      model: "jimeng-video-seedance-2.0",
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "sunrise to sunset" },
          { type: "image_url", image_url: { url: dataUrl("image/png", PNG) } },
          { type: "image_url", image_url: { url: dataUrl("image/png", PNG) } },
        ],
      }],
    });
    const frames = stack.fake.records().at(-1)!;
    assert.equal(frames.materials, undefined);
    assert.equal(frames.inputUris.length, 2);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("bad omni inputs get a 400 naming the field, before anything is uploaded", async () => {
  const stack = await omniStack({ env: { MAX_AUDIO_MB: "1", MAX_VIDEO_MB: "2" } });
  try {
    const png = dataUrl("image/png", PNG);
    const mp4 = (ms: number) => dataUrl("video/mp4", encodeMp4({ durationMs: ms }));
    const wav = dataUrl("audio/wav", WAV);
    const bad = async (
      body: Record<string, unknown>,
      param: string,
      code: string,
      text: RegExp,
    ) => {
      const answer = await post(stack, "/v1/videos", {
        model: "jimeng-video-seedance-2.0",
        prompt: "make it move",
        ...body,
      });
      assert.equal(answer.status, 400, JSON.stringify(answer.json));
      assert.equal(answer.json.error.param, param, JSON.stringify(answer.json));
      assert.equal(answer.json.error.code, code, JSON.stringify(answer.json));
      assert.match(answer.json.error.message, text);
    };
    await bad(
      { model: "jimeng-video-3.0", references: [png] },
      "model",
      "model_not_supported",
      /jimeng-video-seedance-2\.0, .*jimeng-video-seedance-2\.5/,
    );
    await bad(
      { model: "jimeng-video-3.0", input_reference: mp4(3000) },
      "model",
      "model_not_supported",
      /an MP4 video reference, from input_reference/,
    );
    await bad(
      { references: Array(10).fill(png) },
      "references[9]",
      "too_many_references",
      /9 image/,
    );
    await bad(
      { references: Array(4).fill(mp4(1000)) },
      "references[3]",
      "too_many_references",
      /3 video/,
    );
    await bad(
      { references: Array(4).fill(wav) },
      "references[3]",
      "too_many_references",
      /3 audio/,
    );
    await bad(
      { references: Array(13).fill(png) },
      "references[12]",
      "too_many_references",
      /12 references/,
    );
    await bad(
      { references: [mp4(9000), png, mp4(7000)] },
      "references[2]",
      "reference_too_long",
      /15 s together.*16\.0 s/,
    );
    await bad({ references: [png], seconds: "20" }, "seconds", "invalid_value", /from 4 to 15/);
    await bad({ references: [png], seconds: "3" }, "seconds", "invalid_value", /from 4 to 15/);
    await bad(
      { references: [png, mp4(2000)], prompt: "@image1 becomes @video2" },
      "prompt",
      "unknown_placeholder",
      /@video2 names video 2, but the request has 1 video/,
    );
    await bad(
      { references: [png], prompt: "@1 and @5" },
      "prompt",
      "unknown_placeholder",
      /@5 names reference 5, but the request has 1 reference/,
    );
    await bad(
      { references: [png], prompt: "@audio1 plays" },
      "prompt",
      "unknown_placeholder",
      /no audio/,
    );
    await bad(
      { references: ["data:text/plain;base64,aGVsbG8gd29ybGQ="] },
      "references[0]",
      "invalid_reference",
      /none of the accepted formats/,
    );
    await bad(
      { references: [dataUrl("video/mp4", PNG)] },
      "references[0]",
      "invalid_reference",
      /declared as video by its data URL type video\/mp4, but its bytes are a PNG image/,
    );
    await bad(
      { references: [dataUrl("video/webm", encodeWebm({ durationMs: 1000, video: false }))] },
      "references[0]",
      "invalid_reference",
      /WebM file without a video track/,
    );
    await bad(
      { references: [dataUrl("audio/wav", encodeWav({ durationMs: 70_000 }))] },
      "references[0]",
      "reference_too_large",
      /MAX_AUDIO_MB/,
    );
    await bad(
      {
        references: [
          dataUrl("video/mp4", encodeMp4({ durationMs: 1000, payloadBytes: 3 * 1048576 })),
        ],
      },
      "references[0]",
      "reference_too_large",
      /MAX_VIDEO_MB/,
    );
    await bad(
      { references: ["/etc/passwd"] },
      "references[0]",
      "invalid_reference",
      /LOCAL_FILES_DIR/,
    );
    await bad({ references: "clip.mp4" }, "references[0]", "invalid_reference", /LOCAL_FILES_DIR/);
    await bad({ references: [{ nope: 1 }] }, "references[0]", "invalid_reference", /must be a URL/);
    await bad({ references: 42 }, "references", "invalid_type", /must be an array/);
    const canary = startCanary();
    try {
      await bad({ references: [canary.url] }, "references[0]", "invalid_reference", /loopback/);
      assert.equal(canary.connections(), 0, "the refused URL was never contacted");
    } finally {
      canary.close();
    }

    const chat = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "jimeng-video-seedance-2.0",
        messages: [{
          role: "user",
          content: [
            { type: "text", text: "sing" },
            {
              type: "input_audio",
              input_audio: { data: Buffer.from(PNG).toString("base64"), format: "mp3" },
            },
          ],
        }],
      }),
    });
    const answer = await chat.json();
    assert.equal(chat.status, 400);
    assert.equal(answer.error.param, "messages[0].content[1]");
    assert.match(
      answer.error.message,
      /declared as audio by an input_audio part, but its bytes are a PNG image/,
    );

    assert.equal(stack.fake.stats.uploads, 0, "nothing was uploaded");
    assert.equal(stack.fake.records().length, 0);
    assert.deepEqual(await referenceDirs(stack), []);
  } finally {
    await stack.close();
  }
});

/**
 * Omni-reference jobs across a real restart on the same DATA_DIR: the
 * materials wait as files under DATA_DIR/references, what was uploaded is
 * not uploaded again, and the job is submitted (and billed) once.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeMp4, encodeWav } from "../fake_upstream/av_media.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake_upstream/server.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";

interface VideoJson {
  id: string;
  status: string;
  error: { code: string } | null;
}

const dataUrl = (type: string, bytes: Uint8Array) =>
  `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;

const BODY = {
  model: "jimeng-video-seedance-2.0",
  prompt: "@image1 dances like @video1 to @audio1",
  seconds: "6",
  references: [
    dataUrl("image/png", encodePng({ width: 32, height: 32, color: [1, 2, 3] })),
    dataUrl("video/mp4", encodeMp4({ durationMs: 4000 })),
    dataUrl("audio/wav", encodeWav({ durationMs: 2000 })),
  ],
};

async function api(server: ServerProcess, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
  });
  return { status: response.status, json: await response.json() };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

async function files(dataDir: string, id: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dataDir}/references/${id}`)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

async function finished(server: ServerProcess, id: string): Promise<VideoJson> {
  return await waitFor("the resumed job to finish", async () => {
    const { json } = await api(server, `/v1/videos/${id}`);
    const video = json as VideoJson;
    return video.status === "completed" || video.status === "failed" ? video : undefined;
  });
}

async function withFakeAndDir(fn: (fake: FakeUpstream, dataDir: string) => Promise<void>) {
  const fake = await startFakeUpstream({ videoLatencyMs: 1500 });
  fake.addSession(GOOD_SESSION, { credits: 100 });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-omni-restart-" });
  try {
    await fn(fake, dataDir);
  } finally {
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("an omni job killed mid-generation resumes from its files and completes with one submit", async () => {
  await withFakeAndDir(async (fake, dataDir) => {
    const env = processEnv(fake.url, dataDir, { CHROMIUM_PATH });
    const first = await spawnServer({ env });
    let id: string;
    try {
      const created = await api(first, "/v1/videos", {
        method: "POST",
        body: JSON.stringify(BODY),
      });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      id = created.json.id;
      await waitFor("the job to run", async () => {
        const { json } = await api(first, `/v1/videos/${id}`);
        return (json as VideoJson).status === "in_progress" ? true : undefined;
      });
    } finally {
      first.kill("SIGKILL");
      await first.exited();
    }
    assert.equal(fake.records().length, 1, "submitted before the kill");
    assert.deepEqual(
      await files(dataDir, id),
      ["0.png", "1.mp4", "2.wav"],
      "materials kept as files",
    );
    const uploads = fake.stats.uploads;
    const credits = fake.session(GOOD_SESSION).credits;

    const second = await spawnServer({ env });
    try {
      await second.waitForLine(/Resuming 1 unfinished job/);
      const done = await finished(second, id);
      assert.equal(done.status, "completed", JSON.stringify(done.error));
      assert.deepEqual(Object.values(fake.stats.submits), [1], "submitted exactly once");
      assert.equal(fake.stats.uploads, uploads, "nothing uploaded again");
      assert.equal(fake.session(GOOD_SESSION).credits, credits, "credits spent once");
      assert.deepEqual(fake.records()[0].materials?.map((m) => m.kind), [
        "image",
        "video",
        "audio",
      ]);
      assert.deepEqual(await files(dataDir, id), [], "files dropped once the job ended");
      assert.deepEqual(fake.stats.violations, []);
    } finally {
      await second.stop();
    }
  });
});

Deno.test("an omni job killed after its uploads, before its submit, reuses the uploads after the restart", async () => {
  await withFakeAndDir(async (fake, dataDir) => {
    const env = processEnv(fake.url, dataDir, { CHROMIUM_PATH });
    // The submit never reaches the upstream's processing: uploads are done, the record is not.
    fake.knobs.faults = { rate: 1, kinds: ["hang"], pathPattern: /aigc_draft\/generate/ };
    const first = await spawnServer({ env });
    let id: string;
    try {
      const created = await api(first, "/v1/videos", {
        method: "POST",
        body: JSON.stringify(BODY),
      });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      id = created.json.id;
      await waitFor(
        "the submit to be sent",
        () => Promise.resolve(fake.stats.calls["/mweb/v1/aigc_draft/generate"] ? true : undefined),
      );
    } finally {
      first.kill("SIGKILL");
      await first.exited();
    }
    fake.knobs.faults = { rate: 0, kinds: [] };
    assert.equal(fake.records().length, 0);
    assert.equal(fake.stats.uploads, 3, "all three materials were uploaded");
    assert.equal(fake.stats.vodUploads, 2);

    const second = await spawnServer({ env });
    try {
      const done = await finished(second, id);
      assert.equal(done.status, "completed", JSON.stringify(done.error));
      assert.equal(fake.stats.uploads, 3, "the stored Vids and URI were used again");
      assert.equal(fake.records().length, 1);
      assert.deepEqual(fake.stats.violations, []);
    } finally {
      await second.stop();
    }
  });
});

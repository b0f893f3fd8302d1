import assert from "node:assert/strict";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";

interface VideoJson {
  id: string;
  status: string;
  progress: number;
  error: { code: string } | null;
}

async function api(server: ServerProcess, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: {
      "Authorization": `Bearer ${GOOD_SESSION}`,
      "content-type": "application/json",
      ...init.headers,
    },
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

async function withFakeAndDir(
  fn: (fake: Awaited<ReturnType<typeof startFakeUpstream>>, dataDir: string) => Promise<void>,
) {
  const fake = await startFakeUpstream({ videoLatencyMs: 1500 });
  fake.addSession(GOOD_SESSION, { credits: 100 });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-restart-" });
  try {
    await fn(fake, dataDir);
  } finally {
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("a running video job survives kill -9: it resumes and completes with one submit", async () => {
  await withFakeAndDir(async (fake, dataDir) => {
    const env = processEnv(fake.url, dataDir);
    const first = await spawnServer({ env });
    let id: string;
    try {
      const created = await api(first, "/v1/videos", {
        method: "POST",
        body: JSON.stringify({ model: "jimeng-video-3.0", prompt: "a survivor", seconds: "5" }),
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
    const creditsAfterSubmit = fake.session(GOOD_SESSION).credits;

    const second = await spawnServer({ env });
    try {
      await second.waitForLine(/Resuming 1 unfinished job/);
      const done = await waitFor("the resumed job to finish", async () => {
        const { json } = await api(second, `/v1/videos/${id}`);
        const video = json as VideoJson;
        return video.status === "completed" || video.status === "failed" ? video : undefined;
      });
      assert.equal(done.status, "completed", JSON.stringify(done.error));
      assert.equal(done.progress, 100);
      const submits = Object.values(fake.stats.submits);
      assert.deepEqual(submits, [1], "the job was submitted exactly once");
      assert.equal(fake.records().length, 1);
      assert.equal(fake.session(GOOD_SESSION).credits, creditsAfterSubmit, "credits spent once");
      const content = await fetch(`${second.url}/v1/videos/${id}/content`, {
        headers: { Authorization: `Bearer ${GOOD_SESSION}` },
      });
      assert.equal(content.status, 200);
      assert.equal(content.headers.get("content-type"), "video/mp4");
      await content.body?.cancel();
    } finally {
      await second.stop();
    }
  });
});

Deno.test("a job killed while its submit was unanswered is resubmitted under the same submit_id", async () => {
  await withFakeAndDir(async (fake, dataDir) => {
    const env = processEnv(fake.url, dataDir);
    // The upstream takes the submit but never answers it.
    fake.knobs.faults = {
      rate: 1,
      kinds: ["hang"],
      pathPattern: /aigc_draft\/generate/,
      afterProcessing: true,
    };
    const first = await spawnServer({ env });
    let id: string;
    try {
      const created = await api(first, "/v1/videos", {
        method: "POST",
        body: JSON.stringify({ model: "jimeng-video-3.0", prompt: "lost answer", seconds: "5" }),
      });
      id = created.json.id;
      await waitFor(
        "the upstream to take the submit",
        () => Promise.resolve(fake.records().length === 1 ? true : undefined),
      );
      const { json } = await api(first, `/v1/videos/${id}`);
      assert.equal((json as VideoJson).status, "queued", "no record id reached the server");
    } finally {
      first.kill("SIGKILL");
      await first.exited();
    }
    fake.knobs.faults = { rate: 0, kinds: [] };
    const creditsAfterSubmit = fake.session(GOOD_SESSION).credits;

    const second = await spawnServer({ env });
    try {
      const done = await waitFor("the resumed job to finish", async () => {
        const { json } = await api(second, `/v1/videos/${id}`);
        const video = json as VideoJson;
        return video.status === "completed" || video.status === "failed" ? video : undefined;
      });
      assert.equal(done.status, "completed", JSON.stringify(done.error));
      assert.equal(fake.records().length, 1, "the repeated submit_id found the same record");
      assert.deepEqual(Object.values(fake.stats.submits), [2], "one submit_id, sent twice");
      assert.equal(fake.session(GOOD_SESSION).credits, creditsAfterSubmit, "credits spent once");
    } finally {
      await second.stop();
    }
  });
});

Deno.test("SIGTERM stops the server cleanly; waiting clients hear that the job continues", async () => {
  await withFakeAndDir(async (fake, dataDir) => {
    fake.knobs.videoLatencyMs = 60_000;
    const env = processEnv(fake.url, dataDir);
    const server = await spawnServer({ env });
    const waiting = api(server, "/v1/videos/generations", {
      method: "POST",
      body: JSON.stringify({ model: "jimeng-video-3.0", prompt: "a long one", duration: 5 }),
    });
    await waitFor("the submit", () => Promise.resolve(fake.records().length ? true : undefined));
    const started = Date.now();
    server.kill("SIGTERM");
    const answer = await waiting;
    const status = await server.exited();
    assert.equal(status.code, 0);
    assert.ok(Date.now() - started < 10_000, "stopped within the grace period");
    assert.equal(answer.status, 503);
    assert.equal(answer.json.error.code, "server_shutting_down");
    assert.match(answer.json.error.message, /GET \/v1\/videos\/video_/);
    assert.ok(server.lines().some((line) => line.includes("shutting down")));
  });
});

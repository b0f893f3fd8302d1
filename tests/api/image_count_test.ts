/**
 * `n` done by the upstream (2026-10 sheet §1): every image task carries
 * `abilities.gen_option.gen_count`, `n` up to 10 becomes as few tasks as
 * possible whose counts add up to `n`, on every path that makes images.
 * @module
 */
import assert from "node:assert/strict";
import { toFile } from "openai";
import type OpenAI from "openai";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { imageCost } from "../fake_upstream/models.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { type FakeRecord, startFakeUpstream } from "../fake_upstream/server.ts";
import { GOOD_SESSION, type Stack, startStack, upstreamEnv } from "../helpers/stack.ts";

type Video = OpenAI.Videos.Video & { urls?: string[] };

const PNG = encodePng({ width: 64, height: 48, color: [10, 120, 200] });

/** The image counts of the fake's records, in submission order. */
const counts = (records: FakeRecord[]) => records.map((r) => [r.genCount, r.itemCount]);

/** Waits for a job through the runner (no sleeping), then reads it through the SDK. */
async function finished(stack: Stack, client: OpenAI, id: string): Promise<Video> {
  await stack.server.deps.jobs.wait(id);
  return await client.videos.retrieve(id) as Video;
}

Deno.test("images.generate with n=1 asks the upstream for one image and pays for one", async () => {
  const stack = await startStack();
  try {
    const before = stack.fake.session(GOOD_SESSION).credits;
    const result = await stack.openai().images.generate({
      model: "jimeng-image-4.0",
      prompt: "one lonely tree",
      n: 1,
      size: "4096x4096",
    });
    assert.equal(result.data?.length, 1);
    assert.deepEqual(stack.fake.stats.violations, []);
    const records = stack.fake.records();
    assert.deepEqual(counts(records), [[1, 1]], "one task of one image, not four");
    assert.equal(records[0].resolutionType, "4k");
    const spent = before - stack.fake.session(GOOD_SESSION).credits;
    assert.equal(spent, imageCost("4k", 1));
    assert.ok(spent < imageCost("4k", 4), "a single image costs less than four");
  } finally {
    await stack.close();
  }
});

Deno.test("images.generate with n=10 runs three tasks of 4, 4 and 2 images", async () => {
  const stack = await startStack();
  try {
    const result = await stack.openai().images.generate({ prompt: "ten birds", n: 10 });
    assert.equal(result.data?.length, 10);
    assert.equal(new Set(result.data!.map((d) => d.url)).size, 10);
    assert.deepEqual(stack.fake.stats.violations, []);
    const records = stack.fake.records();
    assert.deepEqual(
      counts(records).sort((a, b) => b[0]! - a[0]!),
      [[4, 4], [4, 4], [2, 2]],
    );
    assert.equal(records.reduce((sum, r) => sum + r.itemCount, 0), 10);
  } finally {
    await stack.close();
  }
});

Deno.test("images.edit with n=3 makes one blend task of three images", async () => {
  const stack = await startStack();
  try {
    const result = await stack.openai().images.edit({
      model: "jimeng-image-4.5",
      image: await toFile(PNG, "ref.png", { type: "image/png" }),
      prompt: "as a mosaic",
      n: 3,
    });
    assert.equal(result.data?.length, 3);
    const [record] = stack.fake.records();
    assert.equal(record.generateType, "blend");
    assert.deepEqual(counts([record]), [[3, 3]]);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("chat image generation sends its four images as gen_count", async () => {
  const stack = await startStack();
  try {
    const completion = await stack.openai().chat.completions.create({
      model: "jimeng-image-4.1",
      messages: [{ role: "user", content: "a paper boat" }],
    });
    const links = completion.choices[0].message.content!.match(/!\[[^\]]*\]\([^)]+\)/g) ?? [];
    assert.equal(links.length, 4);
    assert.deepEqual(counts(stack.fake.records()), [[4, 4]]);
  } finally {
    await stack.close();
  }
});

Deno.test("an image job with n=10 completes with ten images from three tasks", async () => {
  const stack = await startStack();
  try {
    const client = stack.openai();
    const created = await client.videos.create({
      model: "jimeng-image-4.0",
      prompt: "ten lanterns",
      n: 10,
    } as OpenAI.Videos.VideoCreateParams) as Video;
    assert.match(created.id, /^image_/);
    const done = await finished(stack, client, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assert.equal(done.urls?.length, 10);
    assert.equal(new Set(done.urls).size, 10);
    const records = stack.fake.records();
    assert.deepEqual(counts(records).map(([n]) => n).sort(), [2, 4, 4]);
    assert.deepEqual(stack.fake.stats.violations, []);
    const job = stack.server.deps.jobs.get(created.id)!;
    assert.deepEqual(
      job.historyId!.split(",").sort(),
      records.map((r) => r.historyId).sort(),
      "every task's record is stored with the job",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("an image job of three tasks resumed after a restart only polls its records", async () => {
  // The upstream's clock stands still until the first server stopped: its records cannot finish
  // before, however slow the machine.
  let heldAt: number | undefined = Date.now();
  const fake = await startFakeUpstream({ imageLatencyMs: 4000, now: () => heldAt ?? Date.now() });
  fake.addSession(GOOD_SESSION);
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-image-count-" });
  const start = () =>
    startServer(loadConfig({ ...upstreamEnv(fake.url, dataDir), LOG_LEVEL: "error" }), {
      logger: createLogger({ level: "error", write: () => {} }),
      backoffMs: 5,
    });
  try {
    let first = await start();
    let id: string;
    try {
      const response = await fetch(`${first.url}/v1/videos`, {
        method: "POST",
        headers: { Authorization: `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "jimeng-image-4.0", prompt: "nine stars", n: 9 }),
      });
      assert.equal(response.status, 200);
      id = (await response.json()).id;
      // Wait for the job to store all three record ids, then stop the server.
      const stored = (job?: { historyId: string | null }) =>
        job?.historyId?.split(",").length === 3;
      await new Promise<void>((resolve) => {
        const unsubscribe = first.deps.jobs.subscribe(id, (job) => {
          if (stored(job)) {
            unsubscribe();
            resolve();
          }
        });
        // They may be stored already (the job ran while the answer travelled).
        if (stored(first.deps.jobs.get(id))) {
          unsubscribe();
          resolve();
        }
      });
    } finally {
      await first.close(500);
    }
    assert.equal(fake.records().length, 3);
    const submitsBefore = Object.values(fake.stats.submits).reduce((a, b) => a + b, 0);
    assert.ok(fake.records().every((r) => r.status !== 50), "stopped before the records finished");
    heldAt = undefined;
    first = await start();
    try {
      const job = await first.deps.jobs.wait(id);
      assert.equal(job?.status, "completed", job?.errorMessage ?? "");
      assert.equal(job?.result?.urls.length, 9);
    } finally {
      await first.close(500);
    }
    assert.equal(fake.records().length, 3, "nothing was generated twice");
    const submitsAfter = Object.values(fake.stats.submits).reduce((a, b) => a + b, 0);
    assert.equal(submitsAfter, submitsBefore, "the resumed job submitted nothing");
    assert.deepEqual(counts(fake.records()).map(([n]) => n).sort(), [1, 4, 4]);
  } finally {
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { openDatabase } from "../../src/store/db.ts";
import {
  activeJobs,
  countJobsByStatus,
  deleteJob,
  deleteJobInputs,
  findJobByIdempotencyKey,
  getJob,
  insertJob,
  type Job,
  jobInputs,
  listJobs,
  typicalDurations,
  updateJob,
} from "../../src/store/jobs.ts";
import { migrate } from "../../src/store/migrate.ts";

function freshDb() {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

function job(id: string, overrides: Partial<Job> = {}): Job {
  return {
    id,
    kind: "video",
    owner: "sid:a",
    model: "jimeng-video-3.0",
    prompt: `prompt of ${id}`,
    params: { kind: "video", seconds: 5, ratio: "16:9", resolution: "720p" },
    status: "queued",
    progress: 0,
    submitId: crypto.randomUUID(),
    historyId: null,
    accountKey: null,
    authSealed: null,
    idempotencyKey: null,
    requestHash: null,
    apiKeyId: null,
    requestId: null,
    result: null,
    errorCode: null,
    errorMessage: null,
    createdAt: 1000,
    updatedAt: 1000,
    submittedAt: null,
    completedAt: null,
    expiresAt: null,
    queue: null,
    ...overrides,
  };
}

Deno.test("insertJob() and getJob() round-trip every field, inputs included", () => {
  const db = freshDb();
  const original = job("video_1", {
    result: { urls: ["https://x/a.mp4"], upstreamUrls: ["https://u/a.mp4"], coverUrl: "c" },
    apiKeyId: 7,
    authSealed: "sealed",
    queue: { position: 3, length: 12, endsAt: 5000 },
  });
  insertJob(db, original, [new Uint8Array([1, 2]), new Uint8Array([3])]);
  assert.deepEqual(getJob(db, "video_1"), original);
  assert.deepEqual(jobInputs(db, "video_1"), [new Uint8Array([1, 2]), new Uint8Array([3])]);
  deleteJobInputs(db, "video_1");
  assert.deepEqual(jobInputs(db, "video_1"), []);
  assert.equal(getJob(db, "nope"), undefined);
  db.close();
});

Deno.test("listJobs() pages by owner in both orders; an unknown cursor gives an empty page", () => {
  const db = freshDb();
  for (let i = 1; i <= 5; i++) insertJob(db, job(`video_${i}`));
  insertJob(db, job("video_other", { owner: "sid:b" }));
  const first = listJobs(db, { owner: "sid:a", limit: 2, order: "desc" });
  assert.deepEqual(first.jobs.map((j) => j.id), ["video_5", "video_4"]);
  assert.equal(first.hasMore, true);
  const last = listJobs(db, { owner: "sid:a", limit: 2, order: "desc", after: "video_2" });
  assert.deepEqual(last.jobs.map((j) => j.id), ["video_1"]);
  assert.equal(last.hasMore, false);
  const asc = listJobs(db, { owner: "sid:a", limit: 10, order: "asc", after: "video_3" });
  assert.deepEqual(asc.jobs.map((j) => j.id), ["video_4", "video_5"]);
  assert.deepEqual(listJobs(db, { owner: "sid:a", limit: 5, order: "asc", after: "x" }).jobs, []);
  assert.equal(listJobs(db, { limit: 100, order: "asc" }).jobs.length, 6);
  db.close();
});

Deno.test("updateJob() changes only what it is given; activeJobs() and counts follow status", () => {
  const db = freshDb();
  insertJob(db, job("video_1"));
  insertJob(db, job("video_2"));
  insertJob(db, job("video_3"));
  assert.equal(updateJob(db, "video_1", { status: "in_progress", historyId: "123" }), true);
  assert.equal(updateJob(db, "video_2", { status: "completed", progress: 100 }), true);
  assert.equal(updateJob(db, "missing", { status: "failed" }), false);
  const updated = getJob(db, "video_1")!;
  assert.equal(updated.historyId, "123");
  assert.equal(updated.prompt, "prompt of video_1");
  assert.deepEqual(activeJobs(db).map((j) => j.id), ["video_1", "video_3"]);
  assert.deepEqual(countJobsByStatus(db), { queued: 1, in_progress: 1, completed: 1, failed: 0 });
  assert.equal(deleteJob(db, "video_3"), true);
  assert.equal(deleteJob(db, "video_3"), false);
  db.close();
});

Deno.test("updateJob() sets and clears a job's queue place", () => {
  const db = freshDb();
  insertJob(db, job("video_1"));
  const queue = { position: 4, length: null, endsAt: null };
  assert.equal(updateJob(db, "video_1", { queue }), true);
  assert.deepEqual(getJob(db, "video_1")!.queue, queue);
  assert.equal(updateJob(db, "video_1", { queue: null, status: "in_progress" }), true);
  assert.equal(getJob(db, "video_1")!.queue, null);
  db.close();
});

Deno.test("an Idempotency-Key is unique per owner", () => {
  const db = freshDb();
  insertJob(db, job("video_1", { idempotencyKey: "k" }));
  insertJob(db, job("video_2", { idempotencyKey: "k", owner: "sid:b" }));
  assert.throws(() => insertJob(db, job("video_3", { idempotencyKey: "k" })), /UNIQUE/);
  assert.equal(getJob(db, "video_3"), undefined, "a failed insert leaves nothing behind");
  assert.equal(findJobByIdempotencyKey(db, "sid:a", "k")?.id, "video_1");
  assert.equal(findJobByIdempotencyKey(db, "sid:b", "k")?.id, "video_2");
  db.close();
});

Deno.test("typicalDurations() is the median of the latest completed jobs per model", () => {
  const db = freshDb();
  const done = (id: string, model: string, ms: number) =>
    insertJob(
      db,
      job(id, { model, status: "completed", submittedAt: 0, completedAt: ms }),
    );
  done("a", "jimeng-video-3.0", 30_000);
  done("b", "jimeng-video-3.0", 10_000);
  done("c", "jimeng-video-3.0", 20_000);
  done("d", "jimeng-video-s2.0", 5_000);
  insertJob(db, job("e", { status: "failed", submittedAt: 0, completedAt: 99_000 }));
  assert.deepEqual(
    typicalDurations(db),
    new Map([["jimeng-video-3.0", 20_000], ["jimeng-video-s2.0", 5_000]]),
  );
  db.close();
});

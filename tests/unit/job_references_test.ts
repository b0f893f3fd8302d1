import assert from "node:assert/strict";
import { createReferenceFiles } from "../../src/jobs/reference_files.ts";
import { openDatabase } from "../../src/store/db.ts";
import {
  deleteJobReferences,
  insertJobReferences,
  jobReferences,
  recordReferenceUpload,
} from "../../src/store/job_references.ts";
import { deleteJob, insertJob, type Job } from "../../src/store/jobs.ts";
import { migrate } from "../../src/store/migrate.ts";

const ID = `video_${"ab".repeat(16)}`;

function job(): Job {
  return {
    id: ID,
    kind: "video",
    owner: "sid:a",
    model: "jimeng-video-seedance-2.0",
    prompt: "@1 dances",
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
    createdAt: 1,
    updatedAt: 1,
    submittedAt: null,
    completedAt: null,
    expiresAt: null,
    queue: null,
  };
}

Deno.test("job_references rows keep each material's file and its upload per account", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    insertJob(db, job());
    insertJobReferences(db, [
      { jobId: ID, position: 0, kind: "image", file: `${ID}/0.png`, size: 10 },
      { jobId: ID, position: 1, kind: "video", file: `${ID}/1.mp4`, size: 20 },
    ]);
    assert.deepEqual(jobReferences(db, ID).map((r) => [r.kind, r.accountKey, r.upload]), [
      ["image", null, null],
      ["video", null, null],
    ]);
    assert.equal(
      recordReferenceUpload(db, ID, 1, "acct-1", { vid: "v0x", durationMs: 4000 }),
      true,
    );
    assert.equal(recordReferenceUpload(db, ID, 5, "acct-1", {}), false);
    assert.deepEqual(jobReferences(db, ID)[1].upload, { vid: "v0x", durationMs: 4000 });
    assert.equal(jobReferences(db, ID)[1].accountKey, "acct-1");
    deleteJobReferences(db, ID);
    assert.deepEqual(jobReferences(db, ID), []);
    // Deleting the job takes its rows along.
    insertJobReferences(db, [{
      jobId: ID,
      position: 0,
      kind: "audio",
      file: `${ID}/0.wav`,
      size: 1,
    }]);
    deleteJob(db, ID);
    assert.deepEqual(jobReferences(db, ID), []);
  } finally {
    db.close();
  }
});

Deno.test("createReferenceFiles() writes, reads and removes a job's files, and only its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jimeng-refs-" });
  try {
    const files = createReferenceFiles(dir);
    const names = files.write(ID, [
      { bytes: new Uint8Array([1, 2, 3]), ext: "png" },
      { bytes: new Uint8Array([4]), ext: "mp4" },
    ]);
    assert.deepEqual(names, [`${ID}/0.png`, `${ID}/1.mp4`]);
    assert.deepEqual(await files.read(names[1]), new Uint8Array([4]));
    assert.equal(files.exists(names[0]), true);
    assert.throws(() => files.exists("../secret.key"), TypeError);
    assert.throws(() => files.write("../../etc", []), TypeError);
    await assert.rejects(() => files.read(`${ID}/../../x.png`), TypeError);
    files.remove(ID);
    assert.equal(files.exists(names[0]), false);
    files.remove(ID);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { createEstimateRecorder } from "../../src/jimeng/estimate_recorder.ts";
import { openDatabase } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { listPollEstimates, savePollEstimate } from "../../src/store/poll_estimates.ts";
import { createVirtualClock } from "../helpers/virtual_clock.ts";

function freshDb() {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

Deno.test("savePollEstimate() inserts, replaces and rounds; listPollEstimates() reads them back", () => {
  const db = freshDb();
  assert.deepEqual(listPollEstimates(db), []);
  savePollEstimate(db, { modelKey: "high_aes_general_v50", runMs: 3512.7, updatedAt: 1000 });
  savePollEstimate(db, { modelKey: "dreamina_ic_generate_video", runMs: 20_000, updatedAt: 1500 });
  savePollEstimate(db, { modelKey: "high_aes_general_v50", runMs: 3400.2, updatedAt: 2000 });
  assert.deepEqual(listPollEstimates(db), [
    { modelKey: "dreamina_ic_generate_video", runMs: 20_000, updatedAt: 1500 },
    { modelKey: "high_aes_general_v50", runMs: 3400, updatedAt: 2000 },
  ]);
  db.close();
});

Deno.test("the poll_estimates table refuses a negative run time", () => {
  const db = freshDb();
  assert.throws(
    () => db.prepare("INSERT INTO poll_estimates VALUES ('k', -1, 0)").run(),
    /CHECK constraint/,
  );
  // The store function clamps instead.
  savePollEstimate(db, { modelKey: "k", runMs: -5, updatedAt: 0 });
  assert.equal(listPollEstimates(db)[0].runMs, 0);
  db.close();
});

/** A recorder writing into a real table, on a virtual clock. */
function recorderOn(db: ReturnType<typeof freshDb>, clock = createVirtualClock()) {
  const writes: [string, number][] = [];
  const recorder = createEstimateRecorder({
    save: (key, runMs) => {
      writes.push([key, Math.round(runMs)]);
      savePollEstimate(db, { modelKey: key, runMs, updatedAt: clock.now() });
    },
    now: clock.now,
    setTimer: clock.setTimer,
  });
  return { recorder, writes, clock };
}

Deno.test("createEstimateRecorder() writes a new key at once and small changes not at all", () => {
  const db = freshDb();
  const { recorder, writes } = recorderOn(db);
  recorder.note("m", 3500);
  recorder.note("m", 3520);
  recorder.note("m", 3490);
  assert.deepEqual(writes, [["m", 3500]]);
  assert.equal(listPollEstimates(db)[0].runMs, 3500);
  db.close();
});

Deno.test("createEstimateRecorder() writes a real change at most once per interval, the newest value", async () => {
  const db = freshDb();
  const { recorder, writes, clock } = recorderOn(db);
  recorder.note("m", 3500);
  await clock.advance(1000);
  recorder.note("m", 5000);
  recorder.note("m", 6000);
  assert.equal(writes.length, 1, "not within the interval");
  await clock.advance(9000);
  assert.deepEqual(writes, [["m", 3500], ["m", 6000]]);
  assert.equal(listPollEstimates(db)[0].runMs, 6000);
  // After the interval, a change is written at once.
  await clock.advance(20_000);
  recorder.note("m", 4000);
  assert.deepEqual(writes.at(-1), ["m", 4000]);
  db.close();
});

Deno.test("createEstimateRecorder() does not write primed values again; flush() writes what waits", async () => {
  const db = freshDb();
  savePollEstimate(db, { modelKey: "m", runMs: 3500, updatedAt: 0 });
  const { recorder, writes, clock } = recorderOn(db);
  recorder.prime("m", 3500);
  recorder.note("m", 3500);
  assert.deepEqual(writes, []);
  recorder.note("m", 8000);
  assert.deepEqual(writes, [["m", 8000]]);
  await clock.advance(100);
  recorder.note("m", 12_000);
  recorder.flush();
  assert.deepEqual(writes, [["m", 8000], ["m", 12_000]]);
  // Nothing is left for the timer.
  await clock.advance(60_000);
  assert.equal(writes.length, 2);
  db.close();
});

Deno.test("createEstimateRecorder() survives a failing write and tries again at the next change", () => {
  const errors: string[] = [];
  let fail = true;
  const saved: number[] = [];
  const clock = createVirtualClock();
  const recorder = createEstimateRecorder({
    save: (_key, runMs) => {
      if (fail) throw new Error("database or disk is full");
      saved.push(runMs);
    },
    now: clock.now,
    setTimer: clock.setTimer,
    onError: (error, key) => errors.push(`${key}: ${(error as Error).message}`),
  });
  recorder.note("m", 3500);
  assert.deepEqual(errors, ["m: database or disk is full"]);
  fail = false;
  recorder.note("m", 3510);
  assert.deepEqual(saved, [3510]);
});

import assert from "node:assert/strict";
import { JimengError } from "../../src/jimeng/errors.ts";
import type { HistoryRecord, QueueInfo } from "../../src/jimeng/history.ts";
import { type AnswerContext, applyAnswer, startTrack } from "../../src/jimeng/poll_record.ts";

const T0 = 1_700_000_000_000;

function ctx(at: number, runMs = 3500, learned = true): AnswerContext {
  return { now: T0 + at, estimate: { runMs, learned }, missingGraceMs: 10_000 };
}

function record(status: number, extra: Partial<HistoryRecord> = {}): HistoryRecord {
  return { historyId: "r", status, failCode: "", images: [], videos: [], itemCount: 0, ...extra };
}

const images = [1, 2, 3, 4].map((i) => ({ url: `https://cdn.test/${i}.png` }));
const queued = (queue: QueueInfo) => record(20, { queue });

function track(learned = true) {
  return startTrack(
    { historyId: "r", kind: "image", submittedAt: T0, expectedItems: 4 },
    ctx(0, 3500, learned),
  );
}

Deno.test("startTrack() plans the first poll", () => {
  assert.equal(track().due, T0 + 875);
  assert.equal(track().expectedFinishAt, T0 + 3500);
});

Deno.test("applyAnswer() keeps a running record waiting, with progress", () => {
  const t = track();
  const outcome = applyAnswer(t, { record: record(42) }, ctx(875));
  assert.equal(outcome.type, "waiting");
  assert.deepEqual(outcome.type === "waiting" && outcome.progress, {
    status: 42,
    elapsedMs: 875,
    expectedMs: 3500,
  });
  assert.equal(t.due, T0 + 3290);
  assert.equal(t.lastSeenAge, 875);
});

Deno.test("applyAnswer() finishes a complete record with what it teaches", () => {
  const t = track();
  applyAnswer(t, { record: record(45) }, ctx(3400));
  const outcome = applyAnswer(t, { record: record(50, { images, itemCount: 4 }) }, ctx(3500));
  assert.equal(outcome.type, "finished");
  if (outcome.type !== "finished") return;
  assert.deepEqual(outcome.learned, { sample: 3450, seenAge: 3400 });
  // All expected items with status 45 count as complete (observed upstream).
  const early = applyAnswer(track(), { record: record(45, { images }) }, ctx(3500));
  assert.equal(early.type, "finished");
});

Deno.test("applyAnswer() resolves a failed record with results, rejects one without", () => {
  const partial = applyAnswer(
    track(),
    { record: record(30, { images: images.slice(0, 1) }) },
    ctx(900),
  );
  assert.equal(partial.type, "finished");
  assert.equal(partial.type === "finished" && partial.learned, undefined);
  const blocked = applyAnswer(track(), { record: record(30, { failCode: "2038" }) }, ctx(900));
  assert.equal(blocked.type, "failed");
  const error = blocked.type === "failed" ? blocked.error : undefined;
  assert.ok(error instanceof JimengError);
  assert.equal(error.kind, "content_blocked");
});

Deno.test("applyAnswer() retries retriable failures, backing off, and rejects the others", () => {
  const t = track();
  const first = applyAnswer(
    t,
    { failure: new JimengError("upstream_unavailable", "HTTP 502") },
    ctx(875),
  );
  assert.equal(first.type, "waiting");
  assert.equal(t.schedule.failures, 1);
  applyAnswer(t, { failure: new JimengError("upstream_unavailable", "HTTP 502") }, ctx(3300));
  assert.equal(t.due, T0 + 3300 + 1000, "two failures in a row: 1 s");
  applyAnswer(t, { record: record(45) }, ctx(4300));
  assert.equal(t.schedule.failures, 0);
  const fatal = applyAnswer(
    t,
    { failure: new JimengError("session_expired", "expired") },
    ctx(4400),
  );
  assert.equal(fatal.type, "failed");
});

Deno.test("applyAnswer() waits out a record unknown upstream for the grace time", () => {
  const t = track();
  assert.equal(applyAnswer(t, { record: undefined }, ctx(875)).type, "waiting");
  assert.equal(t.missingSince, T0 + 875);
  assert.equal(applyAnswer(t, { record: undefined }, ctx(5000)).type, "waiting");
  const gone = applyAnswer(t, { record: undefined }, ctx(11_000));
  assert.equal(gone.type, "failed");
  assert.match(String(gone.type === "failed" && gone.error), /does not know record r/);
});

Deno.test("applyAnswer() starts the run clock when the queue ends and learns the run alone", () => {
  const t = track();
  const waiting = applyAnswer(
    t,
    { record: queued({ position: 5, length: 9, forecastMs: 3000 }) },
    ctx(1000),
  );
  assert.equal(waiting.type === "waiting" && waiting.progress?.queue?.position, 5);
  assert.equal(t.expectedFinishAt, T0 + 1000 + 3000 + 3500);
  applyAnswer(t, { record: queued({ position: 1, forecastMs: 1000 }) }, ctx(3000));
  applyAnswer(t, { record: record(20) }, ctx(4175));
  // Bracket [3000, 4175] is wider than a second: the forecast end (4000) is taken.
  assert.equal(t.schedule.runStartedAt, T0 + 4000);
  assert.equal(t.expectedFinishAt, T0 + 7500);
  const done = applyAnswer(t, { record: record(50, { images }) }, ctx(7550));
  assert.equal(done.type, "finished");
  const learned = done.type === "finished" ? done.learned : undefined;
  assert.equal(learned?.seenAge, 175);
  // Not 7.5 s: the queue is not run time. A wide bracket around the estimate teaches nothing.
  assert.equal(learned?.sample, undefined);
});

Deno.test("applyAnswer() learns a cold model's first run from queue end to result", () => {
  const t = track(false);
  applyAnswer(t, { record: queued({ position: 1, forecastMs: 1000 }) }, ctx(3600, 12_000, false));
  applyAnswer(t, { record: record(42) }, ctx(4350, 12_000, false));
  assert.equal(t.schedule.runStartedAt, T0 + 3975, "the middle of a narrow bracket");
  applyAnswer(t, { record: record(45) }, ctx(7400, 12_000, false));
  const done = applyAnswer(t, { record: record(50, { images }) }, ctx(7650, 12_000, false));
  const learned = done.type === "finished" ? done.learned : undefined;
  assert.equal(learned?.sample, (7400 - 3975 + 7650 - 3975) / 2);
});

import assert from "node:assert/strict";
import type { QueueInfo } from "../../src/jimeng/history.ts";
import {
  blendEstimate,
  learningSample,
  nextPoll,
  type RecordState,
  retryGap,
  ridesAlong,
  runStartAfterQueue,
  type ScheduleInput,
  type ScheduleRule,
  scheduleShape,
  siblingDue,
} from "../../src/jimeng/poll_schedule.ts";

const T0 = 1_700_000_000_000;

/** A record polled once, with what the last poll said. */
function seen(extra: Partial<RecordState> = {}): RecordState {
  return {
    kind: "image",
    submittedAt: T0,
    polls: 1,
    last: "seen",
    failures: 0,
    interval: 0,
    ...extra,
  };
}

const cold = (runMs: number) => ({ runMs, learned: false });
const learned = (runMs: number) => ({ runMs, learned: true });

interface Case {
  name: string;
  /** Ms since submit. */
  at: number;
  record: RecordState;
  status?: number;
  queue?: QueueInfo;
  estimate: ScheduleInput["estimate"];
  /** Expected due, ms after `at` (or absolute offset from T0 when `dueAt` is used). */
  wait?: number;
  dueAt?: number;
  rule: ScheduleRule;
  interval?: number;
  /** Expected finish, ms after T0. */
  finish?: number;
}

// Shapes used below: an image learned at 3.5 s has tight 87.5 ms, lead 210 ms (approach
// 3290 ms); a cold image model guessed at 12 s probes at 1 s; a video learned at 20 s has
// tight 250 ms, lead 1200 ms and a progress gap of 4 s.
const CASES: Case[] = [
  {
    name: "cold model: the first poll is a probe at 1 s",
    at: 0,
    record: seen({ polls: 0, last: "none" }),
    estimate: cold(12_000),
    dueAt: 1000,
    rule: "probe",
    finish: 12_000,
  },
  {
    name: "learned short model: no probe, the first poll just before the finish",
    at: 0,
    record: seen({ polls: 0, last: "none" }),
    estimate: learned(1500),
    dueAt: 1500 - 160,
    rule: "probe",
  },
  {
    name: "cold model, status 20: in progress, so the search goes on (20 is not 'not started')",
    at: 1000,
    status: 20,
    record: seen(),
    estimate: cold(12_000),
    wait: 250,
    rule: "cold_search",
  },
  {
    name: "cold model, status 42: the same step as 20",
    at: 1000,
    status: 42,
    record: seen(),
    estimate: cold(12_000),
    wait: 250,
    rule: "cold_search",
  },
  {
    name: "cold model, status 45, later: the step grows with the age",
    at: 30_000,
    status: 45,
    record: seen({ interval: 1500 }),
    estimate: cold(12_000),
    wait: 750,
    rule: "cold_search",
  },
  {
    name: "learned model, status 20: one jump to just before the expected finish",
    at: 1000,
    status: 20,
    record: seen(),
    estimate: learned(3500),
    wait: 3290 - 1000,
    rule: "approach",
    finish: 3500,
  },
  {
    name: "learned model, status 45: the same jump",
    at: 1000,
    status: 45,
    record: seen(),
    estimate: learned(3500),
    wait: 3290 - 1000,
    rule: "approach",
  },
  {
    name: "dense window: one tight step",
    at: 3300,
    status: 45,
    record: seen(),
    estimate: learned(3500),
    wait: 87.5,
    rule: "dense",
    interval: 87.5,
  },
  {
    name: "within one tight step of the window (after riding along early): dense",
    at: 3290 - 80,
    record: seen(),
    estimate: learned(3500),
    wait: 87.5,
    rule: "dense",
  },
  {
    name: "overdue: the back-off starts one step above tight",
    at: 4000,
    record: seen(),
    estimate: learned(3500),
    wait: 140,
    rule: "overdue",
    interval: 140,
  },
  {
    name: "overdue back-off grows by 1.6",
    at: 8000,
    record: seen({ interval: 1000 }),
    estimate: learned(3500),
    wait: 1600,
    rule: "overdue",
    interval: 1600,
  },
  {
    name: "overdue back-off is capped at 2 s for images",
    at: 30_000,
    record: seen({ interval: 1900 }),
    estimate: learned(3500),
    wait: 2000,
    rule: "overdue",
  },
  {
    name: "overdue video back-off is capped at 10 s",
    at: 100_000,
    record: seen({ kind: "video", interval: 9000 }),
    estimate: learned(20_000),
    wait: 10_000,
    rule: "overdue",
  },
  {
    name: "overdue cold model: the cold search is finer than the back-off",
    at: 16_000,
    record: seen({ interval: 1500 }),
    estimate: cold(12_000),
    wait: 400,
    rule: "cold_search",
  },
  {
    name: "queued with a forecast: looked at just before the last second of the queue",
    at: 1000,
    status: 20,
    queue: { position: 3, length: 9, forecastMs: 1500 },
    record: seen(),
    estimate: learned(3500),
    // 1.5 s forecast − the 1 s window + one queue-end step (2 × 87.5 ms).
    wait: 500 + 175,
    rule: "queued",
    finish: 1000 + 1500 + 3500,
  },
  {
    name: "queued, the forecast's last second: steps of two dense steps",
    at: 3000,
    queue: { position: 1, length: 9, forecastMs: 1000 },
    record: seen(),
    estimate: learned(3500),
    wait: 175,
    rule: "queue_end",
    interval: 175,
  },
  {
    name: "queued, a forecast stuck at one second: the steps grow",
    at: 3000,
    queue: { position: 1, length: 9, forecastMs: 1000 },
    record: seen({ interval: 400 }),
    estimate: learned(3500),
    wait: 500,
    rule: "queue_end",
    interval: 500,
  },
  {
    name: "queued, a stuck forecast's steps stop at the refresh step",
    at: 30_000,
    queue: { position: 1, length: 9, forecastMs: 1000 },
    record: seen({ interval: 1900 }),
    estimate: learned(3500),
    wait: 2000,
    rule: "queue_end",
  },
  {
    name: "queued video, the forecast's last second: at least 150 ms steps of a short model",
    at: 3000,
    queue: { position: 1, forecastMs: 1000 },
    record: seen({ kind: "video" }),
    estimate: learned(4000),
    wait: 200,
    rule: "queue_end",
  },
  {
    name: "queued with a long forecast: the position is refreshed every 2 s (images)",
    at: 1000,
    queue: { position: 30, length: 40, forecastMs: 60_000 },
    record: seen(),
    estimate: learned(3500),
    wait: 2000,
    rule: "queued",
    finish: 1000 + 60_000 + 3500,
  },
  {
    name: "queued video with a long forecast: every 5 s",
    at: 1000,
    queue: { position: 30, length: 40, forecastMs: 60_000 },
    record: seen({ kind: "video" }),
    estimate: learned(20_000),
    wait: 5000,
    rule: "queued",
  },
  {
    name: "queued without a forecast: the refresh step",
    at: 1000,
    queue: { position: 2 },
    record: seen(),
    estimate: cold(12_000),
    wait: 2000,
    rule: "queued",
    finish: 1000 + 12_000,
  },
  {
    name: "queued at the front (forecast 0): soon, not at once",
    at: 1000,
    queue: { position: 1, forecastMs: 0 },
    record: seen(),
    estimate: learned(3500),
    wait: 175,
    rule: "queue_end",
  },
  {
    name: "queue just ended: the run-time clock starts at the queue's end",
    at: 4100,
    record: seen({ runStartedAt: T0 + 4000, polls: 3 }),
    estimate: learned(3500),
    dueAt: 4000 + 3290,
    rule: "approach",
    finish: 4000 + 3500,
  },
  {
    name: "queue just ended, cold model: the search restarts from the run's start",
    at: 4100,
    record: seen({ runStartedAt: T0 + 4000, polls: 3 }),
    estimate: cold(12_000),
    wait: 250,
    rule: "cold_search",
    finish: 4000 + 12_000,
  },
  {
    name: "missing record: looked for again soon",
    at: 1000,
    record: seen({ last: "missing" }),
    estimate: learned(3500),
    wait: 350,
    rule: "missing",
  },
  {
    name: "missing record of a short model: four dense steps",
    at: 1000,
    record: seen({ last: "missing" }),
    estimate: cold(1000),
    wait: 320,
    rule: "missing",
  },
  {
    name: "after a retriable failure in the dense window: at least 0.5 s",
    at: 3300,
    record: seen({ last: "failed", failures: 1 }),
    estimate: learned(3500),
    wait: 500,
    rule: "retry",
  },
  {
    name: "after three failures in a row: 2 s",
    at: 3300,
    record: seen({ last: "failed", failures: 3 }),
    estimate: learned(3500),
    wait: 2000,
    rule: "retry",
  },
  {
    name: "after a failure long before the finish: the planned jump is later anyway",
    at: 1000,
    record: seen({ last: "failed", failures: 1 }),
    estimate: learned(3500),
    wait: 2290,
    rule: "approach",
  },
  {
    name: "video, learned: progress looks every 4 s on the way",
    at: 2000,
    record: seen({ kind: "video" }),
    estimate: learned(20_000),
    wait: 4000,
    rule: "approach",
  },
  {
    name: "video, learned: the last jump lands 1.2 s before the finish",
    at: 17_000,
    record: seen({ kind: "video" }),
    estimate: learned(20_000),
    wait: 1800,
    rule: "approach",
  },
  {
    name: "video, dense window: 250 ms steps",
    at: 19_500,
    record: seen({ kind: "video" }),
    estimate: learned(20_000),
    wait: 250,
    rule: "dense",
  },
  {
    name: "image, same age and estimate as the video: no progress looks, jumps of at most 10 s",
    at: 2000,
    record: seen(),
    estimate: learned(20_000),
    wait: 10_000,
    rule: "approach",
  },
  {
    name: "cold video: searched with 2.5 % of its age (500 ms floor)",
    at: 5000,
    record: seen({ kind: "video" }),
    estimate: cold(60_000),
    wait: 500,
    rule: "cold_search",
  },
  {
    name: "cold video, older: 2.5 % of 40 s",
    at: 40_000,
    record: seen({ kind: "video" }),
    estimate: cold(60_000),
    wait: 1000,
    rule: "cold_search",
  },
];

for (const c of CASES) {
  Deno.test(`nextPoll(): ${c.name}`, () => {
    const now = T0 + c.at;
    const next = nextPoll({
      record: c.record,
      status: c.status,
      queue: c.queue,
      estimate: c.estimate,
      now,
    });
    const expected = c.dueAt !== undefined ? T0 + c.dueAt : now + c.wait!;
    assert.equal(next.rule, c.rule);
    assert.equal(next.due, expected, `due ${next.due - now} ms after now`);
    if (c.interval !== undefined) assert.equal(next.interval, c.interval);
    if (c.finish !== undefined) assert.equal(next.expectedFinishAt, T0 + c.finish);
    assert.ok(next.due >= now || c.record.last === "none", "never in the past after a poll");
  });
}

Deno.test("nextPoll() does not depend on which in-progress status was seen", () => {
  for (const estimate of [cold(12_000), learned(3500), learned(60_000)]) {
    for (const at of [500, 1000, 3000, 3400, 9000, 70_000]) {
      const dues = [20, 42, 45, 0, 99].map((status) =>
        nextPoll({ record: seen(), status, estimate, now: T0 + at }).due
      );
      assert.equal(new Set(dues).size, 1, `${JSON.stringify(estimate)} at ${at}: ${dues}`);
    }
  }
});

Deno.test("nextPoll() honours custom interval limits", () => {
  const next = nextPoll({
    record: seen({ interval: 5000 }),
    estimate: learned(3500),
    now: T0 + 30_000,
    limits: { maxImageIntervalMs: 5000 },
  });
  assert.equal(next.due - (T0 + 30_000), 5000);
});

Deno.test("scheduleShape() widens with the expected run time, within bounds", () => {
  assert.deepEqual(scheduleShape(3500, "image"), {
    tight: 87.5,
    lead: 210,
    probe: 875,
    progressGap: Infinity,
  });
  assert.equal(scheduleShape(100_000, "image").tight, 300);
  assert.equal(scheduleShape(1000, "image").probe, Infinity);
  assert.deepEqual(scheduleShape(20_000, "video"), {
    tight: 250,
    lead: 1200,
    probe: 1000,
    progressGap: 4000,
  });
});

Deno.test("retryGap() doubles from 0.5 s up to the cap", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 10].map((n) => retryGap(n, 2000)), [
    500,
    1000,
    2000,
    2000,
    2000,
    2000,
  ]);
  assert.equal(retryGap(5, 10_000), 8000);
});

Deno.test("runStartAfterQueue() takes the middle of a narrow bracket, else the forecast", () => {
  // Polled queued at 3.6 s and running at 4.35 s: no wider than a forecast's second.
  assert.equal(runStartAfterQueue(T0 + 3600, T0 + 4600, T0 + 4400), T0 + 4000);
  // A wide bracket: where the forecast said the queue would end.
  assert.equal(runStartAfterQueue(T0 + 1000, T0 + 4000, T0 + 4300), T0 + 4000);
  // The queue ended earlier than forecast: no later than now.
  assert.equal(runStartAfterQueue(T0 + 1000, T0 + 9000, T0 + 4300), T0 + 4300);
  // A stale forecast (before the last queued poll) is no earlier than that poll.
  assert.equal(runStartAfterQueue(T0 + 1000, T0 + 500, T0 + 4300), T0 + 1000);
  // No forecast: the middle of the bracket.
  assert.equal(runStartAfterQueue(T0 + 1000, undefined, T0 + 3000), T0 + 2000);
});

Deno.test("learningSample() learns the middle of a narrow bracket", () => {
  const base = { known: 3500, expectedMs: 3500, kind: "image" as const };
  assert.equal(learningSample({ ...base, lastSeenAge: 3400, foundAge: 3500 }), 3450);
  // Wide, but the estimate is outside it: it teaches that the estimate is off.
  assert.equal(learningSample({ ...base, lastSeenAge: 5000, foundAge: 9000 }), 7000);
  // Wide, and the estimate inside: confirms without moving it.
  assert.equal(learningSample({ ...base, lastSeenAge: 1000, foundAge: 6000 }), undefined);
  // Nothing known: any bracket teaches.
  assert.equal(
    learningSample({ ...base, known: undefined, lastSeenAge: 1000, foundAge: 6000 }),
    3500,
  );
  // Found at the first poll: the bracket starts at 0.
  assert.equal(
    learningSample({ ...base, known: undefined, lastSeenAge: 0, foundAge: 1000 }),
    500,
  );
});

Deno.test("blendEstimate() moves 40 % of the way to a new sample", () => {
  assert.equal(blendEstimate(undefined, 3000), 3000);
  assert.equal(blendEstimate(3000, 4000), 3400);
  assert.equal(blendEstimate(undefined, -5), 0);
});

Deno.test("ridesAlong() takes records halfway to their poll or one dense step from it", () => {
  // Polled at 0, due at 1000: at 400 not yet, at 500 yes.
  assert.equal(ridesAlong(T0 + 1000, T0, T0 + 400, 100), false);
  assert.equal(ridesAlong(T0 + 1000, T0, T0 + 500, 100), true);
  // A long wait (10 s) and due within one tight step.
  assert.equal(ridesAlong(T0 + 10_000, T0, T0 + 9_950, 100), true);
  // Due within a tight step, but polled less than a step ago.
  assert.equal(ridesAlong(T0 + 150, T0 + 100, T0 + 120, 100), false);
});

Deno.test("siblingDue() looks now at records that ran as long as a finished sibling", () => {
  assert.equal(siblingDue(T0 + 9000, 5000, 4000, T0, 100), T0);
  // Younger than the sibling was: unchanged.
  assert.equal(siblingDue(T0 + 9000, 3000, 4000, T0, 100), T0 + 9000);
  // Already due within a dense step: unchanged.
  assert.equal(siblingDue(T0 + 50, 5000, 4000, T0, 100), T0 + 50);
});

import assert from "node:assert/strict";
import { JimengError } from "../../src/jimeng/errors.ts";
import type { HistoryRecord } from "../../src/jimeng/history.ts";
import { createSession } from "../../src/jimeng/http.ts";
import { createPoller, type PollProgress, type WatchOptions } from "../../src/jimeng/poller.ts";
import { coldSearchGap } from "../../src/jimeng/poll_schedule.ts";
import { createVirtualClock } from "../helpers/virtual_clock.ts";

/** A fake upstream of records that finish at a fixed time after submission. */
function upstream(clock: { now(): number }) {
  const finishAt = new Map<string, number>();
  /** Video records, and when they leave status 20. */
  const video = new Set<string>();
  const startAt = new Map<string, number>();
  /** Records waiting in the upstream queue until then (forecast in whole seconds, rounded up). */
  const queueUntil = new Map<string, number>();
  /** Status reported while an image record runs (all mean "in progress"). @default 45 */
  const runningStatus = new Map<string, number>();
  const failed = new Set<string>();
  const calls: string[][] = [];
  const polls = new Map<string, number>();
  return {
    finishAt,
    video,
    startAt,
    queueUntil,
    runningStatus,
    failed,
    calls,
    polls,
    fetchRecords(_session: unknown, ids: readonly string[]) {
      calls.push([...ids]);
      const out = new Map<string, HistoryRecord>();
      for (const id of ids) {
        polls.set(id, (polls.get(id) ?? 0) + 1);
        const at = finishAt.get(id);
        if (at === undefined) continue;
        const done = clock.now() >= at;
        if (video.has(id)) {
          out.set(id, {
            historyId: id,
            status: done ? 50 : clock.now() >= (startAt.get(id) ?? 0) ? 45 : 20,
            failCode: "",
            images: [],
            videos: done ? [{ url: `https://cdn.test/${id}.mp4` }] : [],
            itemCount: done ? 1 : 0,
          });
          continue;
        }
        const queuedFor = (queueUntil.get(id) ?? 0) - clock.now();
        if (queuedFor > 0) {
          out.set(id, {
            historyId: id,
            status: 20,
            failCode: "",
            images: [],
            videos: [],
            itemCount: 0,
            queue: {
              position: Math.ceil(queuedFor / 500),
              length: 20,
              forecastMs: Math.ceil(queuedFor / 1000) * 1000,
            },
          });
          continue;
        }
        const record: HistoryRecord = {
          historyId: id,
          status: failed.has(id) && done ? 30 : done ? 50 : runningStatus.get(id) ?? 45,
          failCode: failed.has(id) ? "2038" : "",
          images: done && !failed.has(id)
            ? [1, 2, 3, 4].map((i) => ({ url: `https://cdn.test/${id}/${i}.png` }))
            : [],
          videos: [],
          itemCount: done ? 4 : 0,
        };
        out.set(id, record);
      }
      return Promise.resolve(out);
    },
  };
}

const session = createSession("0123456789abcdef0123456789abcdef");

function watchOptions(clock: { now(): number }, id: string, extra: Partial<WatchOptions> = {}) {
  return {
    session,
    historyId: id,
    kind: "image" as const,
    estimateKey: "model-a",
    typicalMs: 12_000,
    submittedAt: clock.now(),
    deadline: clock.now() + 300_000,
    expectedItems: 4,
    ...extra,
  };
}

Deno.test("createPoller() learns the duration and delivers soon after the upstream finishes", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  const delays: number[] = [];
  const pollCounts: number[] = [];
  for (let i = 0; i < 12; i++) {
    const id = `rec-${i}`;
    fake.finishAt.set(id, clock.now() + 3500);
    let delivered: number | undefined;
    poller.watch(watchOptions(clock, id)).then(() => (delivered = clock.now()));
    await clock.runUntil(() => delivered !== undefined, 60_000);
    assert.ok(delivered !== undefined, `record ${i} delivered`);
    delays.push(delivered - fake.finishAt.get(id)!);
    pollCounts.push(fake.polls.get(id)!);
  }
  // After a few generations the schedule has converged.
  for (let i = 6; i < 12; i++) {
    assert.ok(delays[i] <= 200, `delay ${delays[i]} ms of record ${i}`);
    assert.ok(pollCounts[i] <= 6, `polls ${pollCounts[i]} of record ${i}`);
  }
  const estimate = poller.estimate("model-a")!;
  assert.ok(estimate > 3000 && estimate < 4000, `estimate ${estimate}`);
  poller.close();
});

Deno.test("createPoller() learns that records finish at once, far below the first guess", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) {
    const id = `instant-${i}`;
    fake.finishAt.set(id, clock.now());
    let delivered: number | undefined;
    poller.watch(watchOptions(clock, id)).then(() => (delivered = clock.now()));
    await clock.runUntil(() => delivered !== undefined, 60_000);
    delays.push(delivered! - fake.finishAt.get(id)!);
  }
  // Each first poll finds it done, below the estimate: that bracket still teaches.
  assert.ok(delays.slice(8).every((ms) => ms <= 100), JSON.stringify(delays));
  poller.close();
});

Deno.test("createPoller() fetches due records of one account in one call", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  poller.learn("model-a", 1000);
  const results: HistoryRecord[] = [];
  for (const id of ["a", "b", "c"]) {
    fake.finishAt.set(id, clock.now() + 1000);
    poller.watch(watchOptions(clock, id)).then((r) => results.push(r));
  }
  await clock.runUntil(() => results.length === 3, 10_000);
  assert.equal(results.length, 3);
  assert.ok(fake.calls.every((ids) => ids.length === 3), JSON.stringify(fake.calls));
  poller.close();
});

Deno.test("createPoller() maps status 30 with fail_code 2038 to content_blocked", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  fake.finishAt.set("bad", clock.now() + 2000);
  fake.failed.add("bad");
  let error: unknown;
  poller.watch(watchOptions(clock, "bad")).catch((e) => (error = e));
  await clock.runUntil(() => error !== undefined, 60_000);
  assert.ok(error instanceof JimengError);
  assert.equal(error.kind, "content_blocked");
  assert.equal(error.code, "2038");
  poller.close();
});

Deno.test("createPoller() times out at the deadline and waits out a missing record", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer }, {
    missingGraceMs: 120_000,
  });
  // Never known upstream, never finished.
  let error: unknown;
  poller.watch(watchOptions(clock, "ghost", { deadline: clock.now() + 30_000 }))
    .catch((e) => (error = e));
  await clock.runUntil(() => error !== undefined, 60_000);
  assert.ok(error instanceof JimengError);
  assert.equal(error.kind, "timeout");
  assert.equal(poller.size(), 0);
  poller.close();
});

Deno.test("createPoller() stops polling a record whose watcher aborted", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  fake.finishAt.set("slow", clock.now() + 50_000);
  const abort = new AbortController();
  let error: unknown;
  poller.watch(watchOptions(clock, "slow", { signal: abort.signal })).catch((e) => (error = e));
  await clock.advance(2000);
  const before = fake.polls.get("slow") ?? 0;
  abort.abort(new Error("client went away"));
  await clock.advance(60_000);
  assert.equal((error as Error).message, "client went away");
  assert.equal(fake.polls.get("slow") ?? 0, before);
  assert.equal(poller.size(), 0);
  poller.close();
});

Deno.test("createPoller() retries after a transient upstream error", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  let failures = 2;
  const poller = createPoller({
    fetchRecords: (s, ids) => {
      if (failures-- > 0) {
        return Promise.reject(new JimengError("upstream_unavailable", "HTTP 502"));
      }
      return fake.fetchRecords(s, ids);
    },
    now: clock.now,
    setTimer: clock.setTimer,
  });
  poller.learn("model-a", 500);
  fake.finishAt.set("r", clock.now() + 500);
  let record: HistoryRecord | undefined;
  poller.watch(watchOptions(clock, "r")).then((r) => (record = r));
  await clock.runUntil(() => record !== undefined, 60_000);
  assert.equal(record?.images.length, 4);
  poller.close();
});

/** Watches `count` video records submitted `spacingMs` apart that take `latencyMs`. */
async function runVideoBatch(
  clock: ReturnType<typeof createVirtualClock>,
  fake: ReturnType<typeof upstream>,
  poller: ReturnType<typeof createPoller>,
  batch: string,
  options: {
    count: number;
    spacingMs: number;
    latencyMs: number;
    /** When record i leaves status 20, as a fraction of the latency. @default 0.2 */
    startFraction?: (i: number) => number;
  },
) {
  const delays: number[] = [];
  const callsBefore = fake.calls.length;
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const id = `${batch}-${i}`;
    ids.push(id);
    fake.video.add(id);
    fake.finishAt.set(id, clock.now() + options.latencyMs);
    fake.startAt.set(id, clock.now() + options.latencyMs * (options.startFraction?.(i) ?? 0.2));
    poller.watch(watchOptions(clock, id, {
      kind: "video",
      estimateKey: "video-model",
      typicalMs: 60_000,
      expectedItems: 1,
    })).then(() => delays.push(clock.now() - fake.finishAt.get(id)!));
    await clock.advance(options.spacingMs);
  }
  await clock.runUntil(() => delays.length === options.count, 120_000);
  assert.equal(delays.length, options.count);
  const polls = ids.map((id) => fake.polls.get(id)!);
  return {
    delays: delays.sort((a, b) => a - b),
    calls: fake.calls.length - callsBefore,
    meanPolls: polls.reduce((a, b) => a + b, 0) / polls.length,
  };
}

Deno.test("coldSearchGap() grows with the age of the record within its bounds", () => {
  assert.equal(coldSearchGap(1000, "video"), 500);
  assert.equal(coldSearchGap(40_000, "video"), 1000);
  assert.equal(coldSearchGap(600_000, "video"), 2000);
  assert.equal(coldSearchGap(1000, "image"), 250);
  assert.equal(coldSearchGap(60_000, "image"), 1000);
});

Deno.test("createPoller() finds videos far shorter than the first guess soon, cold and warm", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  // 50 jobs submitted over 0.5 s; the model's first guess is 60 s, the truth 20 s.
  const cold = await runVideoBatch(clock, fake, poller, "cold", {
    count: 50,
    spacingMs: 10,
    latencyMs: 20_000,
  });
  assert.ok(cold.delays[25] <= 500, `cold p50 ${cold.delays[25]} ms`);
  assert.ok(cold.delays.at(-1)! <= 1000, `cold max ${cold.delays.at(-1)} ms`);
  // Batched: the whole batch costs a few calls per second of generation, not one per job.
  assert.ok(cold.calls <= 2 * 50, `cold calls ${cold.calls}`);
  const estimate = poller.estimate("video-model")!;
  assert.ok(Math.abs(estimate - 20_000) < 600, `estimate ${estimate}`);

  const warm = await runVideoBatch(clock, fake, poller, "warm", {
    count: 50,
    spacingMs: 10,
    latencyMs: 20_000,
  });
  assert.ok(warm.delays[25] <= 300, `warm p50 ${warm.delays[25]} ms`);
  assert.ok(warm.delays.at(-1)! <= 500, `warm max ${warm.delays.at(-1)} ms`);
  assert.ok(warm.meanPolls < cold.meanPolls, `polls warm ${warm.meanPolls} cold ${cold.meanPolls}`);
  assert.ok(warm.calls <= 40, `warm calls ${warm.calls}`);
  poller.close();
});

Deno.test("createPoller() keeps a cold batch's estimate close to the truth", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  // 5 s videos whose statuses change at different times: none of them says anything.
  const cold = await runVideoBatch(clock, fake, poller, "cold", {
    count: 10,
    spacingMs: 30,
    latencyMs: 5000,
    startFraction: (i) => (i === 9 ? 0.1 : 0.4),
  });
  assert.ok(cold.delays.at(-1)! <= 600, `cold max ${cold.delays.at(-1)} ms`);
  const estimate = poller.estimate("video-model")!;
  assert.ok(Math.abs(estimate - 5000) <= 300, `estimate ${estimate}`);
  const warm = await runVideoBatch(clock, fake, poller, "warm", {
    count: 10,
    spacingMs: 30,
    latencyMs: 5000,
  });
  assert.ok(warm.delays.at(-1)! <= 300, `warm max ${warm.delays.at(-1)} ms`);
  poller.close();
});

/** Watches one image record that runs `runMs` (after `queueMs` in the queue); returns its figures. */
async function watchOne(
  clock: ReturnType<typeof createVirtualClock>,
  fake: ReturnType<typeof upstream>,
  poller: ReturnType<typeof createPoller>,
  id: string,
  options: {
    runMs: number;
    queueMs?: number;
    status?: number;
    onProgress?: WatchOptions["onProgress"];
  },
) {
  const queueMs = options.queueMs ?? 0;
  if (queueMs > 0) fake.queueUntil.set(id, clock.now() + queueMs);
  if (options.status !== undefined) fake.runningStatus.set(id, options.status);
  fake.finishAt.set(id, clock.now() + queueMs + options.runMs);
  let delivered: number | undefined;
  poller.watch(watchOptions(clock, id, { onProgress: options.onProgress }))
    .then(() => (delivered = clock.now()));
  await clock.runUntil(() => delivered !== undefined, 120_000);
  assert.ok(delivered !== undefined, `${id} delivered`);
  return { delay: delivered - fake.finishAt.get(id)!, polls: fake.polls.get(id)! };
}

for (const status of [20, 42, 45]) {
  Deno.test(`createPoller() reads status ${status} as running: a cold model's first record is found soon`, async () => {
    const clock = createVirtualClock();
    const fake = upstream(clock);
    const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
    // The model's first guess is 12 s; today it takes 3.5 s.
    const first = await watchOne(clock, fake, poller, "first", { runMs: 3500, status });
    assert.ok(first.delay <= 300, `delay ${first.delay} ms`);
    assert.ok(first.polls <= 15, `polls ${first.polls}`);
    const second = await watchOne(clock, fake, poller, "second", { runMs: 3500, status });
    assert.ok(second.delay <= 300, `delay ${second.delay} ms`);
    assert.ok(second.polls <= 6, `polls ${second.polls}`);
    poller.close();
  });
}

Deno.test("createPoller() starts from a seeded estimate: the first record is as prompt as the tenth", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  poller.learn("model-a", 3480);
  const first = await watchOne(clock, fake, poller, "first", { runMs: 3500 });
  assert.ok(first.delay <= 200, `delay ${first.delay} ms`);
  assert.ok(first.polls <= 6, `polls ${first.polls}`);
  poller.close();
});

Deno.test("createPoller() waits out a queue by its forecast and learns the run time alone", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const learned: [string, number][] = [];
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer }, {
    onLearn: (key, ms) => learned.push([key, ms]),
  });
  poller.learn("model-a", 3500);
  learned.length = 0;
  // 4 s in the queue, then 3.5 s of run: expected at queue end + 3.5 s, not at 3.5 s.
  const first = await watchOne(clock, fake, poller, "queued", { runMs: 3500, queueMs: 4000 });
  assert.ok(first.delay <= 200, `delay ${first.delay} ms`);
  assert.ok(first.polls <= 10, `polls ${first.polls}`);
  const estimate = poller.estimate("model-a")!;
  assert.ok(Math.abs(estimate - 3500) <= 250, `estimate ${estimate} (the queue is not run time)`);
  assert.equal(learned.length, 1);
  assert.equal(learned[0][0], "model-a");
  assert.equal(learned[0][1], estimate);
  poller.close();
});

Deno.test("createPoller() finds a cold model's first queued record soon after its run", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  const first = await watchOne(clock, fake, poller, "queued", { runMs: 3500, queueMs: 4000 });
  assert.ok(first.delay <= 300, `delay ${first.delay} ms`);
  assert.ok(first.polls <= 18, `polls ${first.polls}`);
  const estimate = poller.estimate("model-a")!;
  assert.ok(estimate < 5000, `estimate ${estimate}`);
  poller.close();
});

Deno.test("createPoller() reports the queue position and progress that moves", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  poller.learn("model-a", 3500);
  const reports: PollProgress[] = [];
  await watchOne(clock, fake, poller, "q", {
    runMs: 3500,
    queueMs: 6000,
    onProgress: (progress) => reports.push(progress),
  });
  const queued = reports.filter((r) => r.queue);
  assert.ok(queued.length >= 2, JSON.stringify(reports));
  // The position counts down; the forecast says how long until it runs.
  const positions = queued.map((r) => r.queue!.position);
  assert.deepEqual(positions, [...positions].sort((a, b) => b - a));
  assert.ok(positions[0] > positions.at(-1)!);
  assert.equal(queued[0].queue!.length, 20);
  for (const r of queued) {
    assert.ok(r.queue!.etaMs! >= 6000 - r.elapsedMs, JSON.stringify(r));
    // Expected: the queue's forecast plus a whole run from now.
    assert.equal(r.expectedMs, r.elapsedMs + r.queue!.etaMs! + 3500);
  }
  const running = reports.filter((r) => !r.queue);
  assert.ok(running.length >= 1);
  // Out of the queue, the expected end is the queue's end (known within a step) plus the run time.
  assert.ok(Math.abs(running[0].expectedMs - (6000 + 3500)) <= 200, JSON.stringify(running[0]));
  const shares = reports.map((r) => r.elapsedMs / r.expectedMs);
  assert.deepEqual(shares, [...shares].sort((a, b) => a - b), "progress never goes back");
  poller.close();
});

Deno.test("createPoller() reports what it learns once per finished record", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const learned: number[] = [];
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer }, {
    onLearn: (_key, ms) => learned.push(ms),
  });
  for (let i = 0; i < 3; i++) await watchOne(clock, fake, poller, `r${i}`, { runMs: 2000 });
  assert.equal(learned.length, 3);
  assert.equal(learned.at(-1), poller.estimate("model-a"));
  poller.close();
});

Deno.test("createPoller() lets records of one account that are nearly due ride along", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  poller.learn("video-model", 30_000);
  // Three videos submitted 300 ms apart: without riding along, each would be polled alone.
  const done: string[] = [];
  for (const id of ["v1", "v2", "v3"]) {
    fake.video.add(id);
    fake.finishAt.set(id, clock.now() + 30_000);
    poller.watch(watchOptions(clock, id, {
      kind: "video",
      estimateKey: "video-model",
      typicalMs: 60_000,
      expectedItems: 1,
    })).then(() => done.push(id));
    await clock.advance(300);
  }
  await clock.runUntil(() => done.length === 3, 60_000);
  assert.equal(done.length, 3);
  const shared = fake.calls.filter((ids) => ids.length > 1).length;
  assert.ok(shared >= fake.calls.length / 2, JSON.stringify(fake.calls));
  const polls = [...fake.polls.values()].reduce((a, b) => a + b, 0);
  assert.ok(fake.calls.length < polls, `${fake.calls.length} calls for ${polls} polls`);
  poller.close();
});

Deno.test("createPoller() looks at once at siblings as old as a record found finished", async () => {
  const clock = createVirtualClock();
  const fake = upstream(clock);
  const poller = createPoller({ ...fake, now: clock.now, setTimer: clock.setTimer });
  // The learned 60 s is wrong (the truth is 20 s), so both records are polled sparsely.
  poller.learn("video-model", 60_000);
  const delivered = new Map<string, number>();
  const watchVideo = (id: string, accountSession: typeof session) => {
    fake.video.add(id);
    fake.finishAt.set(id, clock.now() + 20_000);
    poller.watch({
      ...watchOptions(clock, id),
      session: accountSession,
      kind: "video",
      estimateKey: "video-model",
      typicalMs: 60_000,
      expectedItems: 1,
    }).then(() => delivered.set(id, clock.now()));
  };
  watchVideo("first", session);
  await clock.advance(2000);
  // On another account, so it never rides along with the first.
  watchVideo("second", createSession("fedcba9876543210fedcba9876543210"));
  await clock.runUntil(() => delivered.size === 2, 60_000);
  assert.equal(delivered.size, 2);
  assert.ok(fake.calls.every((ids) => ids.length === 1));
  // The second is looked at the moment the first is found, not at its own next poll.
  assert.equal(delivered.get("second"), delivered.get("first"));
  poller.close();
});

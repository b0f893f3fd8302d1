import assert from "node:assert/strict";
import { JimengError } from "../../src/jimeng/errors.ts";
import type { HistoryRecord } from "../../src/jimeng/history.ts";
import { createSession } from "../../src/jimeng/http.ts";
import { createPoller, type WatchOptions } from "../../src/jimeng/poller.ts";
import { createVirtualClock } from "../helpers/virtual_clock.ts";

/** A fake upstream of records that finish at a fixed time after submission. */
function upstream(clock: { now(): number }) {
  const finishAt = new Map<string, number>();
  const failed = new Set<string>();
  const calls: string[][] = [];
  const polls = new Map<string, number>();
  return {
    finishAt,
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
        const record: HistoryRecord = {
          historyId: id,
          status: failed.has(id) && done ? 30 : done ? 50 : 45,
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

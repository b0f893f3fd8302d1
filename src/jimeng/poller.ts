/**
 * One polling driver for every generation in flight.
 *
 * Each watched record has a due time; a single timer wakes at the earliest
 * one, and due records of the same account are fetched together in one
 * `get_history_by_ids` call (up to `batchSize` ids). When a call goes out for
 * an account, records of that account close to their own next poll ride along
 * in it; a record found finished makes older records of its model be looked at
 * at once, whatever account they are on.
 *
 * Every timing decision — when to poll next, what a completion teaches about
 * the model's run time, who rides along — is made by the pure functions of
 * `poll_schedule.ts`; this module holds only the timers, the batches and what
 * each poll said. It learns per model how long a generation runs (from the end
 * of any upstream queue to the result), so polls concentrate around the
 * expected finish; `learn` seeds that knowledge, e.g. from the database at
 * start, and `onLearn` reports it, so it can be kept.
 * @module
 */
import { errorFromFailCode, JimengError } from "./errors.ts";
import type { HistoryRecord, QueueInfo, RecordKind } from "./history.ts";
import { isComplete, isFailed } from "./history.ts";
import type { Session } from "./http.ts";
import {
  blendEstimate,
  learningSample,
  nextPoll,
  type RecordState,
  ridesAlong,
  runStartAfterQueue,
  scheduleShape,
  siblingDue,
} from "./poll_schedule.ts";

/** Injectable effects of the poller. */
export interface PollerDeps {
  /** Fetches records of one account; absent ids are not yet known upstream. */
  fetchRecords: (
    session: Session,
    ids: readonly string[],
    kind: RecordKind,
  ) => Promise<Map<string, HistoryRecord>>;
  now: () => number;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  setTimer: (fn: () => void, ms: number) => () => void;
}

/** A record's place in the upstream queue, as progress reports carry it. */
export interface QueueProgress {
  /** The upstream's `queue_idx`. */
  position: number;
  /** The upstream's `queue_length`, when it says. */
  length?: number;
  /** Forecast wait until it runs (ms from the report), when the upstream says. */
  etaMs?: number;
}

/** Progress report of a watched record. */
export interface PollProgress {
  status: number;
  elapsedMs: number;
  /** Expected total duration from submit (queue included), from what the poller has learned. */
  expectedMs: number;
  /** Set while the record waits in the upstream's queue. */
  queue?: QueueProgress;
}

/** What to watch. */
export interface WatchOptions {
  session: Session;
  historyId: string;
  kind: RecordKind;
  /** Key for learning durations, e.g. the model's request key. */
  estimateKey: string;
  /** First guess of the run time until something is learned. */
  typicalMs: number;
  /** When the task was submitted (Unix ms). */
  submittedAt: number;
  /** Give up at this time (Unix ms) with a timeout error. */
  deadline: number;
  /** Results that make a record complete even before its final status. */
  expectedItems: number;
  signal?: AbortSignal;
  onProgress?: (progress: PollProgress) => void;
}

/** The scheduler. */
export interface Poller {
  /** Resolves with the completed record; rejects with a {@linkcode JimengError} or the abort reason. */
  watch(options: WatchOptions): Promise<HistoryRecord>;
  /** Current run-time estimate for a key (ms), or `undefined`. */
  estimate(key: string): number | undefined;
  /** Teaches a run time for a key, e.g. from stored estimates at start-up. */
  learn(key: string, durationMs: number): void;
  /** Records being watched. */
  size(): number;
  /** Stops the timer; pending watches reject. */
  close(): void;
}

/** Tuning of {@linkcode createPoller}. */
export interface PollerOptions {
  /** Ids per upstream call. @default 40 */
  batchSize?: number;
  /** Longest wait between two polls of an image record. @default 2000 */
  maxImageIntervalMs?: number;
  /** Longest wait between two polls of a video record. @default 10000 */
  maxVideoIntervalMs?: number;
  /** How long a record may stay unknown upstream before it is an error. @default 60000 */
  missingGraceMs?: number;
  /** Called after the estimate of a key changed, with the new value (ms). */
  onLearn?: (key: string, estimateMs: number) => void;
}

interface Watch {
  options: WatchOptions;
  state: RecordState;
  due: number;
  /** When it was last polled (or started being watched), Unix ms. */
  lastPollAt: number;
  /** Run age of the last poll that saw it running (0 while none did). */
  lastSeenAge: number;
  status: number | undefined;
  queue: QueueInfo | undefined;
  /** When the last poll that saw it queued was made. */
  lastQueuedAt: number | undefined;
  /** When that poll's forecast said the queue would end. */
  queueEndsAt: number | undefined;
  expectedFinishAt: number;
  inFlight: boolean;
  missingSince: number | undefined;
  resolve: (record: HistoryRecord) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/** Creates the scheduler. */
export function createPoller(deps: PollerDeps, options: PollerOptions = {}): Poller {
  const batchSize = options.batchSize ?? 40;
  const missingGrace = options.missingGraceMs ?? 60_000;
  const limits = {
    maxImageIntervalMs: options.maxImageIntervalMs,
    maxVideoIntervalMs: options.maxVideoIntervalMs,
  };
  const estimates = new Map<string, number>();
  const watches = new Set<Watch>();
  let cancelTimer: (() => void) | undefined;
  let timerDue = Infinity;
  let closed = false;

  function runEstimate(watch: Watch) {
    const learned = estimates.get(watch.options.estimateKey);
    return { runMs: learned ?? watch.options.typicalMs, learned: learned !== undefined };
  }

  function tightOf(watch: Watch): number {
    return scheduleShape(runEstimate(watch).runMs, watch.options.kind).tight;
  }

  function learn(key: string, durationMs: number): void {
    const value = blendEstimate(estimates.get(key), durationMs);
    estimates.set(key, value);
    options.onLearn?.(key, value);
  }

  /** Plans the next poll from what the last one said. */
  function schedule(watch: Watch): void {
    const now = deps.now();
    const next = nextPoll({
      record: watch.state,
      status: watch.status,
      queue: watch.queue,
      estimate: runEstimate(watch),
      now,
      limits,
    });
    watch.due = next.due;
    watch.state.interval = next.interval;
    watch.expectedFinishAt = next.expectedFinishAt;
  }

  /** Run age: time since the run began (queue excluded); negative while queued. */
  function runAge(watch: Watch, now: number): number {
    if (watch.queue) return -1;
    return now - (watch.state.runStartedAt ?? watch.options.submittedAt);
  }

  function arm(): void {
    if (closed) return;
    let earliest = Infinity;
    for (const watch of watches) if (!watch.inFlight && watch.due < earliest) earliest = watch.due;
    if (earliest === Infinity) {
      cancelTimer?.();
      cancelTimer = undefined;
      timerDue = Infinity;
      return;
    }
    if (cancelTimer && earliest >= timerDue) return;
    cancelTimer?.();
    timerDue = earliest;
    cancelTimer = deps.setTimer(tick, Math.max(0, Math.ceil(earliest - deps.now())));
  }

  function finish(watch: Watch): void {
    watches.delete(watch);
    watch.cleanup();
  }

  const groupKey = (watch: Watch) => `${watch.options.session.token}\u0000${watch.options.kind}`;

  function tick(): void {
    cancelTimer = undefined;
    timerDue = Infinity;
    const now = deps.now();
    const groups = new Map<string, Watch[]>();
    // Records due within a few ms ride along in the same call.
    const horizon = now + 15;
    for (const watch of watches) {
      if (watch.inFlight || watch.due > horizon) continue;
      if (now >= watch.options.deadline) {
        finish(watch);
        watch.reject(
          new JimengError(
            "timeout",
            `Jimeng did not finish the ${watch.options.kind} within ${
              Math.round((watch.options.deadline - watch.options.submittedAt) / 1000)
            } s (record ${watch.options.historyId})`,
          ),
        );
        continue;
      }
      const key = groupKey(watch);
      const group = groups.get(key);
      if (group) group.push(watch);
      else groups.set(key, [watch]);
    }
    // A call goes out for these accounts anyway: records close to their next
    // poll join it (and from then on share its rhythm).
    const riders = [...watches].filter((watch) =>
      !watch.inFlight && watch.due > horizon && groups.has(groupKey(watch)) &&
      ridesAlong(watch.due, watch.lastPollAt, now, tightOf(watch))
    ).sort((a, b) => a.due - b.due);
    for (const watch of riders) {
      const group = groups.get(groupKey(watch))!;
      // Riders fill the calls being made; they never add one.
      if (group.length % batchSize !== 0) group.push(watch);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += batchSize) poll(group.slice(i, i + batchSize));
    }
    arm();
  }

  /** Takes in the queue state an answer showed (`undefined`: not queued, i.e. running or done). */
  function noteQueue(watch: Watch, queue: QueueInfo | undefined, now: number): void {
    if (queue) {
      watch.queue = queue;
      watch.lastQueuedAt = now;
      watch.queueEndsAt = queue.forecastMs === undefined ? undefined : now + queue.forecastMs;
      watch.state.runStartedAt = undefined;
      watch.lastSeenAge = 0;
      return;
    }
    if (watch.lastQueuedAt !== undefined && watch.state.runStartedAt === undefined) {
      // The queue just ended: the run-time clock starts when it did, and the
      // back-off of an earlier run phase is forgotten.
      watch.state.runStartedAt = runStartAfterQueue(watch.lastQueuedAt, watch.queueEndsAt, now);
      watch.state.interval = 0;
    }
    watch.queue = undefined;
  }

  /** Learns from a record found finished; returns its run age when last seen running. */
  function learnFrom(watch: Watch, now: number): number {
    noteQueue(watch, undefined, now);
    const runStart = watch.state.runStartedAt ?? watch.options.submittedAt;
    const lastSeenAge = Math.max(0, watch.lastSeenAge);
    const key = watch.options.estimateKey;
    const sample = learningSample({
      lastSeenAge,
      foundAge: now - runStart,
      known: estimates.get(key),
      expectedMs: runEstimate(watch).runMs,
      kind: watch.options.kind,
    });
    if (sample !== undefined) learn(key, sample);
    return lastSeenAge;
  }

  function report(watch: Watch, now: number): void {
    const queue = watch.queue;
    watch.options.onProgress?.({
      status: watch.status ?? 0,
      elapsedMs: now - watch.options.submittedAt,
      expectedMs: watch.expectedFinishAt - watch.options.submittedAt,
      queue: queue && {
        position: queue.position,
        length: queue.length,
        etaMs: queue.forecastMs,
      },
    });
  }

  async function poll(batch: Watch[]): Promise<void> {
    for (const watch of batch) watch.inFlight = true;
    const { session, kind } = batch[0].options;
    let records: Map<string, HistoryRecord> | undefined;
    let failure: unknown;
    try {
      records = await deps.fetchRecords(session, batch.map((w) => w.options.historyId), kind);
    } catch (error) {
      failure = error;
    }
    const now = deps.now();
    /** Per model: the least run age at which a record just found finished was last seen running. */
    const finishedAfter = new Map<string, number>();
    for (const watch of batch) {
      watch.inFlight = false;
      if (!watches.has(watch)) continue;
      watch.state.polls++;
      watch.lastPollAt = now;
      if (failure !== undefined) {
        if (failure instanceof JimengError && failure.retriable) {
          watch.state.last = "failed";
          watch.state.failures++;
          schedule(watch);
        } else {
          finish(watch);
          watch.reject(failure);
        }
        continue;
      }
      watch.state.failures = 0;
      const record = records!.get(watch.options.historyId);
      if (!record) {
        watch.missingSince ??= now;
        if (now - watch.missingSince > missingGrace) {
          finish(watch);
          watch.reject(
            new JimengError(
              "bad_response",
              `Jimeng does not know record ${watch.options.historyId}`,
            ),
          );
        } else {
          watch.state.last = "missing";
          schedule(watch);
        }
        continue;
      }
      watch.missingSince = undefined;
      if (isComplete(record, watch.options.expectedItems)) {
        const key = watch.options.estimateKey;
        const seenAge = learnFrom(watch, now);
        finishedAfter.set(key, Math.min(finishedAfter.get(key) ?? Infinity, seenAge));
        finish(watch);
        watch.resolve(record);
        continue;
      }
      if (isFailed(record)) {
        finish(watch);
        if (record.images.length + record.videos.length > 0) watch.resolve(record);
        else watch.reject(errorFromFailCode(record.failCode, kind));
        continue;
      }
      watch.status = record.status;
      noteQueue(watch, record.queue, now);
      watch.state.last = "seen";
      schedule(watch);
      const age = runAge(watch, now);
      if (age >= 0) watch.lastSeenAge = age;
      report(watch, now);
    }
    for (const watch of finishedAfter.size > 0 ? watches : []) {
      const since = finishedAfter.get(watch.options.estimateKey);
      if (since === undefined || watch.inFlight || watch.queue) continue;
      watch.due = siblingDue(watch.due, runAge(watch, now), since, now, tightOf(watch));
    }
    arm();
  }

  return {
    watch(options) {
      if (closed) return Promise.reject(new JimengError("upstream_unavailable", "Poller closed"));
      if (options.signal?.aborted) return Promise.reject(options.signal.reason);
      return new Promise<HistoryRecord>((resolve, reject) => {
        const onAbort = () => {
          if (!watches.has(watch)) return;
          finish(watch);
          reject(options.signal!.reason);
          arm();
        };
        const watch: Watch = {
          options,
          state: {
            kind: options.kind,
            submittedAt: options.submittedAt,
            polls: 0,
            last: "none",
            failures: 0,
            interval: 0,
          },
          due: 0,
          lastPollAt: deps.now(),
          lastSeenAge: 0,
          status: undefined,
          queue: undefined,
          lastQueuedAt: undefined,
          queueEndsAt: undefined,
          expectedFinishAt: options.submittedAt + options.typicalMs,
          inFlight: false,
          missingSince: undefined,
          resolve,
          reject,
          cleanup: () => options.signal?.removeEventListener("abort", onAbort),
        };
        options.signal?.addEventListener("abort", onAbort, { once: true });
        schedule(watch);
        watches.add(watch);
        arm();
      });
    },
    estimate: (key) => estimates.get(key),
    learn,
    size: () => watches.size,
    close() {
      closed = true;
      cancelTimer?.();
      cancelTimer = undefined;
      for (const watch of [...watches]) {
        finish(watch);
        watch.reject(new JimengError("upstream_unavailable", "The server is shutting down"));
      }
    },
  };
}

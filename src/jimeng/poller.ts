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
 * This module holds only the timers, the batches, the ride-along and sibling
 * hints and the learned run times. What an answer means for a record is
 * `poll_record.ts`; every timing decision — when to poll next, what a
 * completion teaches about the model's run time, who rides along — is made
 * by the pure functions of `poll_schedule.ts`. The poller learns per model
 * how long a generation runs (from the end of any upstream queue to the
 * result), so polls concentrate around the expected finish; `learn` seeds
 * that knowledge, e.g. from the database at start, and `onLearn` reports it,
 * so it can be kept.
 * @module
 */
import { JimengError } from "./errors.ts";
import type { HistoryRecord, RecordKind } from "./history.ts";
import type { Session } from "./http.ts";
import {
  type AnswerContext,
  applyAnswer,
  type PollProgress,
  type RecordTrack,
  runAge,
  startTrack,
} from "./poll_record.ts";
import { blendEstimate, ridesAlong, scheduleShape, siblingDue } from "./poll_schedule.ts";

export type { PollProgress, QueueProgress } from "./poll_record.ts";

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
  track: RecordTrack;
  inFlight: boolean;
  resolve: (record: HistoryRecord) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/** Creates the scheduler. */
export function createPoller(deps: PollerDeps, options: PollerOptions = {}): Poller {
  const batchSize = options.batchSize ?? 40;
  const limits = {
    maxImageIntervalMs: options.maxImageIntervalMs,
    maxVideoIntervalMs: options.maxVideoIntervalMs,
  };
  const estimates = new Map<string, number>();
  const watches = new Set<Watch>();
  let cancelTimer: (() => void) | undefined;
  let timerDue = Infinity;
  let closed = false;

  function context(watched: WatchOptions, now: number): AnswerContext {
    const learned = estimates.get(watched.estimateKey);
    return {
      now,
      estimate: { runMs: learned ?? watched.typicalMs, learned: learned !== undefined },
      missingGraceMs: options.missingGraceMs ?? 60_000,
      limits,
    };
  }

  function tightOf(watch: Watch): number {
    const runMs = estimates.get(watch.options.estimateKey) ?? watch.options.typicalMs;
    return scheduleShape(runMs, watch.options.kind).tight;
  }

  function learn(key: string, durationMs: number): void {
    const value = blendEstimate(estimates.get(key), durationMs);
    estimates.set(key, value);
    options.onLearn?.(key, value);
  }

  function arm(): void {
    if (closed) return;
    let earliest = Infinity;
    for (const watch of watches) {
      if (!watch.inFlight && watch.track.due < earliest) earliest = watch.track.due;
    }
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
      if (watch.inFlight || watch.track.due > horizon) continue;
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
      !watch.inFlight && watch.track.due > horizon && groups.has(groupKey(watch)) &&
      ridesAlong(watch.track.due, watch.track.lastPollAt, now, tightOf(watch))
    ).sort((a, b) => a.track.due - b.track.due);
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
      const answer = failure === undefined
        ? { record: records!.get(watch.options.historyId) }
        : { failure };
      const outcome = applyAnswer(watch.track, answer, context(watch.options, now));
      if (outcome.type === "waiting") {
        if (outcome.progress) watch.options.onProgress?.(outcome.progress);
        continue;
      }
      finish(watch);
      if (outcome.type === "failed") {
        watch.reject(outcome.error);
        continue;
      }
      if (outcome.learned) {
        const key = watch.options.estimateKey;
        const { sample, seenAge } = outcome.learned;
        if (sample !== undefined) learn(key, sample);
        finishedAfter.set(key, Math.min(finishedAfter.get(key) ?? Infinity, seenAge));
      }
      watch.resolve(outcome.record);
    }
    // A running record of a model that finished after no longer a run may be finished too.
    for (const watch of finishedAfter.size > 0 ? watches : []) {
      const since = finishedAfter.get(watch.options.estimateKey);
      const age = runAge(watch.track, now);
      if (since === undefined || watch.inFlight || age < 0) continue;
      watch.track.due = siblingDue(watch.track.due, age, since, now, tightOf(watch));
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
          track: startTrack(options, context(options, deps.now())),
          inFlight: false,
          resolve,
          reject,
          cleanup: () => options.signal?.removeEventListener("abort", onAbort),
        };
        options.signal?.addEventListener("abort", onAbort, { once: true });
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

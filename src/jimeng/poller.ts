/**
 * One polling scheduler for every generation in flight.
 *
 * Each watched record has a due time; a single timer wakes at the earliest
 * one, and due records of the same account are fetched together in one
 * `get_history_by_ids` call. The schedule is adaptive: the poller learns per
 * model how long generations take (an exponentially weighted average of the
 * observed completion times) and concentrates polls around the expected
 * finish, so results are seen soon after the upstream completes without
 * polling every second from the start.
 *
 * Three refinements keep the first generations of a model prompt and the
 * upstream calls few: while nothing is learned for a model, its typical
 * duration is only a guess, so a running record is searched for with gaps
 * that grow with its age ({@linkcode coldSearchGap}); a completed record
 * tells its siblings (records of the model that have run at least as long are
 * looked at at once, whatever account they are on); and when a call goes out
 * for an account, records of that account more than halfway to their own next
 * poll ride along in it.
 * @module
 */
import { errorFromFailCode, JimengError } from "./errors.ts";
import type { HistoryRecord, RecordKind } from "./history.ts";
import { isComplete, isFailed } from "./history.ts";
import type { Session } from "./http.ts";

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

/** Progress report of a watched record. */
export interface PollProgress {
  status: number;
  elapsedMs: number;
  /** Expected total duration, from what the poller has learned. */
  expectedMs: number;
}

/** What to watch. */
export interface WatchOptions {
  session: Session;
  historyId: string;
  kind: RecordKind;
  /** Key for learning durations, e.g. the model's request key. */
  estimateKey: string;
  /** First guess of the duration until something is learned. */
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
  /** Current duration estimate for a key (ms), or `undefined`. */
  estimate(key: string): number | undefined;
  /** Seeds the estimate for a key, e.g. from stored history at start-up. */
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
}

interface Watch {
  options: WatchOptions;
  due: number;
  /** When it was last polled (or started being watched), Unix ms. */
  lastPollAt: number;
  polls: number;
  lastPollElapsed: number;
  interval: number;
  inFlight: boolean;
  missingSince: number | undefined;
  resolve: (record: HistoryRecord) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * A record due within this fraction of its own wait (since its last poll) rides
 * along in a call made for its account anyway.
 */
const RIDE_ALONG_FRACTION = 0.5;

/** A completion seen within a wider bracket (a fraction of its age) that holds the estimate teaches nothing. */
const MAX_LEARNING_BRACKET = 0.2;

/** Schedule shape for a given expected duration (exported for tests). */
export function scheduleShape(expectedMs: number, kind: RecordKind) {
  // Videos are few and long: a finer step costs few calls and saves seconds of waiting.
  const tight = kind === "image"
    ? clamp(expectedMs * 0.025, 80, 300)
    : clamp(expectedMs * 0.0125, 100, 400);
  const lead = Math.max(2 * tight, expectedMs * 0.06);
  // A first look early on catches moderation failures and confirms the record exists.
  const probe = expectedMs > 2000 ? Math.min(1000, expectedMs * 0.25) : Infinity;
  // Videos report progress, so they are looked at now and then while they run.
  const progressGap = kind === "video" ? Math.max(2000, expectedMs * 0.2) : Infinity;
  return { tight, lead, probe, progressGap };
}

/**
 * The gap before the next poll of a running record (past status 20) of a
 * model whose duration is not learned yet: 2.5 % of its age, within
 * 250–1000 ms for images and 500–2000 ms for videos. The typical duration of
 * a model is only a first guess (a video model's 40–180 s may be 20 s on a
 * quiet day), so until one generation has been seen the record is searched
 * for with a step that is a fixed fraction of the time spent; batched per
 * account, that is at most a few calls per second, whatever the number of jobs.
 */
export function coldSearchGap(elapsedMs: number, kind: RecordKind): number {
  const [floor, cap] = kind === "image" ? [250, 1000] : [500, 2000];
  return clamp(elapsedMs * 0.025, floor, cap);
}

/** Creates the scheduler. */
export function createPoller(deps: PollerDeps, options: PollerOptions = {}): Poller {
  const batchSize = options.batchSize ?? 40;
  const missingGrace = options.missingGraceMs ?? 60_000;
  const estimates = new Map<string, number>();
  const watches = new Set<Watch>();
  let cancelTimer: (() => void) | undefined;
  let timerDue = Infinity;
  let closed = false;

  function expected(watch: Watch): number {
    const key = watch.options.estimateKey;
    return estimates.get(key) ?? watch.options.typicalMs;
  }

  function learn(key: string, durationMs: number): void {
    const previous = estimates.get(key);
    const sample = Math.max(0, durationMs);
    estimates.set(key, previous === undefined ? sample : previous + 0.4 * (sample - previous));
  }

  /**
   * Decides when to poll next, from the elapsed time and what the record said;
   * while the model's duration is unknown, no later than the cold search step.
   */
  function nextDue(watch: Watch, status: number | undefined): number {
    const due = plannedDue(watch, status);
    const { estimateKey, kind, submittedAt } = watch.options;
    // Status 20: not started upstream (queued), so not about to finish either.
    if (estimates.has(estimateKey) || watch.polls === 0 || status === 20) return due;
    if (watch.missingSince !== undefined) return due;
    const now = deps.now();
    return Math.min(due, now + coldSearchGap(now - submittedAt, kind));
  }

  /** The schedule around the expected duration. */
  function plannedDue(watch: Watch, status: number | undefined): number {
    const { submittedAt, kind } = watch.options;
    const now = deps.now();
    const elapsed = now - submittedAt;
    const exp = expected(watch);
    const { tight, lead, probe, progressGap } = scheduleShape(exp, kind);
    const maxInterval = kind === "image"
      ? (options.maxImageIntervalMs ?? 2000)
      : (options.maxVideoIntervalMs ?? 10_000);
    const approach = exp - lead;
    if (watch.missingSince !== undefined) return now + clamp(tight * 4, 250, 1000);
    if (watch.polls === 0) return submittedAt + clamp(Math.min(probe, approach), 0, Infinity);
    // Within one dense step of the window (e.g. after riding along early), it has begun.
    if (elapsed < approach - tight) {
      return now + Math.min(approach - elapsed, progressGap, maxInterval * 5);
    }
    // Around the expected finish: poll densely, unless the upstream has not even
    // started (status 20) — then the estimate is off and backing off is better.
    if (elapsed < exp + lead && status !== 20) {
      watch.interval = tight;
      return now + tight;
    }
    watch.interval = clamp(Math.max(watch.interval, tight) * 1.6, tight, maxInterval);
    return now + watch.interval;
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
    // A call goes out for these accounts anyway: records more than halfway to
    // their next poll, or within one dense step of it, join it (and from then
    // on share its rhythm).
    const riders = [...watches].filter((watch) => {
      if (watch.inFlight || watch.due <= horizon || !groups.has(groupKey(watch))) return false;
      const ahead = watch.due - now;
      const waited = now - watch.lastPollAt;
      if (waited >= RIDE_ALONG_FRACTION * (watch.due - watch.lastPollAt)) return true;
      // One dense step early is cheap, and aligns records entering the dense window.
      const { tight } = scheduleShape(expected(watch), watch.options.kind);
      return ahead <= tight && waited >= tight;
    }).sort((a, b) => a.due - b.due);
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
    /** Per model: the least age at which a record just found finished was last seen running. */
    const finishedAfter = new Map<string, number>();
    for (const watch of batch) {
      watch.inFlight = false;
      if (!watches.has(watch)) continue;
      watch.polls++;
      watch.lastPollAt = now;
      const elapsed = now - watch.options.submittedAt;
      if (failure !== undefined) {
        if (failure instanceof JimengError && failure.retriable) {
          watch.interval = Math.max(watch.interval, 500);
          watch.due = nextDue(watch, undefined);
        } else {
          finish(watch);
          watch.reject(failure);
        }
        continue;
      }
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
        } else watch.due = nextDue(watch, undefined);
        continue;
      }
      watch.missingSince = undefined;
      if (isComplete(record, watch.options.expectedItems)) {
        // The upstream finished somewhere between the previous poll and this one.
        // A wide bracket that holds the estimate (e.g. a sibling looked at late)
        // confirms it without saying more, and its midpoint would drag it off.
        const bracket = elapsed - watch.lastPollElapsed;
        const known = estimates.get(watch.options.estimateKey);
        const { tight } = scheduleShape(expected(watch), kind);
        if (
          known === undefined || known < watch.lastPollElapsed || known > elapsed ||
          bracket <= Math.max(2 * tight, MAX_LEARNING_BRACKET * elapsed)
        ) {
          learn(watch.options.estimateKey, (watch.lastPollElapsed + elapsed) / 2);
        }
        const key = watch.options.estimateKey;
        finishedAfter.set(key, Math.min(finishedAfter.get(key) ?? Infinity, watch.lastPollElapsed));
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
      watch.lastPollElapsed = elapsed;
      watch.options.onProgress?.({
        status: record.status,
        elapsedMs: elapsed,
        expectedMs: expected(watch),
      });
      watch.due = nextDue(watch, record.status);
    }
    // A record of the same model that has run at least as long as a finished
    // one had may be finished too (e.g. submitted with it on another account):
    // look now rather than at its next planned poll.
    for (const watch of finishedAfter.size > 0 ? watches : []) {
      const since = finishedAfter.get(watch.options.estimateKey);
      if (since === undefined || watch.inFlight) continue;
      if (now - watch.options.submittedAt < since) continue;
      const { tight } = scheduleShape(expected(watch), watch.options.kind);
      if (watch.due - now > tight) watch.due = now;
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
          due: 0,
          lastPollAt: deps.now(),
          polls: 0,
          lastPollElapsed: 0,
          interval: 0,
          inFlight: false,
          missingSince: undefined,
          resolve,
          reject,
          cleanup: () => options.signal?.removeEventListener("abort", onAbort),
        };
        options.signal?.addEventListener("abort", onAbort, { once: true });
        watch.due = nextDue(watch, undefined);
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

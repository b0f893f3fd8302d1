/**
 * When to look at a generation again: the poller's schedule as pure
 * functions of what is known about one record (how often it was polled and
 * what the last poll said, its queue position, the model's expected run time)
 * and the current time. No clock, timer or I/O here; `poller.ts` drives them.
 *
 * The rules, in order:
 * - a record the upstream does not know yet is looked for again soon;
 * - after a retriable failure, the next poll waits at least a growing gap;
 * - the first poll comes early (a probe, which catches moderation failures);
 * - while the record is queued (`queue_info` / `forecast_queue_cost`), it is
 *   looked at now and then for the position, and in fine steps within the
 *   last second the forecast gives the queue; the run-time clock starts only
 *   when the queue ends;
 * - while it runs (statuses 20, 42 and 45 alike), polls concentrate around
 *   the expected finish (queue end or submit + the model's run time): one
 *   jump to just before it, dense steps around it, a growing back-off after it;
 * - while nothing is learned for the model, its run time is only a guess, so
 *   the record is also searched for with steps of a fixed share of its age.
 * @module
 */
import type { QueueInfo, RecordKind } from "./history.ts";

/** Longest waits between two polls. */
export interface ScheduleLimits {
  /** @default 2000 */
  maxImageIntervalMs: number;
  /** @default 10000 */
  maxVideoIntervalMs: number;
}

/** What the last poll of a record found. */
export type LastPoll =
  /** Not polled yet. */
  | "none"
  /** The record, still unfinished. */
  | "seen"
  /** No record: the upstream does not know it (yet). */
  | "missing"
  /** A retriable failure of the call. */
  | "failed";

/** The poller's knowledge of one record. */
export interface RecordState {
  kind: RecordKind;
  /** Unix ms the task was submitted. */
  submittedAt: number;
  /** Polls made so far (answered or failed). */
  polls: number;
  last: LastPoll;
  /** Consecutive retriable failures. */
  failures: number;
  /**
   * When the record started to run: the end of the queue it was seen in, or
   * (never seen queued) its submit time when absent.
   */
  runStartedAt?: number;
  /** The back-off step reached after the expected finish (0 before). */
  interval: number;
}

/** The model's run time, learned or guessed. */
export interface RunEstimate {
  runMs: number;
  /** Whether it was learned from finished generations (else it is the model's typical guess). */
  learned: boolean;
}

/** Everything the next poll depends on. */
export interface ScheduleInput {
  record: RecordState;
  /**
   * The last status seen. 20, 42 and 45 all mean "in progress" (20 is not
   * "not started"), so the schedule does not depend on it; the queue does.
   */
  status?: number;
  /** Set while the last answer said the record is queued. */
  queue?: QueueInfo;
  estimate: RunEstimate;
  now: number;
  limits?: Partial<ScheduleLimits>;
}

/** Which rule chose the time (for tests and debugging). */
export type ScheduleRule =
  | "probe"
  | "missing"
  | "retry"
  | "queued"
  | "queue_end"
  | "approach"
  | "dense"
  | "overdue"
  | "cold_search";

/** The decision. */
export interface NextPoll {
  /** Unix ms of the next poll. */
  due: number;
  /** The back-off step to remember for the next decision. */
  interval: number;
  /** When the record is expected to finish, for progress. */
  expectedFinishAt: number;
  rule: ScheduleRule;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** The shape of the schedule around an expected run time. */
export interface ScheduleShape {
  /** Step of dense polling around the expected finish. */
  tight: number;
  /** How long before the expected finish dense polling begins. */
  lead: number;
  /** Age of the first poll. */
  probe: number;
  /** Longest gap while a video runs (it reports progress); `Infinity` for images. */
  progressGap: number;
}

/** The schedule's shape for an expected run time. */
export function scheduleShape(expectedMs: number, kind: RecordKind): ScheduleShape {
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
 * The gap before the next poll of a running record of a model whose run time
 * is not learned yet: 2.5 % of its run age, within 250–1000 ms for images and
 * 500–2000 ms for videos. The typical run time of a model is only a first
 * guess (a video model's 40–180 s may be 20 s on a quiet day), so until one
 * generation has been seen, a record is searched for with a step that is a
 * fixed fraction of the time spent; batched per account, that is at most a
 * few calls per second, whatever the number of jobs.
 */
export function coldSearchGap(ageMs: number, kind: RecordKind): number {
  const [floor, cap] = kind === "image" ? [250, 1000] : [500, 2000];
  return clamp(ageMs * 0.025, floor, cap);
}

/** How long a record unknown upstream waits before it is looked for again. */
function missingGap(tight: number): number {
  return clamp(tight * 4, 250, 1000);
}

/** The wait after `failures` retriable failures in a row: 0.5 s, doubling, up to `max`. */
export function retryGap(failures: number, max: number): number {
  return Math.min(max, 500 * 2 ** Math.max(0, failures - 1));
}

/** Upstream queue forecasts are whole seconds: the end of a queue is only known to this. */
const QUEUE_END_WINDOW_MS = 1000;

/**
 * The step that finds when a queue ended: two dense steps, so the run's start
 * is known as well as the dense window needs it.
 */
function queueEndStep(shape: ScheduleShape): number {
  return Math.max(150, 2 * shape.tight);
}

/** How often a queued record is looked at for its position, at most. */
function queueRefreshGap(kind: RecordKind, maxInterval: number): number {
  return Math.min(maxInterval, kind === "image" ? 2000 : 5000);
}

function maxIntervalOf(kind: RecordKind, limits: Partial<ScheduleLimits> = {}): number {
  return kind === "image" ? limits.maxImageIntervalMs ?? 2000 : limits.maxVideoIntervalMs ?? 10_000;
}

/**
 * When the record should be expected to finish: a queued one after the
 * forecast wait and a whole run from now; a running one a run after it
 * started.
 */
export function expectedFinish(input: ScheduleInput): number {
  const { record, queue, estimate, now } = input;
  if (queue) return now + (queue.forecastMs ?? 0) + estimate.runMs;
  return (record.runStartedAt ?? record.submittedAt) + estimate.runMs;
}

/** The schedule of a record the last answer showed running (or queued). */
function plan(input: ScheduleInput): NextPoll {
  const { record, queue, estimate, now } = input;
  const { kind } = record;
  const maxInterval = maxIntervalOf(kind, input.limits);
  const shape = scheduleShape(estimate.runMs, kind);
  const expectedFinishAt = expectedFinish(input);
  const keep = record.interval;
  if (queue) {
    // Nothing finishes before its queue ends. Far from the end: look now and
    // then for the position, and just before the forecast says it ends.
    const refresh = queueRefreshGap(kind, maxInterval);
    const forecast = queue.forecastMs;
    if (forecast === undefined) {
      return { due: now + refresh, interval: keep, expectedFinishAt, rule: "queued" };
    }
    const step = queueEndStep(shape);
    if (forecast > QUEUE_END_WINDOW_MS) {
      const wait = Math.min(refresh, forecast - QUEUE_END_WINDOW_MS + step);
      return { due: now + wait, interval: 0, expectedFinishAt, rule: "queued" };
    }
    // Forecasts come in whole seconds: within the last one, steps fine enough
    // to tell when the run began, growing while a stale forecast keeps saying
    // "one second".
    const interval = keep === 0 ? step : clamp(keep * 1.25, step, refresh);
    return { due: now + interval, interval, expectedFinishAt, rule: "queue_end" };
  }
  const runStart = record.runStartedAt ?? record.submittedAt;
  const age = now - runStart;
  const { tight, lead, progressGap } = shape;
  const approach = estimate.runMs - lead;
  let next: NextPoll;
  if (age < approach - tight) {
    // Before the window: one jump to it (videos stop on the way to report progress).
    next = {
      due: now + Math.min(approach - age, progressGap, maxInterval * 5),
      interval: keep,
      expectedFinishAt,
      rule: "approach",
    };
  } else if (age < estimate.runMs + lead) {
    // In the window, or within one dense step of it (e.g. after riding along early).
    return { due: now + tight, interval: tight, expectedFinishAt, rule: "dense" };
  } else {
    const interval = clamp(Math.max(keep, tight) * 1.6, tight, maxInterval);
    next = { due: now + interval, interval, expectedFinishAt, rule: "overdue" };
  }
  if (!estimate.learned) {
    const search = now + coldSearchGap(age, kind);
    if (search < next.due) next = { ...next, due: search, rule: "cold_search" };
  }
  return next;
}

/** The next poll of one record. */
export function nextPoll(input: ScheduleInput): NextPoll {
  const { record, estimate, now } = input;
  const shape = scheduleShape(estimate.runMs, record.kind);
  switch (record.last) {
    case "none": {
      const approach = estimate.runMs - shape.lead;
      return {
        due: record.submittedAt + Math.max(0, Math.min(shape.probe, approach)),
        interval: record.interval,
        expectedFinishAt: expectedFinish(input),
        rule: "probe",
      };
    }
    case "missing":
      return {
        due: now + missingGap(shape.tight),
        interval: record.interval,
        expectedFinishAt: expectedFinish(input),
        rule: "missing",
      };
    case "failed": {
      const planned = plan(input);
      const retry = now + retryGap(record.failures, maxIntervalOf(record.kind, input.limits));
      return retry > planned.due ? { ...planned, due: retry, rule: "retry" } : planned;
    }
    case "seen":
      return plan(input);
  }
}

/**
 * When a record that was seen queued started to run, once a poll shows it
 * out of the queue: the middle of the bracket (the last poll that saw it
 * queued, now) when it is no wider than a forecast's granularity, else when
 * the forecast said the queue would end, kept within the bracket.
 */
export function runStartAfterQueue(
  lastQueuedAt: number,
  forecastEndAt: number | undefined,
  now: number,
): number {
  const middle = (lastQueuedAt + now) / 2;
  if (now - lastQueuedAt <= QUEUE_END_WINDOW_MS || forecastEndAt === undefined) return middle;
  return clamp(forecastEndAt, lastQueuedAt, now);
}

/** A completion seen within a wider bracket (a fraction of its age) that holds the estimate teaches nothing. */
const MAX_LEARNING_BRACKET = 0.2;

/**
 * What a completion teaches about the run time: the middle of the bracket
 * between the run age of the last poll that saw it running and the run age
 * it was found finished at — unless the bracket is wide and the known
 * estimate lies inside it (e.g. a sibling looked at late): then it confirms
 * the estimate without saying more, and its midpoint would drag it off.
 */
export function learningSample(bracket: {
  /** Run age of the last poll that saw it unfinished (0 if none did while it ran). */
  lastSeenAge: number;
  /** Run age at which it was found finished. */
  foundAge: number;
  /** The learned run time, if any. */
  known: number | undefined;
  /** The run time the schedule used (learned or guessed). */
  expectedMs: number;
  kind: RecordKind;
}): number | undefined {
  const { lastSeenAge, foundAge, known } = bracket;
  const { tight } = scheduleShape(bracket.expectedMs, bracket.kind);
  const holds = known !== undefined && known >= lastSeenAge && known <= foundAge;
  const wide = foundAge - lastSeenAge > Math.max(2 * tight, MAX_LEARNING_BRACKET * foundAge);
  if (holds && wide) return undefined;
  return Math.max(0, (lastSeenAge + foundAge) / 2);
}

/** An estimate moved towards a new sample (an exponentially weighted average). */
export function blendEstimate(previous: number | undefined, sample: number): number {
  const value = Math.max(0, sample);
  return previous === undefined ? value : previous + 0.4 * (value - previous);
}

/**
 * A record due within this fraction of its own wait (since its last poll) rides
 * along in a call made for its account anyway.
 */
const RIDE_ALONG_FRACTION = 0.5;

/**
 * Whether a record not due yet joins a call made for its account now: when
 * more than halfway to its next poll, or within one dense step of it (cheap,
 * and it aligns records entering the dense window).
 */
export function ridesAlong(
  due: number,
  lastPollAt: number,
  now: number,
  tight: number,
): boolean {
  const waited = now - lastPollAt;
  if (waited >= RIDE_ALONG_FRACTION * (due - lastPollAt)) return true;
  return due - now <= tight && waited >= tight;
}

/**
 * The due time of a running record once another record of its model, found
 * finished, had run no longer than this one has: it may be finished too
 * (e.g. submitted with it on another account), so it is looked at now rather
 * than at its next planned poll.
 */
export function siblingDue(
  due: number,
  runAge: number,
  finishedAfterAge: number,
  now: number,
  tight: number,
): number {
  if (runAge < finishedAfterAge) return due;
  return due - now > tight ? now : due;
}

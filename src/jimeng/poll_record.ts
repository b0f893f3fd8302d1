/**
 * One watched record between polls, and what an answer does to it: a pure
 * state machine (no clock, timer or I/O) that the poller drives. An answer is
 * the record, its absence, or a failed call; the outcome says whether the
 * record is still awaited (with its next due time and a progress report),
 * finished (with what it teaches about the model's run time), or failed.
 * When to poll next is decided by `poll_schedule.ts`.
 * @module
 */
import { errorFromFailCode, JimengError } from "./errors.ts";
import {
  type HistoryRecord,
  isComplete,
  isFailed,
  type QueueInfo,
  type RecordKind,
} from "./history.ts";
import {
  learningSample,
  nextPoll,
  type RecordState,
  type RunEstimate,
  runStartAfterQueue,
  type ScheduleLimits,
} from "./poll_schedule.ts";

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

/** What is known about one watched record. */
export interface RecordTrack {
  historyId: string;
  /** Results that make a record complete even before its final status. */
  expectedItems: number;
  /** What the schedule reads. */
  schedule: RecordState;
  /** Unix ms of its next poll. */
  due: number;
  /** When it was last polled (or started being watched). */
  lastPollAt: number;
  expectedFinishAt: number;
  status: number | undefined;
  queue: QueueInfo | undefined;
  /** When the last poll that saw it queued was made, and when that poll's forecast said the queue ends. */
  lastQueuedAt: number | undefined;
  queueEndsAt: number | undefined;
  /** Run age of the last poll that saw it running (0 while none did). */
  lastSeenAge: number;
  /** Since when the upstream does not know it. */
  missingSince: number | undefined;
}

/** What an answer is judged with. */
export interface AnswerContext {
  now: number;
  /** The model's run time, learned or guessed. */
  estimate: RunEstimate;
  /** How long a record may stay unknown upstream before it is an error. */
  missingGraceMs: number;
  limits?: Partial<ScheduleLimits>;
}

/** One poll's answer for a record. */
export type Answer =
  /** The call succeeded; `record` is absent when the upstream does not know it. */
  | { record: HistoryRecord | undefined }
  | { failure: unknown };

/** What an answer did. */
export type Outcome =
  /** Still awaited; `due` is set. `progress` when the record was seen. */
  | { type: "waiting"; progress?: PollProgress }
  /**
   * Done: resolve with `record`. `learned` when it completed (not when it
   * failed with results): the run-time sample, if any, and the run age at
   * which it was last seen unfinished.
   */
  | {
    type: "finished";
    record: HistoryRecord;
    learned?: { sample: number | undefined; seenAge: number };
  }
  /** Failed: reject with `error`. */
  | { type: "failed"; error: unknown };

/** A record just watched, with its first poll planned. */
export function startTrack(
  record: { historyId: string; kind: RecordKind; submittedAt: number; expectedItems: number },
  context: AnswerContext,
): RecordTrack {
  const track: RecordTrack = {
    historyId: record.historyId,
    expectedItems: record.expectedItems,
    schedule: {
      kind: record.kind,
      submittedAt: record.submittedAt,
      polls: 0,
      last: "none",
      failures: 0,
      interval: 0,
    },
    due: 0,
    lastPollAt: context.now,
    expectedFinishAt: 0,
    status: undefined,
    queue: undefined,
    lastQueuedAt: undefined,
    queueEndsAt: undefined,
    lastSeenAge: 0,
    missingSince: undefined,
  };
  plan(track, context);
  return track;
}

/** Sets the next due time from what the last poll said. */
function plan(track: RecordTrack, context: AnswerContext): void {
  const next = nextPoll({
    record: track.schedule,
    status: track.status,
    queue: track.queue,
    estimate: context.estimate,
    now: context.now,
    limits: context.limits,
  });
  track.due = next.due;
  track.schedule.interval = next.interval;
  track.expectedFinishAt = next.expectedFinishAt;
}

/** Run age: time since the run began (queue excluded); negative while queued. */
export function runAge(track: RecordTrack, now: number): number {
  if (track.queue) return -1;
  return now - (track.schedule.runStartedAt ?? track.schedule.submittedAt);
}

/** Takes in the queue state an answer showed (`undefined`: not queued, i.e. running or done). */
function noteQueue(track: RecordTrack, queue: QueueInfo | undefined, now: number): void {
  if (queue) {
    track.queue = queue;
    track.lastQueuedAt = now;
    track.queueEndsAt = queue.forecastMs === undefined ? undefined : now + queue.forecastMs;
    track.schedule.runStartedAt = undefined;
    track.lastSeenAge = 0;
    return;
  }
  if (track.lastQueuedAt !== undefined && track.schedule.runStartedAt === undefined) {
    // The queue just ended: the run-time clock starts when it did, and the
    // back-off of an earlier run phase is forgotten.
    track.schedule.runStartedAt = runStartAfterQueue(track.lastQueuedAt, track.queueEndsAt, now);
    track.schedule.interval = 0;
  }
  track.queue = undefined;
}

function progressOf(track: RecordTrack, now: number): PollProgress {
  const { submittedAt } = track.schedule;
  const progress: PollProgress = {
    status: track.status ?? 0,
    elapsedMs: now - submittedAt,
    expectedMs: track.expectedFinishAt - submittedAt,
  };
  if (track.queue) {
    const { position, length, forecastMs } = track.queue;
    progress.queue = { position, length, etaMs: forecastMs };
  }
  return progress;
}

/** Applies one poll's answer to a record. */
export function applyAnswer(track: RecordTrack, answer: Answer, context: AnswerContext): Outcome {
  const { now } = context;
  const { kind } = track.schedule;
  track.schedule.polls++;
  track.lastPollAt = now;
  if ("failure" in answer) {
    const { failure } = answer;
    if (!(failure instanceof JimengError && failure.retriable)) {
      return { type: "failed", error: failure };
    }
    track.schedule.last = "failed";
    track.schedule.failures++;
    plan(track, context);
    return { type: "waiting" };
  }
  track.schedule.failures = 0;
  const { record } = answer;
  if (!record) {
    track.missingSince ??= now;
    if (now - track.missingSince > context.missingGraceMs) {
      const error = new JimengError(
        "bad_response",
        `Jimeng does not know record ${track.historyId}`,
      );
      return { type: "failed", error };
    }
    track.schedule.last = "missing";
    plan(track, context);
    return { type: "waiting" };
  }
  track.missingSince = undefined;
  if (isComplete(record, track.expectedItems)) {
    noteQueue(track, undefined, now);
    const runStart = track.schedule.runStartedAt ?? track.schedule.submittedAt;
    const seenAge = Math.max(0, track.lastSeenAge);
    const sample = learningSample({
      lastSeenAge: seenAge,
      foundAge: now - runStart,
      known: context.estimate.learned ? context.estimate.runMs : undefined,
      expectedMs: context.estimate.runMs,
      kind,
    });
    return { type: "finished", record, learned: { sample, seenAge } };
  }
  if (isFailed(record)) {
    if (record.images.length + record.videos.length > 0) return { type: "finished", record };
    return { type: "failed", error: errorFromFailCode(record.failCode, kind) };
  }
  track.status = record.status;
  noteQueue(track, record.queue, now);
  track.schedule.last = "seen";
  plan(track, context);
  const age = runAge(track, now);
  if (age >= 0) track.lastSeenAge = age;
  return { type: "waiting", progress: progressOf(track, now) };
}

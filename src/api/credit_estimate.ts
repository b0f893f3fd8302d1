/**
 * What a generation request may cost, before it is submitted: the amount a
 * key's quota reserves. Jimeng publishes no price list (fact sheet 3.8: costs
 * are measured as the balance before minus after), so the estimate is the
 * larger of a deliberately generous table and the highest cost measured
 * lately for the same thing. A reservation larger than the real spend only
 * delays the next request until the spend is settled; a smaller one could
 * let a key go over its quota.
 *
 * An estimate is a function of the request alone ({@linkcode CreditAsk}).
 * An image request of `n` makes the tasks `splitImageCount(n)` makes (10 →
 * 4 + 4 + 2), each asking the upstream for its own count (`gen_count`), and
 * a task of fewer images costs less. So images are priced task by task: the
 * table's four-image price scaled to the task's count and rounded up
 * ({@linkcode imageTaskCredits}) — never below what the upstream charges for
 * that task while the four-image price is not (the fake upstream charges
 * the same way, `tests/fake_upstream/models.ts` `imageCost`) — or what a task
 * of that count was last measured to cost, if more. Videos are priced per
 * second.
 * @module
 */
import { IMAGES_PER_TASK, splitImageCount } from "../generation/images.ts";
import type { ImageModel, ImageResolution, VideoModel, VideoResolution } from "../jimeng/models.ts";

/** What a request asks the upstream to make. */
export type CreditAsk =
  | { kind: "image"; model: ImageModel; resolution: ImageResolution; n: number }
  | { kind: "video"; model: VideoModel; resolution: VideoResolution; seconds: number };

/** An estimate, with what its cost is learned under. */
export interface CreditEstimate {
  credits: number;
  kind: "image" | "video";
  /** Model and size (`model|resolution`): costs are measured per unit of this key. */
  costKey: string;
  /** Images asked for, or video seconds. */
  units: number;
}

/** Upstream tasks an image request of `n` images makes ({@linkcode splitImageCount}). */
export function imageTasks(n: number): number {
  return taskCounts(n).length;
}

/** The image counts of the tasks of an image request (`n` below 1 counts as 1). */
function taskCounts(n: number): number[] {
  return splitImageCount(Math.max(1, Math.floor(n)));
}

/** Credits of a task of `count` images at `perFour` credits a four-image task, rounded up. */
function taskCredits(count: number, perFour: number): number {
  return Math.ceil((perFour * count) / IMAGES_PER_TASK);
}

/** Credits of the tasks that make `n` images, at `perFour` credits a four-image task. */
export function imageTaskCredits(n: number, perFour: number): number {
  return taskCounts(n).reduce((sum, count) => sum + taskCredits(count, perFour), 0);
}

/** Credits per four-image task, by resolution. */
const IMAGE_TASK_CREDITS: Readonly<Record<ImageResolution, number>> = {
  "1k": 2,
  "1.5k": 4,
  "2k": 4,
  "4k": 8,
};

/** Credits per second of video, by resolution. */
const VIDEO_SECOND_CREDITS: Readonly<Record<VideoResolution, number>> = {
  "720p": 2,
  "1080p": 4,
  "4k": 8,
};

/** Premium models (Pro, Seedance) cost more than the base table. */
function premium(model: ImageModel | VideoModel): number {
  return /pro|seedance/i.test(model.id) ? 2 : 1;
}

/** The table's credits per unit of an ask: a four-image task, or a second of video. */
export function tableCredits(ask: CreditAsk): number {
  return ask.kind === "image"
    ? IMAGE_TASK_CREDITS[ask.resolution] * premium(ask.model)
    : VIDEO_SECOND_CREDITS[ask.resolution] * premium(ask.model);
}

/** Estimates and the costs they learn from. */
export interface CreditEstimator {
  estimate(ask: CreditAsk): CreditEstimate;
  /**
   * A request estimated as `estimate` spent `spent` credits. Images teach the
   * cost of a task of their size when every task of the request had the same
   * count (1 to 4 images, or 4 + 4); videos teach a cost per second.
   */
  learn(estimate: Pick<CreditEstimate, "kind" | "costKey" | "units">, spent: number): void;
}

/** Measurements remembered per cost key. */
const SAMPLES = 20;
/** Cost keys remembered. */
const MAX_KEYS = 500;

/** Creates an estimator. */
export function createCreditEstimator(): CreditEstimator {
  const measured = new Map<string, number[]>();
  const highest = (key: string) => Math.max(0, ...(measured.get(key) ?? []));
  const note = (key: string, sample: number) => {
    const samples = measured.get(key) ?? [];
    samples.push(sample);
    if (samples.length > SAMPLES) samples.shift();
    measured.delete(key);
    measured.set(key, samples);
    if (measured.size > MAX_KEYS) measured.delete(measured.keys().next().value!);
  };
  return {
    estimate(ask) {
      const costKey = `${ask.model.id}|${ask.resolution}`;
      const table = tableCredits(ask);
      if (ask.kind === "video") {
        const perSecond = Math.max(table, highest(costKey));
        return {
          credits: Math.ceil(perSecond * ask.seconds),
          kind: "video",
          costKey,
          units: ask.seconds,
        };
      }
      const counts = taskCounts(ask.n);
      const credits = counts.reduce(
        (sum, count) => sum + Math.max(taskCredits(count, table), highest(`${costKey}|${count}`)),
        0,
      );
      return { credits, kind: "image", costKey, units: counts.reduce((a, b) => a + b, 0) };
    },
    learn(estimate, spent) {
      const { kind, costKey, units } = estimate;
      if (units <= 0 || !Number.isFinite(spent) || spent < 0) return;
      if (kind === "video") {
        note(costKey, spent / units);
        return;
      }
      // A total spend tells a task's cost only when the tasks were alike.
      const counts = taskCounts(units);
      if (counts.some((count) => count !== counts[0])) return;
      note(`${costKey}|${counts[0]}`, Math.ceil(spent / counts.length));
    },
  };
}

/**
 * What a generation request may cost, before it is submitted: the amount a
 * key's quota reserves. Jimeng publishes no price list (fact sheet 3.8: costs
 * are measured as the balance before minus after), so the estimate is the
 * larger of a deliberately generous table and the highest cost measured
 * lately for the same model and size. A reservation larger than the real
 * spend only delays the next request until the spend is settled; a smaller
 * one could let a key go over its quota.
 *
 * An estimate is a function of the request alone ({@linkcode CreditAsk}):
 * how many upstream tasks an image request makes is {@linkcode imageTasks}.
 * @module
 */
import { IMAGES_PER_TASK } from "../generation/images.ts";
import type { ImageModel, ImageResolution, VideoModel, VideoResolution } from "../jimeng/models.ts";

/** What a request asks the upstream to make. */
export type CreditAsk =
  | { kind: "image"; model: ImageModel; resolution: ImageResolution; n: number }
  | { kind: "video"; model: VideoModel; resolution: VideoResolution; seconds: number };

/** An estimate, with what its cost is learned under. */
export interface CreditEstimate {
  credits: number;
  /** Model and size: costs are measured per unit of this key. */
  costKey: string;
  /** Image tasks or video seconds. */
  units: number;
}

/** Upstream tasks an image request of `n` images makes. */
export function imageTasks(n: number): number {
  return Math.max(1, Math.ceil(n / IMAGES_PER_TASK));
}

/** Credits per image task (up to four images), by resolution. */
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

/** The table's credits per unit of an ask. */
export function tableCredits(ask: CreditAsk): number {
  return ask.kind === "image"
    ? IMAGE_TASK_CREDITS[ask.resolution] * premium(ask.model)
    : VIDEO_SECOND_CREDITS[ask.resolution] * premium(ask.model);
}

/** Estimates and the costs they learn from. */
export interface CreditEstimator {
  estimate(ask: CreditAsk): CreditEstimate;
  /** A request of `costKey` spent `spent` credits over `units`. */
  learn(costKey: string, units: number, spent: number): void;
}

/** Measurements remembered per cost key. */
const SAMPLES = 20;
/** Cost keys remembered. */
const MAX_KEYS = 500;

/** Creates an estimator. */
export function createCreditEstimator(): CreditEstimator {
  const measured = new Map<string, number[]>();
  return {
    estimate(ask) {
      const costKey = `${ask.model.id}|${ask.resolution}`;
      const units = ask.kind === "image" ? imageTasks(ask.n) : ask.seconds;
      const perUnit = Math.max(tableCredits(ask), ...(measured.get(costKey) ?? []));
      return { credits: Math.ceil(perUnit * units), costKey, units };
    },
    learn(costKey, units, spent) {
      if (units <= 0 || !Number.isFinite(spent) || spent < 0) return;
      const samples = measured.get(costKey) ?? [];
      samples.push(spent / units);
      if (samples.length > SAMPLES) samples.shift();
      measured.delete(costKey);
      measured.set(costKey, samples);
      if (measured.size > MAX_KEYS) measured.delete(measured.keys().next().value!);
    },
  };
}

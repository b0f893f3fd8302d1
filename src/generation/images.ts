/**
 * Image generation as the API sees it: `n` images of a prompt, with optional
 * reference images, served by the account pool. The upstream makes as many
 * images as a task asks for, up to four, so `n > 4` runs several tasks in
 * parallel whose counts add up to `n` ({@linkcode splitImageCount}).
 * @module
 */
import { type FailoverDeps, runWithFailover } from "../accounts/failover.ts";
import type { Charge } from "../accounts/ledger.ts";
import type { Account } from "../accounts/pool.ts";
import type { ImageResult } from "../jimeng/history.ts";
import { MAX_IMAGES_PER_TASK } from "../jimeng/images.ts";
import type { ImageModel, ImageRatio, ImageResolution } from "../jimeng/models.ts";
import type { PollProgress } from "../jimeng/poller.ts";

/** A reference image as bytes. */
export interface ReferenceImage {
  bytes: Uint8Array;
}

/** Wraps bytes as a {@linkcode ReferenceImage}. */
export function referenceImage(bytes: Uint8Array): ReferenceImage {
  return { bytes };
}

/** A validated image request. */
export interface ImageJob {
  model: ImageModel;
  prompt: string;
  negativePrompt: string;
  ratio: ImageRatio;
  resolution: ImageResolution;
  sampleStrength: number;
  /** 1–10. */
  n: number;
  references: readonly ReferenceImage[];
}

/** One upstream task of a generation. */
export interface TaskInfo {
  historyId: string;
  account: Account;
  resolution: ImageResolution;
  durationMs: number;
  imageCount: number;
  /** The task's credits, settled once the account's balance after it is read. */
  charge?: Charge;
}

/** The result. */
export interface ImageGeneration {
  images: ImageResult[];
  tasks: TaskInfo[];
  /** Errors of tasks that failed while others succeeded. */
  partialErrors: unknown[];
}

/** What the service needs. */
export interface ImageServiceDeps extends FailoverDeps {
  imageTimeoutMs: number;
}

/** Options of {@linkcode generateImages}. */
export interface GenerateImagesOptions {
  /** Progress of the tasks while they wait upstream (queue place, elapsed and expected time). */
  onProgress?: (progress: PollProgress) => void;
}

/** Images per upstream task, at most. */
export const IMAGES_PER_TASK = MAX_IMAGES_PER_TASK;

/**
 * The image counts of the tasks that make `n` images: as few tasks as
 * possible, full ones first, the rest last (10 → 4 + 4 + 2, 5 → 4 + 1).
 * Each task costs a submission and polls of its own, so fewer tasks put less
 * load on the account; the images asked for in total are `n` either way.
 */
export function splitImageCount(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Cannot make ${n} images`);
  const counts: number[] = [];
  for (let left = n; left > 0; left -= IMAGES_PER_TASK) {
    counts.push(Math.min(IMAGES_PER_TASK, left));
  }
  return counts;
}

/** Options of {@linkcode generateImages}. */
export interface GenerateImagesOptions {
  /** Told about every attempt's charge (failed ones too). */
  onCharge?: (charge: Charge) => void;
}

/**
 * A signal for one task's upstream work that follows the client's `signal`
 * only until the task is being submitted: a client that goes away before
 * costs nothing; after, the paid task runs to its result. An attempt that
 * fails releases it again (the next attempt would be a new submit).
 */
function untilSubmitted(signal: AbortSignal | undefined) {
  const upstream = new AbortController();
  let committed = false;
  const follow = () => {
    if (!committed) upstream.abort(signal!.reason);
  };
  if (signal?.aborted) follow();
  else signal?.addEventListener("abort", follow, { once: true });
  return {
    signal: upstream.signal,
    commit: () => (committed = true),
    release() {
      committed = false;
      if (signal?.aborted) follow();
    },
    dispose: () => signal?.removeEventListener("abort", follow),
  };
}

/**
 * Generates `job.n` images. Tasks that fail while others succeed are
 * reported in `partialErrors`; if every task fails, the first error is thrown.
 */
export async function generateImages(
  deps: ImageServiceDeps,
  accounts: readonly Account[],
  job: ImageJob,
  signal?: AbortSignal,
  options: GenerateImagesOptions = {},
): Promise<ImageGeneration> {
  const runs = splitImageCount(job.n).map(async (count) => {
    const upstream = untilSubmitted(signal);
    try {
      return await runWithFailover(
        deps,
        accounts,
        job.model.regions,
        async (account) => {
          try {
            const referenceUris: string[] = [];
            for (const image of job.references) {
              referenceUris.push(
                (await deps.client.uploadImage(account.session, image.bytes, upstream.signal)).uri,
              );
            }
            const task = await deps.client.generateImageTask(account.session, {
              model: job.model,
              prompt: job.prompt,
              negativePrompt: job.negativePrompt,
              ratio: job.ratio,
              resolution: job.resolution,
              sampleStrength: job.sampleStrength,
              referenceUris,
              count,
            }, {
              deadline: deps.now() + deps.imageTimeoutMs,
              signal: upstream.signal,
              onSubmitting: upstream.commit,
              onProgress: options.onProgress,
            });
            // An upstream that ignored the count made four: hand out what was asked for.
            return { ...task, images: task.images.slice(0, count) };
          } catch (error) {
            upstream.release();
            throw error;
          }
        },
        upstream.signal,
        { onCharge: options.onCharge },
      );
    } finally {
      upstream.dispose();
    }
  });
  const settled = await Promise.allSettled(runs);
  const images: ImageResult[] = [];
  const tasks: TaskInfo[] = [];
  const partialErrors: unknown[] = [];
  for (const outcome of settled) {
    if (outcome.status === "rejected") {
      partialErrors.push(outcome.reason);
      continue;
    }
    const { value, account, charge } = outcome.value;
    images.push(...value.images);
    tasks.push({
      historyId: value.historyId,
      account,
      resolution: value.resolution,
      durationMs: value.durationMs,
      imageCount: value.images.length,
      charge,
    });
  }
  if (tasks.length === 0) throw partialErrors[0];
  return { images: images.slice(0, job.n), tasks, partialErrors };
}

/**
 * Durable generation jobs. A job is a row written before anything is sent
 * upstream (with the `submit_id` it will be submitted under), updated as it
 * progresses, and resumed after a restart: a job with a record id is only
 * polled again, a job without one is submitted again under the same
 * `submit_id` on the same account, which the upstream answers with the same
 * record — so nothing is generated or billed twice.
 *
 * Waiting is done by the client's one polling scheduler; this module only
 * decides what to submit and records what happens.
 * @module
 */
import type { Charge } from "../accounts/ledger.ts";
import type { Account } from "../accounts/pool.ts";
import { type FailoverDeps, runWithFailover } from "../accounts/failover.ts";
import { JimengError } from "../jimeng/errors.ts";
import type { HistoryRecord } from "../jimeng/history.ts";
import type { PollProgress } from "../jimeng/poller.ts";
import type { VideoVariant } from "../jimeng/videos.ts";
import {
  findModel,
  type ImageModel,
  type ImageRatio,
  type ImageResolution,
  type Model,
  type VideoModel,
  type VideoRatio,
  type VideoResolution,
} from "../jimeng/models.ts";
import { splitImageCount } from "../generation/images.ts";
import { videoSizeFor } from "../generation/sizes.ts";
import { deriveSubmitId } from "../jimeng/images.ts";
import { type Db, transaction } from "../store/db.ts";
import { deleteJobReferences, insertJobReferences } from "../store/job_references.ts";
import type { OmniJobParams } from "./omni_job.ts";
import type { ReferenceFileInput, ReferenceFiles } from "./reference_files.ts";
import {
  activeJobs,
  countJobsByStatus,
  deleteJob,
  deleteJobInputs,
  findJobByIdempotencyKey,
  getJob,
  insertJob,
  type Job,
  jobInputs,
  type JobPatch,
  type JobQueue,
  type JobResult,
  type JobStatus,
  listJobs,
  type ListJobsOptions,
  typicalDurations,
  updateJob,
} from "../store/jobs.ts";

/** Seals secrets into strings that can be stored, and opens them again. */
export interface SecretVault {
  seal(plain: string): string;
  open(sealed: string): string;
}

/** Parameters of a video job. */
export interface VideoJobParams {
  kind: "video";
  ratio: VideoRatio;
  resolution: VideoResolution;
  seconds: number;
  /** Omni-reference mode: the prompt's runs and the materials (stored as files). */
  omni?: OmniJobParams;
}

/** Parameters of an image job (1–10 images: up to three upstream tasks on one account). */
export interface ImageJobParams {
  kind: "image";
  ratio: ImageRatio;
  resolution: ImageResolution;
  negativePrompt: string;
  sampleStrength: number;
  n: number;
}

/** What a new job needs. */
export interface NewJob {
  model: Model;
  prompt: string;
  params: VideoJobParams | ImageJobParams;
  owner: string;
  /**
   * The caller's sessionids when it has no API key; sealed into the row so a
   * restart can resume the job. `null`: the operator's accounts serve it.
   */
  tokens: readonly string[] | null;
  idempotencyKey?: string | null;
  /** Fingerprint of the request, kept with an `idempotencyKey` to tell a reuse from a retry. */
  requestHash?: string | null;
  apiKeyId?: number | null;
  requestId?: string | null;
  /** Input images: the first and last frame of a video, or image references. */
  inputs: readonly Uint8Array[];
  /** Omni-reference materials, in prompt order (kept as files, see `reference_files.ts`). */
  references?: readonly (ReferenceFileInput & { kind: "image" | "video" | "audio" })[];
  /**
   * The signal of a client waiting for the result. If it aborts before the
   * job is submitted upstream, the job fails as `client_closed` and nothing
   * is submitted (nor paid); after the submit it is ignored: the paid job
   * runs on and keeps its result.
   */
  clientSignal?: AbortSignal;
  /** Wait this long (or until `clientSignal` aborts) before submitting. */
  holdMs?: number;
}

/** One result as the upstream produced it. */
export interface ResultItem {
  url: string;
  width?: number;
  height?: number;
  /** Videos: which file `url` is (see {@linkcode VideoVariant}). */
  variant?: VideoVariant;
}

/** Turns upstream results into what clients get (e.g. cached media URLs). */
export type Finalizer = (
  job: Job,
  account: Account,
  results: ResultItem[],
) => Promise<{ urls: string[]; mediaIds?: string[]; paths?: (string | null)[] }>;

/** A job dropped before its submit because the client waiting for it went away. */
export class ClientClosedError extends Error {
  override name = "ClientClosedError";
  constructor(readonly jobId: string) {
    super(
      `The client went away before job ${jobId} was submitted to Jimeng; nothing was generated or charged`,
    );
  }
}

/** Thrown to waiters when the server stops while their job still runs. */
export class JobInterruptedError extends Error {
  override name = "JobInterruptedError";
  constructor(readonly jobId: string) {
    super(
      `The server is shutting down; job ${jobId} continues when it is back: poll GET /v1/videos/${jobId}`,
    );
  }
}

/** What the runner needs. */
export interface JobRunnerDeps extends FailoverDeps {
  db: Db;
  vault: SecretVault;
  imageTimeoutMs: number;
  videoTimeoutMs: number;
  /** A failure as the client will see it: a stable code and a message saying what to do. */
  describeError: (error: unknown) => { code: string; message: string };
  finalize?: Finalizer;
  /** Submissions (uploads + submit calls) running at once. @default 16 */
  submitConcurrency?: number;
  /**
   * `best`: ask for each finished video's best file (watermark-free, else high
   * bitrate); `preview`: keep the file the record names. @default "best"
   */
  videoQuality?: "best" | "preview";
  /**
   * A job's model as its accounts' catalogs describe it (a model only a
   * catalog knows, or a built-in with the catalog's benefit types);
   * `undefined` leaves it to the built-in table. May throw when the
   * catalogs say the model cannot be used.
   */
  resolveModel?: (
    name: string,
    accounts: readonly Account[],
    signal: AbortSignal,
  ) => Promise<Model | undefined>;
  /**
   * Called with a job that just completed or failed, inside the transaction
   * that records it (e.g. to queue a webhook with it); errors are logged.
   */
  onFinished?: (job: Job) => void;
  /** Where omni-reference materials are kept; without it such jobs are refused. */
  referenceFiles?: ReferenceFiles;
}

/** How a job's upstream work ended, for the usage record of the request that created it. */
export interface JobOutcome {
  /** The account that produced the result; `null` when the job failed. */
  account: Account | null;
  historyId: string | null;
  /** The successful attempt's credits (see `src/accounts/ledger.ts`). */
  charge?: Charge;
  /** Every attempt's credits, failed ones included; empty when nothing reached the upstream. */
  charges: Charge[];
}

/** The runner. */
export interface JobRunner {
  /** Records a job and starts it. Returns the stored row. */
  create(input: NewJob): Job;
  get(id: string): Job | undefined;
  /** The job an owner created earlier with this `Idempotency-Key`. */
  findByIdempotencyKey(owner: string, key: string): Job | undefined;
  /** A page of jobs (see {@linkcode listJobs}). */
  list(options: ListJobsOptions): { jobs: Job[]; hasMore: boolean };
  /**
   * Resolves with the job once it is completed or failed, `undefined` if it
   * is deleted meanwhile; rejects with {@linkcode JobInterruptedError} on shutdown.
   */
  wait(id: string, signal?: AbortSignal): Promise<Job | undefined>;
  /**
   * Resolves when a job this process created ends, with its account (when it
   * succeeded) and the credits of every attempt; `undefined` when the server
   * stopped first.
   */
  outcome(id: string): Promise<JobOutcome | undefined>;
  /** Calls `listener` with the job after every change; returns the unsubscribe function. */
  subscribe(id: string, listener: (job: Job) => void): () => void;
  /** Deletes a job, stopping its polling (the upstream work itself cannot be cancelled). */
  remove(id: string): boolean;
  /**
   * Starts every unfinished job; returns how many. Models the poller has no
   * run time for yet (none was stored) start from their finished jobs.
   */
  resume(): number;
  /** Jobs per status (for metrics and the console). */
  counts(): Record<JobStatus, number>;
  /** Jobs being driven right now. */
  running(): number;
  /** Stops driving jobs without failing them: they stay queued for the next start. */
  close(): void;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(["completed", "failed"]);

/** A resumed job whose deadline passed while the server was down still gets one look. */
const RESUME_GRACE_MS = 30_000;

function newJobId(kind: "image" | "video"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${kind}_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** `x-expires` (Unix seconds) of a signed CDN URL, as ms. */
export function urlExpiry(url: string): number | null {
  try {
    const value = Number(new URL(url).searchParams.get("x-expires"));
    return Number.isFinite(value) && value > 0 ? value * 1000 : null;
  } catch {
    return null;
  }
}

/** Estimated progress (0–99) of a running generation. */
export function estimateProgress(elapsedMs: number, expectedMs: number): number {
  if (expectedMs <= 0) return 50;
  // Linear up to 90 % of the expected time, then creeping towards 99.
  const ratio = elapsedMs / expectedMs;
  const value = ratio <= 0.9 ? ratio * 100 : 90 + 9 * (1 - Math.exp(-(ratio - 0.9) * 3));
  return Math.max(1, Math.min(99, Math.floor(value)));
}

/** The queue place a progress report gives, as a job row keeps it. */
export function jobQueueOf(report: PollProgress, now: number): JobQueue | null {
  if (!report.queue) return null;
  const { position, length, etaMs } = report.queue;
  return { position, length: length ?? null, endsAt: etaMs === undefined ? null : now + etaMs };
}

/**
 * Whether two queue places differ enough to write: another position or
 * length, or a forecast end moved by more than its one-second granularity.
 */
export function queueChanged(a: JobQueue | null, b: JobQueue | null): boolean {
  if (a === null || b === null) return a !== b;
  if (a.position !== b.position || a.length !== b.length) return true;
  if (a.endsAt === null || b.endsAt === null) return a.endsAt !== b.endsAt;
  return Math.abs(a.endsAt - b.endsAt) > 1500;
}

interface Waiter {
  /** Settles with `undefined` (the job was deleted) or an error. */
  settle: (error?: unknown) => void;
}

/** Creates the runner. */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { db, log } = deps;
  const controllers = new Map<string, AbortController>();
  const listeners = new Map<string, Set<(job: Job) => void>>();
  const waiters = new Map<string, Set<Waiter>>();
  const outcomes = new Map<
    string,
    { promise: Promise<JobOutcome | undefined>; resolve: (o?: JobOutcome) => void }
  >();
  /** Waiting clients' signals and holds of jobs this process created. */
  const clients = new Map<string, { signal?: AbortSignal; holdMs: number }>();
  let closed = false;
  let submitting = 0;
  const submitQueue: (() => void)[] = [];
  const submitLimit = deps.submitConcurrency ?? 16;

  async function withSubmitSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (submitting >= submitLimit) await new Promise<void>((r) => submitQueue.push(r));
    submitting++;
    try {
      return await fn();
    } finally {
      submitting--;
      submitQueue.shift()?.();
    }
  }

  function notify(id: string): void {
    const set = listeners.get(id);
    if (!set || set.size === 0) return;
    const job = getJob(db, id);
    if (!job) return;
    for (const listener of [...set]) {
      try {
        listener(job);
      } catch (error) {
        log.warn("A job listener failed", { job: id, error });
      }
    }
  }

  function patch(id: string, changes: JobPatch): boolean {
    const exists = updateJob(db, id, { ...changes, updatedAt: deps.now() });
    if (exists) notify(id);
    return exists;
  }

  /** Records a job's end and what follows from it, together. */
  function finish(id: string, changes: JobPatch): boolean {
    return transaction(db, () => {
      if (!patch(id, changes)) return false;
      const job = deps.onFinished ? getJob(db, id) : undefined;
      if (job) {
        try {
          deps.onFinished!(job);
        } catch (error) {
          log.warn("Acting on a finished job failed", { job: id, error });
        }
      }
      return true;
    });
  }

  function accountsFor(job: Job): Account[] {
    if (job.authSealed === null) return deps.pool.storedAccounts();
    const tokens = JSON.parse(deps.vault.open(job.authSealed)) as string[];
    return deps.pool.bearerAccounts(tokens);
  }

  /** Throws when the client waiting for a job that is not submitted yet went away. */
  function clientGone(id: string): void {
    if (clients.get(id)?.signal?.aborted) throw new ClientClosedError(id);
  }

  /** Waits for a job's hold to pass; throws if its client goes away meanwhile. */
  async function hold(id: string, signal: AbortSignal): Promise<void> {
    const client = clients.get(id);
    if (!client || client.holdMs <= 0) return;
    const gone = client.signal;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        gone?.removeEventListener("abort", done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, client.holdMs);
      gone?.addEventListener("abort", done, { once: true });
      signal.addEventListener("abort", done, { once: true });
    });
    signal.throwIfAborted();
    clientGone(id);
  }

  async function uploadInputs(job: Job, account: Account, signal: AbortSignal) {
    const uploads = [];
    for (const bytes of jobInputs(db, job.id)) {
      uploads.push(await deps.client.uploadImage(account.session, bytes, signal));
    }
    return uploads;
  }

  async function waitFor(
    job: Job,
    model: Model,
    account: Account,
    signal: AbortSignal,
    resumed: boolean,
    task: {
      historyId: string;
      expectedItems: number;
      onProgress?: (report: PollProgress) => void;
    } = {
      historyId: job.historyId!,
      expectedItems: model.kind === "video" ? 1 : 4,
    },
  ): Promise<HistoryRecord> {
    const submittedAt = job.submittedAt ?? deps.now();
    const timeout = model.kind === "video" ? deps.videoTimeoutMs : deps.imageTimeoutMs;
    let deadline = submittedAt + timeout;
    if (resumed) deadline = Math.max(deadline, deps.now() + RESUME_GRACE_MS);
    const report = task.onProgress ?? progressReporter(job)(0);
    return await deps.client.waitForRecord(account.session, {
      historyId: task.historyId,
      kind: model.kind,
      estimateKey: model.reqKey,
      typicalMs: model.typicalMs,
      submittedAt,
      expectedItems: task.expectedItems,
    }, {
      deadline,
      signal,
      onProgress: report,
    });
  }

  /**
   * Writes a job's progress and queue place as its tasks report (task `i`
   * reports through the function for `i`), when they change: the slowest
   * task's progress is the job's, and the queue place is that of the task
   * furthest back in Jimeng's queue.
   */
  function progressReporter(
    job: Job,
    tasks = 1,
  ): (index: number) => (report: PollProgress) => void {
    let progress = job.progress;
    let queue = job.queue;
    const shares = Array.from({ length: tasks }, () => 0);
    const places: (JobQueue | null)[] = Array.from({ length: tasks }, () => null);
    return (index) => (report) => {
      shares[index] = estimateProgress(report.elapsedMs, report.expectedMs);
      places[index] = jobQueueOf(report, deps.now());
      const nextProgress = Math.max(1, Math.min(...shares));
      const nextQueue = places.reduce<JobQueue | null>(
        (back, place) =>
          place !== null && (back === null || place.position > back.position) ? place : back,
        null,
      );
      const changes: JobPatch = {};
      if (nextProgress !== progress) changes.progress = progress = nextProgress;
      if (queueChanged(queue, nextQueue)) changes.queue = queue = nextQueue;
      if (Object.keys(changes).length > 0) patch(job.id, changes);
    };
  }

  async function submitVideo(
    job: Job,
    model: VideoModel,
    account: Account,
    signal: AbortSignal,
  ): Promise<string> {
    const params = job.params as unknown as VideoJobParams;
    if (params.omni) {
      if (!deps.referenceFiles) throw new Error("No reference file store for an omni job");
      // Loaded with the first omni job: most servers never submit one.
      const { submitOmniJob } = await import("./omni_job.ts");
      return await submitOmniJob(
        { db, client: deps.client, files: deps.referenceFiles },
        job,
        model,
        account,
        signal,
        { beforeSubmit: () => clientGone(job.id) },
      );
    }
    const [first, last] = await uploadInputs(job, account, signal);
    clientGone(job.id);
    return await deps.client.submitVideoTask(
      account.session,
      {
        model,
        prompt: job.prompt,
        ratio: params.ratio,
        resolution: params.resolution,
        durationS: params.seconds,
        firstFrame: first,
        lastFrame: last,
      },
      job.submitId,
      signal,
    );
  }

  /** One attempt on one account: submit unless already submitted there, then wait. */
  async function attempt(
    id: string,
    model: Model,
    account: Account,
    signal: AbortSignal,
  ): Promise<HistoryRecord> {
    const job = getJob(db, id);
    if (!job) throw signal.reason ?? new Error("job deleted");
    if (model.kind === "image") return await attemptImage(job, model, account, signal);
    if (job.historyId !== null && job.accountKey === account.key) {
      return await waitFor(job, model, account, signal, true);
    }
    patch(id, { accountKey: account.key, historyId: null, submittedAt: null });
    const historyId = await withSubmitSlot(() => submitVideo(job, model, account, signal));
    clients.delete(id);
    const submittedAt = deps.now();
    patch(id, { historyId, submittedAt, status: "in_progress", progress: 1, queue: null });
    return await waitFor(
      { ...job, historyId, submittedAt, accountKey: account.key, progress: 1, queue: null },
      model,
      account,
      signal,
      false,
    );
  }

  /**
   * An image job's tasks on one account ({@linkcode splitImageCount}: `n` up
   * to 10 → up to three tasks). Task `i` is submitted under a `submit_id`
   * derived from the job's, so a resumed job repeats the same submissions;
   * once every task is accepted their record ids are stored (comma-separated
   * in `history_id`) and a resumed job only polls them. Tasks that fail while
   * others succeed leave the job with fewer images rather than resubmitting
   * the finished ones elsewhere.
   */
  async function attemptImage(
    job: Job,
    model: ImageModel,
    account: Account,
    signal: AbortSignal,
  ): Promise<HistoryRecord> {
    const params = job.params as unknown as ImageJobParams;
    const counts = splitImageCount(params.n);
    const report = progressReporter(job, counts.length);
    const stored = job.historyId !== null && job.accountKey === account.key
      ? job.historyId.split(",")
      : [];
    let runs: Promise<{ historyId: string; images: HistoryRecord["images"] }>[];
    if (stored.length === counts.length) {
      runs = stored.map(async (historyId, i) => {
        const record = await waitFor(job, model, account, signal, true, {
          historyId,
          expectedItems: counts[i],
          onProgress: report(i),
        });
        if (record.images.length === 0) {
          throw new JimengError(
            "generation_failed",
            `Jimeng finished ${historyId} without any image`,
          );
        }
        return record;
      });
    } else {
      patch(job.id, { accountKey: account.key, historyId: null, submittedAt: null, queue: null });
      const references = await withSubmitSlot(() => uploadInputs(job, account, signal));
      clientGone(job.id);
      const accepted: string[] = [];
      let submittedAt: number | null = null;
      runs = counts.map((count, i) =>
        deps.client.generateImageTask(account.session, {
          model,
          prompt: job.prompt,
          negativePrompt: params.negativePrompt,
          ratio: params.ratio,
          resolution: params.resolution,
          sampleStrength: params.sampleStrength,
          referenceUris: references.map((r) => r.uri),
          count,
          submitId: i === 0 ? job.submitId : deriveSubmitId(job.submitId, `task ${i}`),
        }, {
          deadline: deps.now() + deps.imageTimeoutMs,
          signal,
          // From the first submit on, the job is paid for: it runs on without its client.
          onSubmitting: () => clients.delete(job.id),
          onSubmitted: (submitted) => {
            accepted[i] = submitted.historyId;
            const all = counts.every((_, k) => accepted[k] !== undefined);
            submittedAt ??= deps.now();
            patch(job.id, {
              ...(all ? { historyId: accepted.join(",") } : {}),
              submittedAt,
              status: "in_progress",
              progress: 1,
            });
          },
          onProgress: report(i),
        })
      );
    }
    const settled = await Promise.allSettled(runs);
    const done = settled.flatMap((outcome, i) =>
      outcome.status === "fulfilled"
        ? [{ historyId: outcome.value.historyId, images: outcome.value.images.slice(0, counts[i]) }]
        : []
    );
    if (done.length === 0) throw (settled[0] as PromiseRejectedResult).reason;
    for (const outcome of settled) {
      if (outcome.status === "rejected") {
        log.warn("One task of an image job failed; the job keeps the others' images", {
          job: job.id,
          error: outcome.reason,
        });
      }
    }
    const images = done.flatMap((task) => task.images);
    return {
      historyId: done.map((task) => task.historyId).join(","),
      status: 50,
      failCode: "",
      images,
      videos: [],
      itemCount: images.length,
    };
  }

  async function results(
    job: Job,
    model: Model,
    account: Account,
    record: HistoryRecord,
    signal: AbortSignal,
  ): Promise<{ items: ResultItem[]; coverUrl?: string }> {
    if (model.kind === "image") {
      const n = (job.params as unknown as ImageJobParams).n;
      if (record.images.length === 0) {
        throw new JimengError("generation_failed", `Jimeng finished ${job.id} without any image`);
      }
      return { items: record.images.slice(0, n) };
    }
    const video = record.videos[0];
    if (!video) {
      throw new JimengError("generation_failed", `Jimeng finished ${job.id} without a video`);
    }
    let best: { url: string; variant: VideoVariant } = { url: video.url, variant: "preview" };
    if (video.itemId && (deps.videoQuality ?? "best") === "best") {
      try {
        best = await deps.client.fetchBestVideo(account.session, video.itemId, video.url, signal);
      } catch (error) {
        // The video is made and paid for: a better file is a bonus, never a reason to fail.
        if (signal.aborted) throw error;
        log.warn("Could not get the video's better file; keeping the preview", {
          job: job.id,
          error,
        });
      }
    }
    // The record does not say the video's size; it is the one asked for.
    const params = job.params as unknown as VideoJobParams;
    const [width, height] = videoSizeFor(params.ratio, params.resolution).split("x").map(Number);
    return {
      items: [{ url: best.url, width, height, variant: best.variant }],
      coverUrl: video.coverUrl,
    };
  }

  async function drive(id: string, resumed: boolean): Promise<void> {
    if (closed || controllers.has(id)) return;
    const controller = new AbortController();
    controllers.set(id, controller);
    const signal = controller.signal;
    const charges: Charge[] = [];
    try {
      const job = getJob(db, id);
      if (!job || TERMINAL.has(job.status)) return;
      const accounts = accountsFor(job);
      const model = (await deps.resolveModel?.(job.model, accounts, signal)) ??
        findModel(job.model);
      if (!model || model.kind !== job.kind) {
        throw new JimengError("invalid_parameter", `The model '${job.model}' is no longer offered`);
      }
      await hold(id, signal);
      const { value: record, account, charge } = await runWithFailover(
        deps,
        accounts,
        model.regions,
        (account) => attempt(id, model, account, signal),
        signal,
        { prefer: job.accountKey ?? undefined, onCharge: (c) => charges.push(c) },
      );
      settle(id, { account, charge, charges, historyId: record.historyId });
      const current = getJob(db, id);
      if (!current) return;
      const { items, coverUrl } = await results(current, model, account, record, signal);
      const upstreamUrls = items.map((item) => item.url);
      let handed: { urls: string[]; mediaIds?: string[]; paths?: (string | null)[] } = {
        urls: upstreamUrls,
      };
      if (deps.finalize) {
        try {
          handed = await deps.finalize(current, account, items);
        } catch (error) {
          log.warn("Recording a job's media failed; handing out upstream URLs", {
            job: id,
            error,
          });
        }
      }
      const result: JobResult = { urls: handed.urls, upstreamUrls, coverUrl };
      if (items[0]?.variant) result.variant = items[0].variant;
      if (handed.mediaIds) result.mediaIds = handed.mediaIds;
      if (handed.paths?.some((path) => path !== null)) result.paths = handed.paths;
      const expiries = handed.urls.map(urlExpiry).filter((e): e is number => e !== null);
      finish(id, {
        status: "completed",
        progress: 100,
        queue: null,
        result,
        completedAt: deps.now(),
        expiresAt: expiries.length ? Math.min(...expiries) : null,
        errorCode: null,
        errorMessage: null,
      });
      dropInputs(id);
      log.info(`Job ${id} completed`, { model: current.model, resumed });
    } catch (error) {
      if (closed) return;
      if (signal.aborted) return;
      const { code, message } = deps.describeError(error);
      if (finish(id, { status: "failed", errorCode: code, errorMessage: message, queue: null })) {
        dropInputs(id);
        if (error instanceof ClientClosedError) log.info(message, { job: id });
        else log.warn(`Job ${id} failed: ${message}`, { code });
      }
    } finally {
      controllers.delete(id);
      clients.delete(id);
      settle(id, closed ? undefined : { account: null, historyId: null, charges });
    }
  }

  /** Drops what a job needed only until it ended: input blobs and reference files. */
  function dropInputs(id: string): void {
    deleteJobInputs(db, id);
    deleteJobReferences(db, id);
    try {
      deps.referenceFiles?.remove(id);
    } catch (error) {
      log.warn("Could not remove a job's reference files", { job: id, error });
    }
  }

  function settle(id: string, outcome: JobOutcome | undefined): void {
    const pending = outcomes.get(id);
    if (!pending) return;
    outcomes.delete(id);
    pending.resolve(outcome);
  }

  function subscribe(id: string, listener: (job: Job) => void): () => void {
    let set = listeners.get(id);
    if (!set) listeners.set(id, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
    };
  }

  function start(id: string, resumed: boolean): void {
    drive(id, resumed).catch((error) => log.error("Job runner failed", { job: id, error }));
  }

  return {
    create(input) {
      const now = deps.now();
      const job: Job = {
        id: newJobId(input.model.kind),
        kind: input.model.kind,
        owner: input.owner,
        model: input.model.id,
        prompt: input.prompt,
        params: input.params as unknown as Record<string, unknown>,
        status: "queued",
        progress: 0,
        submitId: crypto.randomUUID(),
        historyId: null,
        accountKey: null,
        authSealed: input.tokens === null ? null : deps.vault.seal(JSON.stringify(input.tokens)),
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.idempotencyKey ? input.requestHash ?? null : null,
        apiKeyId: input.apiKeyId ?? null,
        requestId: input.requestId ?? null,
        result: null,
        errorCode: null,
        errorMessage: null,
        createdAt: now,
        updatedAt: now,
        submittedAt: null,
        completedAt: null,
        expiresAt: null,
        queue: null,
      };
      let files: string[] = [];
      try {
        if (input.references?.length) {
          if (!deps.referenceFiles) throw new Error("No reference file store for an omni job");
          files = deps.referenceFiles.write(job.id, input.references);
        }
        transaction(db, () => {
          insertJob(db, job, input.inputs);
          insertJobReferences(
            db,
            (input.references ?? []).map((ref, position) => ({
              jobId: job.id,
              position,
              kind: ref.kind,
              file: files[position],
              size: ref.bytes.length,
            })),
          );
        });
      } catch (error) {
        if (files.length > 0) deps.referenceFiles?.remove(job.id);
        // Two requests with one Idempotency-Key raced: the first one wins.
        const winner = job.idempotencyKey === null
          ? undefined
          : findJobByIdempotencyKey(db, job.owner, job.idempotencyKey);
        if (winner) return winner;
        throw error;
      }
      let resolve!: (outcome?: JobOutcome) => void;
      const promise = new Promise<JobOutcome | undefined>((r) => (resolve = r));
      outcomes.set(job.id, { promise, resolve });
      if (input.clientSignal || input.holdMs) {
        clients.set(job.id, { signal: input.clientSignal, holdMs: input.holdMs ?? 0 });
      }
      start(job.id, false);
      return job;
    },
    outcome: (id) => outcomes.get(id)?.promise ?? Promise.resolve(undefined),
    get: (id) => getJob(db, id),
    findByIdempotencyKey: (owner, key) => findJobByIdempotencyKey(db, owner, key),
    list: (options) => listJobs(db, options),
    wait(id, signal) {
      return new Promise<Job | undefined>((resolve, reject) => {
        const current = getJob(db, id);
        if (!current || TERMINAL.has(current.status)) return resolve(current);
        if (closed) return reject(new JobInterruptedError(id));
        if (signal?.aborted) return reject(signal.reason);
        const cleanup = () => {
          unsubscribe();
          signal?.removeEventListener("abort", onAbort);
          waiters.get(id)?.delete(waiter);
        };
        const waiter: Waiter = {
          settle(error) {
            cleanup();
            if (error === undefined) resolve(undefined);
            else reject(error);
          },
        };
        const onAbort = () => waiter.settle(signal!.reason);
        const unsubscribe = subscribe(id, (job) => {
          if (!TERMINAL.has(job.status)) return;
          cleanup();
          resolve(job);
        });
        if (!waiters.has(id)) waiters.set(id, new Set());
        waiters.get(id)!.add(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    subscribe,
    remove(id) {
      controllers.get(id)?.abort(new DOMException(`Job ${id} was deleted`, "AbortError"));
      const existed = deleteJob(db, id);
      try {
        deps.referenceFiles?.remove(id);
      } catch (error) {
        log.warn("Could not remove a job's reference files", { job: id, error });
      }
      for (const waiter of [...(waiters.get(id) ?? [])]) waiter.settle();
      listeners.delete(id);
      return existed;
    },
    resume() {
      // The poller starts from the run times it stored; a model it never
      // stored one for (a database older than that table) starts from the
      // duration of its finished jobs, which is better than its typical guess.
      for (const [id, ms] of typicalDurations(db)) {
        const model = findModel(id);
        if (model && deps.client.poller.estimate(model.reqKey) === undefined) {
          deps.client.poller.learn(model.reqKey, ms);
        }
      }
      const jobs = activeJobs(db);
      for (const job of jobs) start(job.id, true);
      if (jobs.length > 0) log.info(`Resuming ${jobs.length} unfinished job(s)`);
      return jobs.length;
    },
    counts: () => countJobsByStatus(db),
    running: () => controllers.size,
    close() {
      closed = true;
      for (const controller of controllers.values()) {
        controller.abort(new DOMException("The server is shutting down", "AbortError"));
      }
      for (const [id, set] of waiters) {
        for (const waiter of [...set]) waiter.settle(new JobInterruptedError(id));
      }
      waiters.clear();
      listeners.clear();
      for (const id of [...outcomes.keys()]) settle(id, undefined);
      submitQueue.splice(0).forEach((release) => release());
    },
  };
}

/**
 * The Jimeng client: one object that holds the upstream context and the
 * polling scheduler, and offers the operations the rest of the server uses.
 * It knows nothing about HTTP routes or OpenAI.
 * @module
 */
import { createHash } from "node:crypto";
import {
  type CreditClaim,
  type Credits,
  getCredits,
  isSessionAlive,
  receiveDailyCredits,
} from "./account.ts";
import { JimengError } from "./errors.ts";
import { fetchRecords, type HistoryRecord, type ImageResult } from "./history.ts";
import {
  defaultDeps,
  type Session,
  sessionFetch,
  type UpstreamContext,
  type UpstreamDeps,
  type UpstreamSettings,
} from "./http.ts";
import {
  deriveSubmitId,
  type ImageTaskParams,
  submitImageTask,
  type SubmittedTask,
} from "./images.ts";
import { IMAGE_RESOLUTIONS, type ImageResolution } from "./models.ts";
import type { PageRouting } from "./page_routing.ts";
import { createPoller, type Poller, type PollerOptions, type PollProgress } from "./poller.ts";
import { type OmniTaskParams, submitOmniTask } from "./omni.ts";
import type { UploadedImage } from "./upload.ts";
import { type BestVideo, fetchBestVideo, submitVideoTask, type VideoTaskParams } from "./videos.ts";
import { createWorkspaceCache, fetchWorkspaceId } from "./workspaces.ts";
import { type CatalogEntry, fetchCatalog, type FetchCatalogOptions } from "./catalog.ts";
import { regionInfo } from "./regions.ts";
import type { Egress } from "./egress.ts";
import type { ProxySpec } from "../net/proxy.ts";
import type { UploadedMedia } from "./vod_upload.ts";

/** Options of {@linkcode createJimengClient}. */
export interface JimengClientOptions extends UpstreamSettings {
  deps?: Partial<UpstreamDeps>;
  poller?: PollerOptions;
  /** Schedules a callback; defaults to `setTimeout`. */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /** Each account's proxy; without it every request goes directly. */
  egress?: Egress;
  /** The browser transport's routing; without it every call goes direct. */
  page?: PageRouting;
}

/** Options of one generation. */
export interface GenerationOptions {
  /** Unix ms after which waiting fails with a timeout. */
  deadline: number;
  signal?: AbortSignal;
  onProgress?: (progress: PollProgress) => void;
  /** Called before each submission with its `submit_id` (e.g. to persist it first). */
  onSubmitting?: (submitId: string) => void;
  /** Called once the upstream accepted the task (e.g. to persist the record id). */
  onSubmitted?: (task: SubmittedTask & { resolution: ImageResolution }) => void;
}

/** A finished image task. */
export interface ImageTaskResult {
  historyId: string;
  submitId: string;
  /** The resolution that was finally generated (after any step-down). */
  resolution: ImageResolution;
  images: ImageResult[];
  /** Submit to result, ms. */
  durationMs: number;
}

/** The client. */
export interface JimengClient {
  readonly ctx: UpstreamContext;
  readonly poller: Poller;
  /**
   * The `fetch` of an account's other upstream traffic (result downloads from
   * the CDN): through its proxy when it has one. `{}` = an account without
   * one of its own (the default proxy, if any).
   */
  fetchFor(session: Pick<Session, "proxy">): typeof fetch;
  /** The proxy an account's traffic takes; `null` = directly. */
  proxyOf(session: Pick<Session, "proxy">): ProxySpec | null;
  /** The balance; `retry: false` makes one attempt (a read that may be skipped). */
  getCredits(
    session: Session,
    signal?: AbortSignal,
    options?: { retry?: boolean },
  ): Promise<Credits>;
  receiveDailyCredits(session: Session, signal?: AbortSignal): Promise<CreditClaim>;
  isSessionAlive(session: Session, signal?: AbortSignal): Promise<boolean>;
  /**
   * Uploads an image for an account. The same bytes uploaded to the same
   * account in the last 30 minutes are not sent again.
   */
  uploadImage(session: Session, bytes: Uint8Array, signal?: AbortSignal): Promise<UploadedImage>;
  /**
   * Runs one image task: submit, then wait for the result. On "insufficient
   * credits" at submit it steps the resolution down (4k → 2k → 1k, as far as
   * the model allows), because free accounts are refused 2k/4k with the same
   * code.
   */
  generateImageTask(
    session: Session,
    params: ImageTaskParams,
    options: GenerationOptions,
  ): Promise<ImageTaskResult>;
  /**
   * Submits one video task under `submitId` (idempotent upstream) and
   * returns its record id; wait for it with {@linkcode JimengClient.waitForRecord}.
   */
  submitVideoTask(
    session: Session,
    params: VideoTaskParams,
    submitId: string,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Uploads a video or audio file through VOD (omni references); returns its Vid. */
  uploadMedia(session: Session, bytes: Uint8Array, signal?: AbortSignal): Promise<UploadedMedia>;
  /**
   * Submits one omni-reference video task under `submitId` (idempotent
   * upstream) and returns its record id.
   */
  submitOmniTask(
    session: Session,
    params: OmniTaskParams,
    submitId: string,
    signal?: AbortSignal,
  ): Promise<string>;
  /**
   * The best file of a finished video item the account is entitled to: the
   * watermark-free one, else the high-bitrate one, else `previewUrl`.
   */
  fetchBestVideo(
    session: Session,
    itemId: string,
    previewUrl: string,
    signal?: AbortSignal,
  ): Promise<BestVideo>;
  /** Reads one kind of the account's own model catalog (not cached here). */
  fetchCatalog(
    session: Session,
    kind: CatalogEntry["kind"],
    options?: FetchCatalogOptions,
  ): Promise<CatalogEntry[]>;
  /** Waits for a record submitted earlier (e.g. a job resumed after a restart). */
  waitForRecord(
    session: Session,
    watch: {
      historyId: string;
      kind: "image" | "video";
      estimateKey: string;
      typicalMs: number;
      submittedAt: number;
      expectedItems: number;
    },
    options: GenerationOptions,
  ): Promise<HistoryRecord>;
  close(): void;
}

/** The resolutions to try, from the requested one downwards. */
export function stepDownResolutions(
  allowed: readonly ImageResolution[],
  requested: ImageResolution,
): ImageResolution[] {
  const start = IMAGE_RESOLUTIONS.indexOf(requested);
  return IMAGE_RESOLUTIONS.slice(start).filter((r) => allowed.includes(r));
}

const UPLOAD_TTL_MS = 30 * 60_000;
const UPLOAD_CACHE_SIZE = 5000;

/** Creates the client. */
export function createJimengClient(options: JimengClientOptions): JimengClient {
  const deps: UpstreamDeps = { ...defaultDeps(), ...options.deps };
  const ctx: UpstreamContext = {
    settings: options,
    deps,
    egress: options.egress,
    page: options.page,
  };
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  });
  const poller = createPoller({
    fetchRecords: (session, ids, kind) => fetchRecords(ctx, session, ids, kind),
    now: deps.now,
    setTimer,
  }, options.poller);

  const uploads = new Map<string, { image: UploadedImage; expires: number }>();
  const workspaces = createWorkspaceCache({ now: deps.now });

  async function uploadOnce(
    session: Session,
    bytes: Uint8Array,
    signal?: AbortSignal,
  ): Promise<UploadedImage> {
    // The image's digest is computed off the event loop (WebCrypto runs on a worker thread):
    // hashing 20 MiB inline would stall every other request for tens of milliseconds.
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
    );
    const key = createHash("sha256").update(session.token).update("\u0000").update(digest)
      .digest("hex");
    const now = deps.now();
    const cached = uploads.get(key);
    if (cached && cached.expires > now) return cached.image;
    // ImageX uploads (SigV4, CRC32) carry only reference images: loaded with the first.
    const { uploadImage } = await import("./upload.ts");
    const image = await uploadImage(ctx, session, bytes, signal);
    if (uploads.size >= UPLOAD_CACHE_SIZE) {
      for (const [k, v] of uploads) if (v.expires <= now) uploads.delete(k);
      if (uploads.size >= UPLOAD_CACHE_SIZE) uploads.delete(uploads.keys().next().value!);
    }
    uploads.set(key, { image, expires: now + UPLOAD_TTL_MS });
    return image;
  }

  function waitForRecord(
    session: Session,
    watch: Parameters<JimengClient["waitForRecord"]>[1],
    options: GenerationOptions,
  ): Promise<HistoryRecord> {
    return poller.watch({
      session,
      ...watch,
      deadline: options.deadline,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  }

  return {
    ctx,
    poller,
    fetchFor: (session) => sessionFetch(ctx, session),
    proxyOf: (session) => options.egress?.proxyOf(session) ?? null,
    getCredits: (session, signal, options) => getCredits(ctx, session, signal, options),
    receiveDailyCredits: (session, signal) => receiveDailyCredits(ctx, session, signal),
    isSessionAlive: (session, signal) => isSessionAlive(ctx, session, signal),
    uploadImage: uploadOnce,
    async generateImageTask(session, params, options) {
      const resolutions = stepDownResolutions(params.model.resolutions, params.resolution);
      if (resolutions.length === 0) resolutions.push(params.model.resolutions[0]);
      if (regionInfo(session.region).international && params.workspaceId === undefined) {
        const workspaceId = await workspaces.get(
          session,
          () => fetchWorkspaceId(ctx, session),
          options.signal,
        );
        params = { ...params, workspaceId };
      }
      let task: SubmittedTask | undefined;
      let resolution = resolutions[0];
      for (let i = 0; i < resolutions.length; i++) {
        resolution = resolutions[i];
        // A step-down is a new generation: it gets its own submit_id, derived from the
        // given one so that a resumed job repeats exactly the submissions it made before.
        const submitId = !params.submitId
          ? crypto.randomUUID()
          : i === 0
          ? params.submitId
          : deriveSubmitId(params.submitId, resolution);
        options.onSubmitting?.(submitId);
        try {
          task = await submitImageTask(
            ctx,
            session,
            { ...params, resolution, submitId },
            options.signal,
          );
          break;
        } catch (error) {
          const last = i === resolutions.length - 1;
          if (last || !(error instanceof JimengError) || error.kind !== "insufficient_credits") {
            throw error;
          }
        }
      }
      const submittedAt = deps.now();
      options.onSubmitted?.({ ...task!, resolution });
      const record = await waitForRecord(session, {
        historyId: task!.historyId,
        kind: "image",
        estimateKey: params.model.reqKey,
        typicalMs: params.model.typicalMs,
        submittedAt,
        expectedItems: params.count,
      }, options);
      if (record.images.length === 0) {
        throw new JimengError(
          "generation_failed",
          `Jimeng finished record ${record.historyId} without any image`,
        );
      }
      return {
        historyId: task!.historyId,
        submitId: task!.submitId,
        resolution,
        images: record.images,
        durationMs: deps.now() - submittedAt,
      };
    },
    submitVideoTask: (session, params, submitId, signal) =>
      submitVideoTask(ctx, session, params, submitId, signal),
    // VOD uploads carry only omni references: loaded with the first.
    uploadMedia: async (session, bytes, signal) =>
      (await import("./vod_upload.ts")).uploadMedia(ctx, session, bytes, signal),
    submitOmniTask: (session, params, submitId, signal) =>
      submitOmniTask(ctx, session, params, submitId, signal),
    fetchCatalog: (session, kind, options) => fetchCatalog(ctx, session, kind, options),
    fetchBestVideo: (session, itemId, previewUrl, signal) =>
      fetchBestVideo(ctx, session, itemId, previewUrl, signal),
    waitForRecord,
    close: () => poller.close(),
  };
}

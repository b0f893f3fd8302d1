/**
 * The OpenAI video API over durable jobs — `POST /v1/videos`,
 * `GET /v1/videos`, `GET /v1/videos/{id}`, `GET /v1/videos/{id}/content`,
 * `DELETE /v1/videos/{id}` — and the seed's synchronous
 * `POST /v1/videos/generations`. Image models are accepted too: one job per
 * generation, so a slow client can submit and poll.
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { downloadResult, toBase64 } from "../generation/download.ts";
import { videoSizeFor } from "../generation/sizes.ts";
import { DEFAULT_VIDEO_MODEL, type Model } from "../jimeng/models.ts";
import { JimengError } from "../jimeng/errors.ts";
import type { ImageJobParams, NewJob, VideoJobParams } from "../jobs/runner.ts";
import { takesOmniReferences } from "../jimeng/omni.ts";
import type { Job } from "../store/jobs.ts";
import { admitGeneration, linkBase } from "./admission.ts";
import type { ApiDeps, ApiEnv, AuthInfo } from "./deps.ts";
import { applyModelMap } from "./model_map.ts";
import { ApiError, badRequest, fromStoredError } from "./errors.ts";
import {
  type Fields,
  fingerprintFields,
  optionalChoice,
  optionalString,
  readBody,
  requiredPrompt,
} from "./fields.ts";
import { IMAGE_DIMENSIONS } from "../jimeng/models.ts";
import { loadReferences, MAX_REFERENCES } from "./image_request.ts";
import { resolveModelFor } from "./model_resolution.ts";
import { serveCachedMedia } from "./media.ts";
import { resolveVideoInputs, videoJobParams, videoRequestSources } from "./omni_request.ts";
import {
  chooseSeconds,
  chooseVideoShape,
  parseImageJobParams,
  videoReferenceSources,
} from "./video_request.ts";

/** Where a job waits in the upstream's queue (an extension of the video object). */
export interface VideoQueue {
  /** The upstream's queue index. */
  position: number;
  /** The queue's length, when the upstream says. */
  length: number | null;
  /** Seconds until the upstream expects the job to leave the queue, when it says. */
  eta_seconds: number | null;
}

/**
 * The OpenAI `Video` object, plus extensions: `urls` once completed, `queue`
 * while the upstream holds the job in its queue (`status` is then
 * `in_progress` and `progress` still moves with the expected time).
 */
export interface VideoObject {
  id: string;
  object: "video";
  model: string;
  status: Job["status"];
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string;
  seconds: string;
  size: string;
  remixed_from_video_id: null;
  error: { code: string; message: string } | null;
  urls?: string[];
  queue?: VideoQueue;
  /** An omni-reference video's materials, in the order the prompt numbers them (an extension). */
  references?: VideoReference[];
}

/** One material of an omni-reference video, as the API shows it. */
export interface VideoReference {
  /** `@1 … @N`. */
  placeholder: string;
  /** `@image1`, `@video1`, `@audio1`: the number within its kind. */
  kind_placeholder: string;
  kind: "image" | "video" | "audio";
  format: string;
  bytes: number;
  seconds?: number;
  width?: number;
  height?: number;
}

function toVideoReferences(params: VideoJobParams): VideoReference[] | undefined {
  if (!params.omni) return undefined;
  const seen = { image: 0, video: 0, audio: 0 };
  return params.omni.references.map((ref, i) => {
    const reference: VideoReference = {
      placeholder: `@${i + 1}`,
      kind_placeholder: `@${ref.kind}${++seen[ref.kind]}`,
      kind: ref.kind,
      format: ref.format,
      bytes: ref.size,
    };
    if (ref.durationMs !== undefined) reference.seconds = ref.durationMs / 1000;
    if (ref.width !== undefined) reference.width = ref.width;
    if (ref.height !== undefined) reference.height = ref.height;
    return reference;
  });
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

function jobSize(job: Job): string {
  if (job.kind === "video") {
    const params = job.params as unknown as VideoJobParams;
    return videoSizeFor(params.ratio, params.resolution);
  }
  const params = job.params as unknown as ImageJobParams;
  const [width, height] = IMAGE_DIMENSIONS[params.resolution][params.ratio];
  return `${width}x${height}`;
}

/**
 * The links of a completed job's results: this server's copies under
 * `baseUrl` when they are cached and a base is known, else the URLs stored
 * at completion.
 */
export function resultUrls(job: Job, baseUrl: string | null = null): string[] {
  const result = job.result;
  if (!result) return [];
  if (!baseUrl || !result.paths) return result.urls;
  return result.urls.map((url, i) => {
    const path = result.paths![i];
    return path ? `${baseUrl}${path}` : url;
  });
}

/** A job's queue place as the video object shows it at `now`. */
export function toVideoQueue(queue: NonNullable<Job["queue"]>, now: number): VideoQueue {
  return {
    position: queue.position,
    length: queue.length,
    eta_seconds: queue.endsAt === null ? null : Math.max(0, Math.ceil((queue.endsAt - now) / 1000)),
  };
}

/**
 * Shapes a job as OpenAI's video object: `baseUrl` for its links (see
 * {@linkcode resultUrls}), `now` to date the queue forecast.
 */
export function toVideoObject(
  job: Job,
  options: { baseUrl?: string | null; now?: number } = {},
): VideoObject {
  const { baseUrl = null, now = Date.now() } = options;
  const object: VideoObject = {
    id: job.id,
    object: "video",
    model: job.model,
    status: job.status,
    progress: job.progress,
    created_at: Math.floor(job.createdAt / 1000),
    completed_at: seconds(job.completedAt),
    expires_at: seconds(job.expiresAt),
    prompt: job.prompt,
    seconds: job.kind === "video" ? String((job.params as unknown as VideoJobParams).seconds) : "0",
    size: jobSize(job),
    remixed_from_video_id: null,
    error: job.status === "failed"
      ? { code: job.errorCode ?? "internal_error", message: job.errorMessage ?? "The job failed" }
      : null,
  };
  if (job.status === "completed" && job.result) object.urls = resultUrls(job, baseUrl);
  if (job.status === "in_progress" && job.queue) object.queue = toVideoQueue(job.queue, now);
  const references = job.kind === "video"
    ? toVideoReferences(job.params as unknown as VideoJobParams)
    : undefined;
  if (references) object.references = references;
  return object;
}

/** Largest video returned as `b64_json`; bigger ones are refused with their URL. */
export const MAX_B64_VIDEO_BYTES = 32 * 1048576;

/** Reads a request into a job; throws a 400 for anything invalid. */
async function createJob(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  fields: Fields,
  model: Model,
  prompt: string,
  waiting = false,
): Promise<Job> {
  const auth: AuthInfo = c.get("auth");
  const idempotencyKey = c.req.header("idempotency-key")?.trim() || null;
  let requestHash: string | null = null;
  if (idempotencyKey !== null) {
    if (idempotencyKey.length > 255) {
      throw badRequest(null, "The Idempotency-Key header is longer than 255 characters");
    }
    requestHash = await fingerprintFields(fields, c.req.routePath);
    const existing = deps.jobs.findByIdempotencyKey(auth.owner, idempotencyKey);
    if (existing) return sameRequest(existing, requestHash);
  }
  const usage = c.get("usage");
  Object.assign(usage, { model: model.id, kind: model.kind, n: 1 });
  let params: VideoJobParams | ImageJobParams;
  let inputs: Uint8Array[];
  let references: NewJob["references"];
  if (model.kind === "video") {
    // What needs no download is checked first.
    chooseVideoShape(fields, model, prompt);
    if (!takesOmniReferences(model)) chooseSeconds(fields, model, prompt);
    const resolved = await resolveVideoInputs(deps, {
      model,
      prompt,
      promptParam: "prompt",
      sources: videoRequestSources(fields),
      signal: c.req.raw.signal,
    });
    params = videoJobParams(fields, model, prompt, resolved);
    // Read, not submitted: the quota is reserved before anything goes upstream.
    admitGeneration(c, deps, {
      kind: "video",
      model,
      resolution: params.resolution,
      seconds: params.seconds,
    });
    inputs = resolved.mode === "frames" ? resolved.images : [];
    references = resolved.mode === "omni" ? resolved.files : undefined;
  } else {
    const sources = videoReferenceSources(fields);
    if (sources.length > MAX_REFERENCES) {
      throw badRequest(
        sources[MAX_REFERENCES].param,
        `At most ${MAX_REFERENCES} reference images are accepted; got ${sources.length}`,
        "too_many_images",
      );
    }
    params = parseImageJobParams(fields, prompt, model);
    admitGeneration(c, deps, {
      kind: "image",
      model,
      resolution: params.resolution,
      n: params.n,
    });
    inputs = (await loadReferences(deps, sources, c.req.raw.signal)).map((r) => r.bytes);
  }
  const job = deps.jobs.create({
    model,
    prompt,
    params,
    owner: auth.owner,
    tokens: auth.tokens,
    apiKeyId: auth.apiKeyId,
    idempotencyKey,
    requestHash,
    requestId: c.get("requestId"),
    inputs,
    references,
    // A client waiting for the result that goes away before the submit costs nothing.
    clientSignal: waiting ? c.req.raw.signal : undefined,
  });
  // Two requests with one key raced and the other one's job was stored first.
  if (job.requestId !== c.get("requestId") && requestHash !== null) {
    return sameRequest(job, requestHash);
  }
  usage.job = deps.jobs.outcome(job.id);
  return job;
}

/**
 * The job an `Idempotency-Key` names, when the retry asks for the same thing;
 * a 409 when the key was used for another request (as Stripe-style APIs do).
 */
function sameRequest(job: Job, requestHash: string): Job {
  // Jobs stored before fingerprints were kept have none: they are taken as the same request.
  if (job.requestHash === null || job.requestHash === requestHash) return job;
  throw new ApiError(
    409,
    "This Idempotency-Key was already used for a different request: send the same request to get its job, or use a new key",
    "invalid_request_error",
    "idempotency_key_reused",
  );
}

function notFound(id: string): ApiError {
  return new ApiError(
    404,
    `No video with id '${id}'`,
    "invalid_request_error",
    "video_not_found",
    "video_id",
  );
}

function ownJob(c: Context<ApiEnv>, deps: ApiDeps, id: string): Job {
  const job = deps.jobs.get(id);
  if (!job || job.owner !== c.get("auth").owner) throw notFound(id);
  return job;
}

/**
 * The `fetch` of the account that made a job (through its proxy): the job's
 * account is among the caller's, who owns the job. An account gone since
 * takes the default egress.
 */
function jobFetch(c: Context<ApiEnv>, deps: ApiDeps, job: Job): typeof fetch {
  const account = c.get("auth").accounts.find((a) => a.key === job.accountKey);
  if (account) return deps.client.fetchFor(account.session);
  const stored = deps.pool.storedAccounts().find((a) => a.key === job.accountKey);
  return deps.client.fetchFor(stored?.session ?? {});
}

/** Streams a generated file from the upstream CDN, passing `Range` through. */
async function proxyContent(
  url: string,
  c: Context<ApiEnv>,
  fetch: typeof globalThis.fetch,
): Promise<Response> {
  const headers: Record<string, string> = {};
  const range = c.req.header("range");
  if (range) headers.Range = range;
  let upstream: Response;
  try {
    upstream = await fetch(url, {
      headers,
      signal: AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(60_000)]),
    });
  } catch (error) {
    if (error instanceof JimengError) throw error;
    throw new ApiError(
      502,
      `The generated file could not be fetched from Jimeng's CDN: ${(error as Error).message}`,
      "upstream_error",
      "upstream_unavailable",
    );
  }
  if (upstream.status === 416) {
    await upstream.body?.cancel();
    throw new ApiError(416, "The requested range is not satisfiable", "invalid_request_error");
  }
  if (!upstream.ok || !upstream.body) {
    await upstream.body?.cancel();
    throw new ApiError(
      502,
      `Jimeng's CDN answered HTTP ${upstream.status} for the generated file; it may have expired`,
      "upstream_error",
      "content_unavailable",
    );
  }
  const out = new Headers({ "Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600" });
  for (const name of ["content-type", "content-length", "content-range", "etag", "last-modified"]) {
    const value = upstream.headers.get(name);
    if (value) out.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers: out });
}

/** The video routes. */
export function videoRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.post("/videos", async (c) => {
    const fields = await readBody(c);
    applyModelMap(deps, fields);
    const prompt = requiredPrompt(fields);
    const model = await resolveModelFor(
      deps,
      c.get("auth").accounts,
      optionalString(fields, "model", { max: 200 }),
      DEFAULT_VIDEO_MODEL,
      c.req.raw.signal,
    );
    const job = await createJob(c, deps, fields, model, prompt);
    return c.json(toVideoObject(job, { baseUrl: linkBase(c, deps), now: deps.now() }));
  });

  app.get("/videos", (c) => {
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw badRequest("limit", "'limit' must be an integer from 1 to 100");
    }
    const order = c.req.query("order") ?? "desc";
    if (order !== "asc" && order !== "desc") {
      throw badRequest("order", "'order' must be asc or desc");
    }
    const after = c.req.query("after") || undefined;
    const page = deps.jobs.list({ owner: c.get("auth").owner, after, limit, order });
    const shape = { baseUrl: linkBase(c, deps), now: deps.now() };
    const data = page.jobs.map((job) => toVideoObject(job, shape));
    return c.json({
      object: "list",
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    });
  });

  app.get(
    "/videos/:id",
    (c) =>
      c.json(
        toVideoObject(ownJob(c, deps, c.req.param("id")), {
          baseUrl: linkBase(c, deps),
          now: deps.now(),
        }),
      ),
  );

  app.get("/videos/:id/content", async (c) => {
    const job = ownJob(c, deps, c.req.param("id"));
    const variant = c.req.query("variant") ?? "video";
    if (variant !== "video" && variant !== "thumbnail" && variant !== "spritesheet") {
      throw badRequest("variant", "'variant' must be video, thumbnail or spritesheet");
    }
    if (job.status !== "completed" || !job.result) {
      throw new ApiError(
        404,
        `Video ${job.id} is ${
          job.status.replace("_", " ")
        }; its content is available once completed`,
        "invalid_request_error",
        "video_not_ready",
      );
    }
    if (variant === "video") {
      const record = job.result.mediaIds?.[0] ? deps.media.get(job.result.mediaIds[0]) : undefined;
      const cached = record ? await serveCachedMedia(c, deps, record) : undefined;
      if (cached) return cached;
    }
    const url = variant === "video" ? job.result.upstreamUrls[0] : job.result.coverUrl;
    if (!url) {
      throw new ApiError(
        404,
        `Video ${job.id} has no ${variant}`,
        "invalid_request_error",
        "variant_not_available",
        "variant",
      );
    }
    return await proxyContent(url, c, jobFetch(c, deps, job));
  });

  app.delete("/videos/:id", (c) => {
    const job = ownJob(c, deps, c.req.param("id"));
    deps.jobs.remove(job.id);
    return c.json({ id: job.id, object: "video.deleted", deleted: true });
  });

  // The seed's synchronous route: answers once the video is ready.
  app.post("/videos/generations", async (c) => {
    const fields = await readBody(c);
    applyModelMap(deps, fields);
    const prompt = requiredPrompt(fields);
    const model = await resolveModelFor(
      deps,
      c.get("auth").accounts,
      optionalString(fields, "model", { max: 200 }),
      DEFAULT_VIDEO_MODEL,
      c.req.raw.signal,
    );
    if (model.kind !== "video") {
      throw badRequest(
        "model",
        `'${model.id}' is an image model; use POST /v1/images/generations`,
        "model_not_supported",
      );
    }
    const format = optionalChoice(fields, "response_format", ["url", "b64_json"] as const) ??
      "url";
    const created = await createJob(c, deps, fields, model, prompt, true);
    // A client that goes away after the submit does not stop the job: it stays listed under /v1/videos.
    const job = await deps.jobs.wait(created.id, c.req.raw.signal);
    if (!job) throw notFound(created.id);
    if (job.status === "failed") throw fromStoredError(job.errorCode, job.errorMessage);
    const url = resultUrls(job, linkBase(c, deps))[0];
    if (format === "url") {
      return c.json({ created: seconds(job.createdAt), data: [{ url, revised_prompt: prompt }] });
    }
    let bytes: Uint8Array;
    try {
      bytes = await downloadResult(job.result!.upstreamUrls[0], {
        maxBytes: MAX_B64_VIDEO_BYTES,
        timeoutMs: 120_000,
        signal: c.req.raw.signal,
        fetch: jobFetch(c, deps, job),
      });
    } catch (error) {
      throw new ApiError(
        502,
        `The video was generated (${job.id}) but could not be returned as b64_json: ${
          (error as Error).message
        }. It is available at ${url} and GET /v1/videos/${job.id}/content`,
        "upstream_error",
        "b64_unavailable",
        "response_format",
      );
    }
    return c.json({
      created: seconds(job.createdAt),
      data: [{ b64_json: toBase64(bytes), revised_prompt: prompt }],
    });
  });

  return app;
}

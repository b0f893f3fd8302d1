/**
 * `POST /v1/images/generations` and `POST /v1/images/edits`.
 * @module
 */
import { type Context, Hono } from "hono";
import { downloadResult, toBase64 } from "../generation/download.ts";
import { generateImages, type ImageGeneration } from "../generation/images.ts";
import type { SavedMedia, SaveOptions } from "../media/library.ts";
import type { ApiDeps, ApiEnv, AuthInfo } from "./deps.ts";
import { badRequest } from "./errors.ts";
import { type Fields, optionalString, readBody, requiredPrompt } from "./fields.ts";
import { DEFAULT_IMAGE_MODEL } from "../jimeng/models.ts";
import { resolveImageModelFor } from "./model_resolution.ts";
import {
  loadReferences,
  parseImageFields,
  referenceSources,
  type ResponseFormat,
} from "./image_request.ts";
import { imageServiceDeps } from "./service.ts";
import { admitGeneration, linkBase } from "./admission.ts";
import { applyModelMap } from "./model_map.ts";
import { noteCharge, type Usage } from "./usage.ts";

/** The OpenAI images response. */
export interface ImagesResponse {
  created: number;
  data: ({ url: string } | { b64_json: string })[];
}

/** Largest image downloaded for `b64_json`. */
const MAX_RESULT_BYTES = 64 * 1048576;

/** Who asked for a generation and what, for the media library. */
export interface ResultContext {
  model: string;
  prompt: string;
  requestId: string;
  auth: AuthInfo;
  /** Base of links to this server's copies (`null` = upstream links). */
  baseUrl?: string | null;
}

/**
 * Records every image of a generation in the media library (with the
 * account of the task that made it) and returns them in order, with the URL
 * to hand out.
 */
export async function publishImages(
  deps: ApiDeps,
  generation: ImageGeneration,
  context: ResultContext,
  options: SaveOptions = {},
): Promise<SavedMedia[]> {
  return (await publishBatches(deps, generation, context, options)).map(({ saved }) => saved);
}

/** Each image recorded, with the `fetch` of the account that made it (through its proxy). */
async function publishBatches(
  deps: ApiDeps,
  generation: ImageGeneration,
  context: ResultContext,
  options: SaveOptions,
): Promise<{ saved: SavedMedia; fetch: typeof fetch }[]> {
  let offset = 0;
  const batches = generation.tasks.map(async (task) => {
    const results = generation.images.slice(offset, offset + task.imageCount);
    offset += task.imageCount;
    if (results.length === 0) return [];
    const fetch = deps.client.fetchFor(task.account.session);
    const saved = await deps.media.saveResults({
      kind: "image",
      model: context.model,
      prompt: context.prompt,
      requestId: context.requestId,
      accountKey: task.account.key,
      accountLabel: task.account.label,
      apiKeyId: context.auth.apiKeyId ?? null,
      results,
      fetch,
    }, { baseUrl: context.baseUrl, ...options });
    return saved.map((item) => ({ saved: item, fetch }));
  });
  return (await Promise.all(batches)).flat();
}

/** The bytes of a saved image: the cached file when there is one, else a download. */
async function imageBytes(
  saved: SavedMedia,
  fetch: typeof globalThis.fetch,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (saved.file) {
    try {
      return await Deno.readFile(saved.file, { signal });
    } catch (error) {
      // Evicted meanwhile: fetch it instead.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return await downloadResult(saved.upstreamUrl, {
    maxBytes: MAX_RESULT_BYTES,
    timeoutMs: 60_000,
    signal,
    fetch,
  });
}

/**
 * Records a generation's images and shapes OpenAI's images response: URLs
 * (local or upstream, by `MEDIA_URLS`) or `b64_json` (from the cache when it
 * has the file).
 */
export async function toImagesResponse(
  deps: ApiDeps,
  generation: ImageGeneration,
  format: ResponseFormat,
  context: ResultContext,
  signal?: AbortSignal,
): Promise<ImagesResponse> {
  const created = Math.floor(deps.now() / 1000);
  if (format === "url") {
    const saved = await publishImages(deps, generation, context, { signal });
    return { created, data: saved.map(({ url }) => ({ url })) };
  }
  const saved = await publishBatches(deps, generation, context, { wait: true, signal });
  const data = await Promise.all(saved.map(async (item) => ({
    b64_json: toBase64(await imageBytes(item.saved, item.fetch, signal)),
  })));
  return { created, data };
}

/** Tells the usage recorder what a generation did. */
export function noteImageUsage(usage: Usage, model: string, generation: ImageGeneration): void {
  usage.model = model;
  usage.kind = "image";
  usage.n = generation.images.length;
  usage.tasks = generation.tasks.map(({ historyId, account, charge }) => ({
    historyId,
    account,
    charge,
  }));
  for (const task of generation.tasks) noteCharge(usage, task.charge);
}

const REFERENCE_FIELDS = ["filePath", "file_path", "filePaths", "image", "images"] as const;

/** The image routes. */
export function imageRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const service = imageServiceDeps(deps);

  /** Loads the references, generates, records usage and answers in the requested format. */
  async function answer(
    c: Context<ApiEnv>,
    fields: Fields,
    sources: ReturnType<typeof referenceSources>,
  ): Promise<Response> {
    const signal = c.req.raw.signal;
    const prompt = requiredPrompt(fields);
    applyModelMap(deps, fields);
    const model = await resolveImageModelFor(
      deps,
      c.get("auth").accounts,
      optionalString(fields, "model", { max: 200 }),
      DEFAULT_IMAGE_MODEL,
      signal,
    );
    const params = parseImageFields(fields, prompt, model);
    const usage = c.get("usage");
    Object.assign(usage, { model: params.model.id, kind: "image", n: params.n });
    admitGeneration(c, deps, {
      kind: "image",
      model: params.model,
      resolution: params.resolution,
      n: params.n,
    });
    const references = await loadReferences(deps, sources, signal);
    const generation = await generateImages(
      service,
      c.get("auth").accounts,
      {
        ...params,
        references,
      },
      signal,
      { onCharge: (charge) => noteCharge(usage, charge) },
    );
    noteImageUsage(usage, params.model.id, generation);
    return c.json(
      await toImagesResponse(deps, generation, params.responseFormat, {
        model: params.model.id,
        prompt,
        requestId: c.get("requestId"),
        auth: c.get("auth"),
        baseUrl: linkBase(c, deps),
      }, signal),
    );
  }

  app.post("/images/generations", async (c) => {
    const fields = await readBody(c);
    return await answer(c, fields, referenceSources(fields, REFERENCE_FIELDS));
  });

  app.post("/images/edits", async (c) => {
    const fields = await readBody(c);
    requiredPrompt(fields);
    const sources = referenceSources(fields, REFERENCE_FIELDS);
    if (sources.length === 0) {
      throw badRequest(
        "image",
        "'image' is required: upload one or more image files",
        "missing_required_parameter",
      );
    }
    return await answer(c, fields, sources);
  });

  return app;
}

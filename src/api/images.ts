/**
 * `POST /v1/images/generations` and `POST /v1/images/edits`.
 * @module
 */
import { Hono } from "hono";
import { downloadResult, toBase64 } from "../generation/download.ts";
import { generateImages, type ImageGeneration } from "../generation/images.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { badRequest } from "./errors.ts";
import { readBody, requiredPrompt } from "./fields.ts";
import {
  loadReferences,
  parseImageFields,
  referenceSources,
  type ResponseFormat,
} from "./image_request.ts";
import { imageServiceDeps } from "./service.ts";
import type { Usage } from "./usage.ts";

/** The OpenAI images response. */
export interface ImagesResponse {
  created: number;
  data: ({ url: string } | { b64_json: string })[];
}

/** Largest image downloaded for `b64_json`. */
const MAX_RESULT_BYTES = 64 * 1048576;

/** Shapes a generation as OpenAI's images response, downloading for `b64_json`. */
export async function toImagesResponse(
  generation: ImageGeneration,
  format: ResponseFormat,
  now: number,
  signal?: AbortSignal,
): Promise<ImagesResponse> {
  const created = Math.floor(now / 1000);
  if (format === "url") return { created, data: generation.images.map(({ url }) => ({ url })) };
  const data = await Promise.all(generation.images.map(async ({ url }) => {
    const bytes = await downloadResult(url, {
      maxBytes: MAX_RESULT_BYTES,
      timeoutMs: 60_000,
      signal,
    });
    return { b64_json: toBase64(bytes) };
  }));
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
}

const REFERENCE_FIELDS = ["filePath", "file_path", "filePaths", "image", "images"] as const;

/** The image routes. */
export function imageRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const service = imageServiceDeps(deps);

  app.post("/images/generations", async (c) => {
    const signal = c.req.raw.signal;
    const fields = await readBody(c);
    const prompt = requiredPrompt(fields);
    const params = parseImageFields(fields, prompt);
    Object.assign(c.get("usage"), { model: params.model.id, kind: "image", n: params.n });
    const references = await loadReferences(
      deps,
      referenceSources(fields, REFERENCE_FIELDS),
      signal,
    );
    const generation = await generateImages(service, c.get("auth").accounts, {
      ...params,
      references,
    }, signal);
    noteImageUsage(c.get("usage"), params.model.id, generation);
    return c.json(await toImagesResponse(generation, params.responseFormat, deps.now(), signal));
  });

  app.post("/images/edits", async (c) => {
    const signal = c.req.raw.signal;
    const fields = await readBody(c);
    const prompt = requiredPrompt(fields);
    const params = parseImageFields(fields, prompt);
    const sources = referenceSources(fields, REFERENCE_FIELDS);
    if (sources.length === 0) {
      throw badRequest(
        "image",
        "'image' is required: upload one or more image files",
        "missing_required_parameter",
      );
    }
    const references = await loadReferences(deps, sources, signal);
    const generation = await generateImages(service, c.get("auth").accounts, {
      ...params,
      references,
    }, signal);
    noteImageUsage(c.get("usage"), params.model.id, generation);
    return c.json(await toImagesResponse(generation, params.responseFormat, deps.now(), signal));
  });

  return app;
}

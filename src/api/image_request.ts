/**
 * Image request fields — OpenAI's (`model`, `n`, `size`, `quality`,
 * `response_format`) and the seed's (`ratio`, `resolution`,
 * `negative_prompt`, `sample_strength`, `filePath`) — into a validated job.
 * @module
 */
import type { ImageJob, ReferenceImage } from "../generation/images.ts";
import { detectRatio } from "../generation/prompt.ts";
import { type InvalidReferenceError, loadReference } from "../generation/references.ts";
import {
  fitImageResolution,
  imageRatioForSize,
  imageResolutionForQuality,
  imageResolutionForSize,
  parseSize,
} from "../generation/sizes.ts";
import {
  DEFAULT_IMAGE_MODEL,
  DEFAULT_VIDEO_MODEL,
  findModel,
  IMAGE_RATIOS,
  IMAGE_RESOLUTIONS,
  type ImageModel,
  type ImageRatio,
  type ImageResolution,
  type Model,
} from "../jimeng/models.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiError, badRequest } from "./errors.ts";
import {
  type Fields,
  listOf,
  optionalChoice,
  optionalClampedNumber,
  optionalInteger,
  optionalString,
} from "./fields.ts";

/** How results are returned. */
export type ResponseFormat = "url" | "b64_json";

/** Most reference images one request may carry. */
export const MAX_REFERENCES = 10;

/**
 * Resolves `model` in the built-in table, answering 404 for unknown names
 * (or `undefined` with `allowUnknown`, for a caller that looks further).
 */
export function resolveModel(name: string | undefined, fallback: Model): Model;
export function resolveModel(
  name: string | undefined,
  fallback: Model,
  options: { allowUnknown?: boolean },
): Model | undefined;
export function resolveModel(
  name: string | undefined,
  fallback: Model,
  options: { allowUnknown?: boolean } = {},
): Model | undefined {
  if (name === undefined) return fallback;
  if (name.trim() === "") {
    throw badRequest("model", "'model' must not be empty; GET /v1/models lists the models");
  }
  const model = findModel(name);
  if (!model && options.allowUnknown) return undefined;
  if (!model) {
    throw new ApiError(
      404,
      `The model '${name}' does not exist here; use one of this server's models, e.g. '${DEFAULT_IMAGE_MODEL.id}' or '${DEFAULT_VIDEO_MODEL.id}' (GET /v1/models lists them all), or ask the operator to map the name with MODEL_MAP`,
      "invalid_request_error",
      "model_not_found",
      "model",
    );
  }
  return model;
}

/** Resolves an image model; a video model here is a 400 naming the right endpoint. */
export function resolveImageModel(name: string | undefined): ImageModel {
  return imageModelOnly(resolveModel(name, DEFAULT_IMAGE_MODEL));
}

/** The model if it makes images; a video model is a 400 naming the right endpoint. */
export function imageModelOnly(model: Model): ImageModel {
  if (model.kind !== "image") {
    throw badRequest(
      "model",
      `'${model.id}' is a video model; use POST /v1/videos or /v1/chat/completions`,
      "model_not_supported",
    );
  }
  return model;
}

/** Ratio and resolution from the seed's fields, OpenAI's `size`/`quality` and the prompt. */
export function chooseShape(
  fields: Fields,
  model: ImageModel,
  prompt: string,
): { ratio: ImageRatio; resolution: ImageResolution } {
  const ratioField = optionalChoice(fields, "ratio", IMAGE_RATIOS);
  const resolutionField = optionalChoice(fields, "resolution", IMAGE_RESOLUTIONS);
  const sizeText = optionalString(fields, "size", { max: 32 });
  const quality = optionalChoice(
    fields,
    "quality",
    ["auto", "low", "medium", "high", "standard", "hd"] as const,
  );
  let sizeRatio: ImageRatio | undefined;
  let sizeResolution: ImageResolution | undefined;
  if (sizeText !== undefined && sizeText.trim().toLowerCase() !== "auto") {
    const size = parseSize(sizeText);
    if (!size || size.width > 16384 || size.height > 16384) {
      throw badRequest(
        "size",
        `'size' must be 'auto' or WIDTHxHEIGHT (e.g. 1024x1024); got "${sizeText}"`,
      );
    }
    sizeRatio = imageRatioForSize(size);
    sizeResolution = imageResolutionForSize(size);
  }
  let ratio: ImageRatio = ratioField ?? sizeRatio ?? "1:1";
  // As in the seed: a square request yields to a ratio the prompt asks for.
  if (ratio === "1:1") ratio = detectRatio(prompt, IMAGE_RATIOS) ?? ratio;
  const wish = resolutionField ?? (quality ? imageResolutionForQuality(quality) : undefined) ??
    sizeResolution;
  return { ratio, resolution: fitImageResolution(model.resolutions, wish) };
}

/**
 * Reads every image field except the references; `model` is the request's
 * model when the caller resolved it already (against the accounts' catalogs).
 */
export function parseImageFields(
  fields: Fields,
  prompt: string,
  resolved?: ImageModel,
): Omit<ImageJob, "references"> & { responseFormat: ResponseFormat } {
  const model = resolved ?? resolveImageModel(optionalString(fields, "model", { max: 200 }));
  const n = optionalInteger(fields, "n", 1, 10) ?? 1;
  const responseFormat = optionalChoice(fields, "response_format", ["url", "b64_json"] as const) ??
    "url";
  const negativePrompt = optionalString(fields, "negative_prompt", { max: 2000 }) ?? "";
  const sampleStrength = optionalClampedNumber(fields, "sample_strength", 0, 1) ?? 0.5;
  optionalString(fields, "user", { max: 256 });
  return {
    model,
    prompt,
    negativePrompt,
    n,
    sampleStrength,
    responseFormat,
    ...chooseShape(fields, model, prompt),
  };
}

/** Loads reference images, tagging failures with the field they came from. */
export async function loadReferences(
  deps: ApiDeps,
  sources: { param: string; value: unknown }[],
  signal?: AbortSignal,
): Promise<ReferenceImage[]> {
  if (sources.length > MAX_REFERENCES) {
    throw badRequest(
      sources[MAX_REFERENCES].param,
      `At most ${MAX_REFERENCES} reference images are accepted; got ${sources.length}`,
      "too_many_images",
    );
  }
  const { config } = deps;
  return await Promise.all(sources.map(async ({ param, value }) => {
    try {
      return await loadReference(value, {
        maxBytes: config.maxImageMb * 1048576,
        fetchTimeoutMs: config.fetchTimeoutMs,
        localFilesDir: config.localFilesDir,
        fetchAllowlist: config.fetchAllowlist,
        resolver: deps.resolver,
        signal,
      });
    } catch (error) {
      if ((error as InvalidReferenceError).name === "InvalidReferenceError") {
        const refused = error as InvalidReferenceError;
        refused.param = param;
        // The client hears only "could not download"; the operator sees why (a TLS or
        // connection error), without the URL, which may carry a token.
        if (refused.cause !== undefined) {
          deps.log.warn(`Reference image (${param}) could not be downloaded`, {
            error: refused.cause,
          });
        }
      }
      throw error;
    }
  }));
}

/** The seed's `filePath` / `file_path` / `image` fields of a generation request. */
export function referenceSources(fields: Fields, names: readonly string[]) {
  const sources: { param: string; value: unknown }[] = [];
  for (const name of names) {
    for (const value of listOf(fields, name)) sources.push({ param: name, value });
  }
  return sources;
}

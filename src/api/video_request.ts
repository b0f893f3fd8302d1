/**
 * Video request fields — OpenAI's (`seconds`, `size`, `input_reference`) and
 * the seed's (`duration`, `ratio`, `resolution`, `file_paths`) — into job
 * parameters, with a 400 naming the field and the allowed values.
 * @module
 */
import { detectDuration, detectRatio } from "../generation/prompt.ts";
import {
  fitVideoResolution,
  parseSize,
  videoRatioForSize,
  videoResolutionForSize,
} from "../generation/sizes.ts";
import {
  describeDurations,
  type ImageModel,
  isValidDuration,
  VIDEO_RATIOS,
  type VideoModel,
  type VideoRatio,
  type VideoResolution,
} from "../jimeng/models.ts";
import type { ImageJobParams, VideoJobParams } from "../jobs/runner.ts";
import { badRequest } from "./errors.ts";
import { type Fields, listOf, optionalChoice, optionalString } from "./fields.ts";
import { parseImageFields } from "./image_request.ts";

/** A reference to load: where it came from and the value. */
export interface ReferenceSource {
  param: string;
  value: unknown;
}

/** Most input images of a video: the first and the last frame. */
export const MAX_VIDEO_FRAMES = 2;

/** Reads `seconds` / `duration`: a number or a numeric string (the SDK sends strings). */
function requestedSeconds(fields: Fields): { param: string; value: number } | undefined {
  for (const param of ["seconds", "duration"]) {
    const raw = fields.values[param];
    if (raw === undefined || raw === null) continue;
    const value = typeof raw === "number"
      ? raw
      : typeof raw === "string" && /^\s*\d+(\.\d+)?\s*$/.test(raw)
      ? Number(raw)
      : NaN;
    if (!Number.isFinite(value)) {
      throw badRequest(param, `'${param}' must be a number of seconds, e.g. 5`, "invalid_type");
    }
    return { param, value };
  }
  return undefined;
}

/** Duration for a model: the field if valid (else a 400), the prompt's ask, or the default. */
export function chooseSeconds(fields: Fields, model: VideoModel, prompt: string): number {
  const asked = requestedSeconds(fields);
  if (asked) {
    if (!isValidDuration(model, asked.value)) {
      throw badRequest(
        asked.param,
        `'${asked.param}' must be ${describeDurations(model)} for ${model.id}; got ${asked.value}`,
      );
    }
    return asked.value;
  }
  const detected = detectDuration(prompt);
  if (detected !== undefined && isValidDuration(model, detected)) return detected;
  return model.durations.default;
}

/** Ratio and resolution from `ratio`, `resolution`, `size` and the prompt. */
export function chooseVideoShape(
  fields: Fields,
  model: VideoModel,
  prompt: string,
): { ratio: VideoRatio; resolution: VideoResolution } {
  const ratioField = optionalChoice(fields, "ratio", VIDEO_RATIOS);
  const resolutionField = optionalChoice(fields, "resolution", ["720p", "1080p", "4k"] as const);
  if (resolutionField && !model.resolutions.includes(resolutionField)) {
    throw badRequest(
      "resolution",
      `'resolution' must be ${
        model.resolutions.join(" or ")
      } for ${model.id}; got "${resolutionField}"`,
    );
  }
  const sizeText = optionalString(fields, "size", { max: 32 });
  let sizeRatio: VideoRatio | undefined;
  let sizeResolution: VideoResolution | undefined;
  if (sizeText !== undefined && sizeText.trim().toLowerCase() !== "auto") {
    const size = parseSize(sizeText);
    if (!size || size.width > 8192 || size.height > 8192) {
      throw badRequest(
        "size",
        `'size' must be WIDTHxHEIGHT (e.g. 1280x720 or 720x1280); got "${sizeText}"`,
      );
    }
    sizeRatio = videoRatioForSize(size);
    sizeResolution = fitVideoResolution(model.resolutions, videoResolutionForSize(size));
  }
  const ratio = ratioField ?? sizeRatio ?? detectRatio(prompt, VIDEO_RATIOS) ?? "16:9";
  return { ratio, resolution: resolutionField ?? sizeResolution ?? model.resolutions[0] };
}

/** Every video parameter of a request. */
export function parseVideoParams(
  fields: Fields,
  model: VideoModel,
  prompt: string,
): VideoJobParams {
  return {
    kind: "video",
    seconds: chooseSeconds(fields, model, prompt),
    ...chooseVideoShape(fields, model, prompt),
  };
}

/** Image parameters of a job: those of the images API (`n` 1–10). */
export function parseImageJobParams(
  fields: Fields,
  prompt: string,
  model?: ImageModel,
): ImageJobParams {
  if (fields.values.seconds !== undefined || fields.values.duration !== undefined) {
    throw badRequest(
      fields.values.seconds !== undefined ? "seconds" : "duration",
      "A duration applies to video models only",
    );
  }
  const params = parseImageFields(fields, prompt, model);
  return {
    kind: "image",
    ratio: params.ratio,
    resolution: params.resolution,
    negativePrompt: params.negativePrompt,
    sampleStrength: params.sampleStrength,
    n: params.n,
  };
}

/** Refuses more input images than a video takes (first and last frame), naming the first extra. */
export function checkVideoFrames(sources: readonly { param: string }[]): void {
  if (sources.length > MAX_VIDEO_FRAMES) {
    throw badRequest(
      sources[MAX_VIDEO_FRAMES].param,
      `A video takes at most ${MAX_VIDEO_FRAMES} images (first and last frame); got ${sources.length}`,
      "too_many_images",
    );
  }
}

function referenceValue(value: unknown): unknown {
  // `{image_url: "…"}` as the SDK's ImageInputReferenceParam.
  if (value !== null && typeof value === "object" && !(value instanceof File)) {
    const url = (value as { image_url?: unknown }).image_url;
    if (url !== undefined) return url;
  }
  return value;
}

/**
 * Input images of a video request, in order: `input_reference` (file, URL,
 * `{image_url}` or an array of them; multipart `input_reference[image_url]`),
 * the seed's `file_paths`, then any other uploaded files.
 */
export function videoReferenceSources(fields: Fields): ReferenceSource[] {
  const sources: ReferenceSource[] = [];
  const taken = new Set<string>();
  const take = (name: string) => {
    taken.add(name);
    for (const value of listOf(fields, name)) {
      sources.push({ param: name, value: referenceValue(value) });
    }
  };
  take("input_reference");
  take("input_reference[image_url]");
  take("file_paths");
  take("filePaths");
  if (fields.source === "form") {
    for (const [name, value] of Object.entries(fields.values)) {
      if (taken.has(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item instanceof File) sources.push({ param: name, value: item });
      }
    }
  }
  return sources;
}

/**
 * The input materials of a video request, and whether they make it an
 * omni-reference video (Seedance 全能参考) or the usual first/last-frame one.
 *
 * Sources, in the order `@1 … @N` number them: OpenAI's `input_reference`,
 * then `references` (URLs, data URLs, or repeated multipart files), the seed's
 * `file_paths`, the seed family's `image_file_1..9`, `video_file_1..3`,
 * `audio_file_1..3`, then any other uploaded file. Chat passes its parts.
 *
 * Omni mode when the request says so (`references`, `functionMode:
 * "omni_reference"`, a `video_file_N`/`audio_file_N` field, a video or audio
 * chat part), when a material turns out to be a video or audio, or — for a
 * model that takes omni references — when the prompt has an `@` placeholder
 * or there are more than two images. Otherwise 0–2 images are the first and
 * last frame, as before. Every limit is checked here and, once the materials
 * are read, in `video_materials.ts`, before any upload.
 * @module
 */
import { chooseSeconds, chooseVideoShape } from "./video_request.ts";
import type { MaterialSource } from "../generation/materials.ts";
import type { VideoModel } from "../jimeng/models.ts";
import { OMNI_LIMITS, omniModelIds, takesOmniReferences } from "../jimeng/omni.ts";
import type { OmniJobParams } from "../jobs/omni_job.ts";
import type { VideoJobParams } from "../jobs/runner.ts";
import type { MaterialKind } from "../media/sniff.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiError, badRequest } from "./errors.ts";
import { type Fields, listOf, optionalChoice } from "./fields.ts";

/** The most first/last-frame images of a video. */
export const MAX_FRAMES = 2;

/** A request's materials, before they are read. */
export interface VideoSources {
  sources: MaterialSource[];
  /** The request itself asks for omni mode (not only its bytes). */
  explicit: boolean;
  /** Which field made it explicit, for the error about a model that cannot. */
  explicitParam?: string;
}

/** What a video request's inputs are. */
export type VideoInputs =
  | { mode: "frames"; images: Uint8Array[] }
  | { mode: "omni"; omni: OmniJobParams; files: OmniFile[] };

/** One material to keep for an omni job. */
export interface OmniFile {
  kind: MaterialKind;
  bytes: Uint8Array;
  ext: string;
}

const KIND_KEYS: Record<string, MaterialKind> = {
  image_url: "image",
  video_url: "video",
  audio_url: "audio",
};

/** `{image_url}`, `{video_url: {url}}`, `{url}` and plain values, with the kind an object key declares. */
function unwrap(value: unknown, param: string): MaterialSource {
  if (value === null || typeof value !== "object" || value instanceof File) return { param, value };
  const object = value as Record<string, unknown>;
  for (const [key, kind] of Object.entries(KIND_KEYS)) {
    const inner = object[key];
    if (inner === undefined) continue;
    const url = inner !== null && typeof inner === "object"
      ? (inner as { url?: unknown }).url
      : inner;
    // `image_url` on input_reference is OpenAI's own shape, not a claim about the bytes.
    const declared = key === "image_url" ? undefined : { kind, by: `its ${key} key` };
    return { param, value: url, declared };
  }
  return { param, value: object.url ?? value };
}

/** Sources of `POST /v1/videos` and `POST /v1/videos/generations`, in prompt order. */
export function videoRequestSources(fields: Fields): VideoSources {
  const sources: MaterialSource[] = [];
  const taken = new Set<string>();
  let explicitParam: string | undefined;
  const take = (name: string, declared?: MaterialKind) => {
    taken.add(name);
    const values = listOf(fields, name);
    values.forEach((value, i) => {
      const param = values.length > 1 || name === "references" ? `${name}[${i}]` : name;
      const source = unwrap(value, param);
      if (declared) source.declared = { kind: declared, by: `the field ${name}` };
      sources.push(source);
    });
  };
  take("input_reference");
  take("input_reference[image_url]");
  if (fields.values.references !== undefined && fields.values.references !== null) {
    const references = fields.values.references;
    if (
      !Array.isArray(references) && typeof references !== "string" && !(references instanceof File)
    ) {
      throw badRequest(
        "references",
        "'references' must be an array of URLs, data URLs or files",
        "invalid_type",
      );
    }
    explicitParam = "references";
  }
  take("references");
  take("file_paths");
  take("filePaths");
  for (const [kind, most] of [["image", 9], ["video", 3], ["audio", 3]] as const) {
    for (
      const name of [
        `${kind}_file`,
        ...Array.from({ length: most }, (_, i) => `${kind}_file_${i + 1}`),
      ]
    ) {
      if (fields.values[name] === undefined) continue;
      if (kind !== "image") explicitParam ??= name;
      take(name, kind);
    }
  }
  const mode = optionalChoice(
    fields,
    "functionMode",
    ["omni_reference", "first_last_frames"] as const,
  );
  if (mode === "omni_reference") explicitParam ??= "functionMode";
  if (fields.source === "form") {
    for (const [name, value] of Object.entries(fields.values)) {
      if (taken.has(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item instanceof File) sources.push({ param: name, value: item });
      }
    }
  }
  if (mode === "first_last_frames" && explicitParam !== undefined) {
    throw badRequest(
      "functionMode",
      `functionMode "first_last_frames" takes images only, but ${explicitParam} asks for omni references`,
    );
  }
  return { sources, explicit: explicitParam !== undefined, explicitParam };
}

/** The error for omni references sent to a model that takes none. */
export function notOmniModel(model: VideoModel, param: string, why: string): ApiError {
  return new ApiError(
    400,
    `'${model.id}' takes no omni references (${why}, from ${param}); the models that do: ${
      omniModelIds().join(", ")
    }`,
    "invalid_request_error",
    "model_not_supported",
    "model",
  );
}

/** Output duration of an omni video: whole seconds from 4 to 15, whatever the model's usual rule. */
export function chooseOmniSeconds(fields: Fields, model: VideoModel, prompt: string): number {
  const { minSeconds, maxSeconds } = OMNI_LIMITS;
  return chooseSeconds(fields, {
    ...model,
    id: `${model.id} with omni references`,
    durations: {
      kind: "range",
      min: minSeconds,
      max: maxSeconds,
      default: Math.min(maxSeconds, Math.max(minSeconds, model.durations.default)),
    },
  }, prompt);
}

/** Options of {@linkcode resolveVideoInputs}. */
export interface ResolveVideoInputs {
  model: VideoModel;
  prompt: string;
  /** Where the prompt came from (`prompt`, or `messages` in chat). */
  promptParam: string;
  sources: VideoSources;
  signal?: AbortSignal;
}

/**
 * Reads a video request's materials and decides its mode.
 *
 * @throws {ApiError | InvalidReferenceError} a 400 naming the field for any
 * limit or bad input, before anything is uploaded
 */
export async function resolveVideoInputs(
  deps: ApiDeps,
  options: ResolveVideoInputs,
): Promise<VideoInputs> {
  const { model, sources: { sources, explicit, explicitParam } } = options;
  const omniCapable = takesOmniReferences(model);
  if (explicit && !omniCapable) throw notOmniModel(model, explicitParam!, "omni references");
  if (sources.length === 0) {
    if (explicit) {
      throw badRequest(explicitParam!, "An omni-reference video needs at least one reference");
    }
    return { mode: "frames", images: [] };
  }
  if (!omniCapable && sources.length > MAX_FRAMES) {
    throw badRequest(
      sources[MAX_FRAMES].param,
      `A video takes at most ${MAX_FRAMES} images (first and last frame); got ${sources.length}`,
      "too_many_images",
    );
  }
  if (sources.length > OMNI_LIMITS.total) {
    throw badRequest(
      sources[OMNI_LIMITS.total].param,
      `An omni-reference video takes at most ${OMNI_LIMITS.total} references; got ${sources.length}`,
      "too_many_references",
    );
  }
  // Reading materials takes the downloaders, sniffers and container probes: a server loads
  // them with the first video that has any.
  const { readVideoInputs } = await import("./video_materials.ts");
  return await readVideoInputs(deps, options);
}

/**
 * A video job's parameters for its inputs: the model's usual rules in frame
 * mode, 4–15 s and the omni part in omni mode.
 */
export function videoJobParams(
  fields: Fields,
  model: VideoModel,
  prompt: string,
  inputs: VideoInputs,
): VideoJobParams {
  const shape = chooseVideoShape(fields, model, prompt);
  if (inputs.mode === "frames") {
    return { kind: "video", seconds: chooseSeconds(fields, model, prompt), ...shape };
  }
  return {
    kind: "video",
    seconds: chooseOmniSeconds(fields, model, prompt),
    ...shape,
    omni: inputs.omni,
  };
}

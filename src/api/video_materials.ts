/**
 * Reads a video request's materials — downloads, data URLs, uploaded files —
 * tells what each is, and decides whether they make an omni-reference video
 * (`omni_request.ts` describes the rules). `resolveVideoInputs` imports this
 * module with the first request that has materials, so a server that never
 * gets one never holds the readers (sniffing, container probes, placeholders).
 * @module
 */
import { type LoadedMaterial, loadMaterial, type MaterialSource } from "../generation/materials.ts";
import { findPlaceholders, splitPrompt } from "../generation/placeholders.ts";
import { InvalidReferenceError } from "../generation/references.ts";
import { OMNI_LIMITS, takesOmniReferences } from "../jimeng/omni.ts";
import type { OmniReferenceMeta } from "../jobs/omni_job.ts";
import { describeMaterial, type MaterialKind } from "../media/sniff.ts";
import type { ApiDeps } from "./deps.ts";
import { badRequest } from "./errors.ts";
import {
  MAX_FRAMES,
  notOmniModel,
  type ResolveVideoInputs,
  type VideoInputs,
} from "./omni_request.ts";

const mib = (n: number) => n * 1048576;

async function loadAll(
  deps: ApiDeps,
  sources: readonly MaterialSource[],
  maxBytes: number,
  omniCapable: boolean,
  signal?: AbortSignal,
): Promise<LoadedMaterial[]> {
  const { config } = deps;
  return await Promise.all(sources.map(async (source) => {
    try {
      return await loadMaterial(source, {
        maxBytes,
        fetchTimeoutMs: config.fetchTimeoutMs,
        localFilesDir: config.localFilesDir,
        fetchAllowlist: config.fetchAllowlist,
        resolver: deps.resolver,
        signal,
      });
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
      if (
        !omniCapable && error.code === "invalid_reference" && !/declared as/.test(error.message)
      ) {
        // A model that takes only frames: what is no image is an invalid image.
        throw new InvalidReferenceError(
          error.message.replace(
            / is none of the accepted formats: .*$/,
            " is not a readable PNG, JPEG, WebP or GIF image",
          ),
          400,
          { code: "invalid_image" },
        ).withParam(error.param);
      }
      if (omniCapable && error.status === 413) {
        throw new InvalidReferenceError(error.message, 400, { code: "reference_too_large" })
          .withParam(
            error.param,
          );
      }
      if (omniCapable && error.code === undefined && error.status === 400) {
        error.code = "invalid_reference";
      }
      throw error;
    }
  }));
}

const CAP_NAMES: Record<MaterialKind, string> = {
  image: "MAX_IMAGE_MB",
  video: "MAX_VIDEO_MB",
  audio: "MAX_AUDIO_MB",
};

function checkOmniLimits(deps: ApiDeps, loaded: readonly LoadedMaterial[]): void {
  const caps: Record<MaterialKind, number> = {
    image: deps.config.maxImageMb,
    video: deps.config.maxVideoMb,
    audio: deps.config.maxAudioMb,
  };
  const counts: Record<MaterialKind, number> = { image: 0, video: 0, audio: 0 };
  let videoMs = 0;
  for (const { param, bytes, material } of loaded) {
    const { kind } = material;
    if (bytes.length > mib(caps[kind])) {
      throw badRequest(
        param,
        `${param} is ${describeMaterial(material)} of ${
          (bytes.length / 1048576).toFixed(1)
        } MiB; ${kind} references may be at most ${caps[kind]} MiB (${CAP_NAMES[kind]})`,
        "reference_too_large",
      );
    }
    if (++counts[kind] > OMNI_LIMITS[kind]) {
      throw badRequest(
        param,
        `An omni-reference video takes at most ${
          OMNI_LIMITS[kind]
        } ${kind} references; ${param} is ${kind} number ${counts[kind]}`,
        "too_many_references",
      );
    }
    if (kind !== "video") continue;
    if (material.durationMs === undefined) {
      throw badRequest(
        param,
        `The duration of ${param} (${
          describeMaterial(material)
        }) cannot be read from the file, and reference videos must last ${OMNI_LIMITS.videoSeconds} s at most together`,
        "invalid_reference",
      );
    }
    videoMs += material.durationMs;
    if (videoMs > OMNI_LIMITS.videoSeconds * 1000) {
      throw badRequest(
        param,
        `Reference videos may last ${OMNI_LIMITS.videoSeconds} s together; with ${param} (${
          (material.durationMs / 1000).toFixed(1)
        } s) they last ${(videoMs / 1000).toFixed(1)} s`,
        "reference_too_long",
      );
    }
  }
}

/**
 * Reads the materials of a video request that has some (after
 * `resolveVideoInputs` checked their number) and decides its mode.
 *
 * @throws {ApiError | InvalidReferenceError} a 400 naming the field for any
 * limit or bad input, before anything is uploaded
 */
export async function readVideoInputs(
  deps: ApiDeps,
  options: ResolveVideoInputs,
): Promise<VideoInputs> {
  const { model, prompt, sources: { sources, explicit } } = options;
  const omniCapable = takesOmniReferences(model);
  const { config } = deps;
  const maxBytes = mib(
    omniCapable
      ? Math.max(config.maxImageMb, config.maxVideoMb, config.maxAudioMb)
      : config.maxImageMb,
  );
  const loaded = await loadAll(deps, sources, maxBytes, omniCapable, options.signal);
  const media = loaded.find((item) => item.material.kind !== "image");
  if (media && !omniCapable) {
    throw notOmniModel(model, media.param, `${describeMaterial(media.material)} reference`);
  }
  const omni = explicit || media !== undefined ||
    (omniCapable && (findPlaceholders(prompt).length > 0 || loaded.length > MAX_FRAMES));
  if (!omni) {
    for (const { param, bytes } of loaded) {
      if (bytes.length > mib(config.maxImageMb)) {
        throw new InvalidReferenceError(
          `${param} is larger than ${config.maxImageMb} MiB (MAX_IMAGE_MB)`,
          413,
        ).withParam(param);
      }
    }
    return { mode: "frames", images: loaded.map((item) => item.bytes) };
  }
  checkOmniLimits(deps, loaded);
  const split = splitPrompt(prompt, loaded.map((item) => item.material.kind));
  if ("placeholder" in split) {
    throw badRequest(options.promptParam, `The prompt's ${split.message}`, "unknown_placeholder");
  }
  const references: OmniReferenceMeta[] = loaded.map(({ param, bytes, material }) => ({
    kind: material.kind,
    format: material.format,
    contentType: material.contentType,
    size: bytes.length,
    durationMs: material.durationMs,
    width: material.width,
    height: material.height,
    source: param,
  }));
  return {
    mode: "omni",
    omni: { segments: split.segments, references },
    files: loaded.map(({ bytes, material }) => ({
      kind: material.kind,
      bytes,
      ext: material.format === "jpeg" ? "jpg" : material.format,
    })),
  };
}

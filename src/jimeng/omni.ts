/**
 * Omni-reference video (Seedance 全能参考, 2026-10 sheet §5 and fact sheet
 * 5.4): the `aigc_draft/generate` body whose `unified_edit_input` lists the
 * uploaded materials (images, videos, audio) and carries the prompt only in
 * its `meta_list`, as text runs alternating with references to materials.
 * It is submitted the way every video is ({@linkcode postVideoDraft}).
 * @module
 */
import type { Session, UpstreamContext } from "./http.ts";
import { VIDEO_MODELS, type VideoModel, type VideoRatio, type VideoResolution } from "./models.ts";
import type { ProtocolConstants } from "./protocol.ts";
import { regionInfo } from "./regions.ts";
import { postVideoDraft, videoGenerateBody } from "./videos.ts";

/** An uploaded material, in the order the prompt numbers them. */
export type OmniMaterial =
  | { kind: "image"; uri: string; width?: number; height?: number; format?: string }
  | { kind: "video"; vid: string; durationMs: number; width?: number; height?: number }
  | { kind: "audio"; vid: string; durationMs: number };

/** One run of the prompt: text, or a reference to material `ref` (0-based). */
export type OmniSegment = { text: string } | { ref: number };

/** What one omni-reference task needs. */
export interface OmniTaskParams {
  model: VideoModel;
  ratio: VideoRatio;
  resolution: VideoResolution;
  durationS: number;
  materials: readonly OmniMaterial[];
  segments: readonly OmniSegment[];
}

/** Most materials of each kind, and in all (2026-10 sheet §5). */
export const OMNI_LIMITS = Object.freeze({
  image: 9,
  video: 3,
  audio: 3,
  total: 12,
  /** The reference videos together, in seconds. */
  videoSeconds: 15,
  /** Output duration, whole seconds. */
  minSeconds: 4,
  maxSeconds: 15,
});

/** `sceneOptions[].materialTypes` code per kind. */
const MATERIAL_TYPE_CODE = { image: 1, video: 2, audio: 3 } as const;

/**
 * Whether a video model takes omni references: the Seedance 2.0 family
 * (`dreamina_seedance_40*`) and Seedance 2.5 (`dreamina_seedance_45*`),
 * decided by request key so models the account's catalog adds count too.
 */
export function takesOmniReferences(model: VideoModel): boolean {
  return /^dreamina_seedance_4[05](_|$)/.test(model.reqKey);
}

/** The ids of the built-in models that take omni references, for messages. */
export function omniModelIds(): string[] {
  return VIDEO_MODELS.filter(takesOmniReferences).map((model) => model.id);
}

/**
 * The `benefit_type` of an omni task. The base is the model's own benefit
 * type for the resolution — from the account's catalog when the model came
 * from there, else the built-in table (by request key) — and when a video is
 * among the materials, its `_with_video` variant: the web app bills a video
 * input separately (`dreamina_video_seedance_20_pro_with_video`,
 * `dreamina_seedance_20_fast_with_video`). The per-output `…_output` types
 * (VIP models, Seedance 2.5, Mini) stay as they are: they bill the output
 * alone, and no source names a variant of them.
 */
export function omniBenefitType(
  model: VideoModel,
  resolution: VideoResolution,
  hasVideo: boolean,
): string {
  const table = VIDEO_MODELS.find((m) => m.reqKey === model.reqKey);
  const base = model.benefitType[resolution] ?? table?.benefitType[resolution] ??
    model.benefitType[model.resolutions[0]] ?? table?.benefitType[table.resolutions[0]];
  if (!base) throw new RangeError(`Model ${model.id} has no benefit type for ${resolution}`);
  if (!hasVideo || base.endsWith("_output") || base.endsWith("_with_video")) return base;
  return `${base}_with_video`;
}

const node = () => ({ type: "", id: crypto.randomUUID() });

function materialEntry(material: OmniMaterial) {
  const base = { ...node(), material_type: material.kind };
  if (material.kind === "image") {
    return {
      ...base,
      image_info: {
        type: "image",
        id: crypto.randomUUID(),
        source_from: "upload",
        platform_type: 1,
        name: "",
        image_uri: material.uri,
        uri: material.uri,
        width: material.width ?? 0,
        height: material.height ?? 0,
        format: material.format ?? "",
        aigc_image: {},
      },
    };
  }
  if (material.kind === "video") {
    return {
      ...base,
      video_info: {
        type: "video",
        id: crypto.randomUUID(),
        source_from: "upload",
        name: "",
        vid: material.vid,
        fps: 0,
        width: material.width ?? 0,
        height: material.height ?? 0,
        duration: material.durationMs,
      },
    };
  }
  return {
    ...base,
    audio_info: {
      type: "audio",
      id: crypto.randomUUID(),
      source_from: "upload",
      name: "",
      vid: material.vid,
      duration: material.durationMs,
    },
  };
}

function metaEntry(segment: OmniSegment, materials: readonly OmniMaterial[]) {
  if ("text" in segment) return { ...node(), meta_type: "text", text: segment.text };
  const material = materials[segment.ref];
  if (!material) throw new RangeError(`Segment refers to material ${segment.ref}, which is absent`);
  return {
    ...node(),
    meta_type: material.kind,
    text: "",
    material_ref: { ...node(), material_idx: segment.ref },
  };
}

/** Builds the generate body of an omni task (exported for tests). */
export function buildOmniGenerateBody(
  params: OmniTaskParams,
  protocol: ProtocolConstants,
  aid: number,
  submitId: string,
  nowMs: number,
  random: () => number,
): Record<string, unknown> {
  const { model, materials } = params;
  const hasVideo = materials.some((m) => m.kind === "video");
  const withResolution = model.sendResolution;
  const scene: Record<string, unknown> = {
    type: "video",
    scene: "BasicVideoGenerateButton",
    modelReqKey: model.reqKey,
    videoDuration: params.durationS,
    materialTypes: materials.map((m) => MATERIAL_TYPE_CODE[m.kind]),
    reportParams: {
      enterSource: "generate",
      vipSource: "generate",
      extraVipFunctionKey: withResolution ? `${model.reqKey}-${params.resolution}` : model.reqKey,
      useVipFunctionDetailsReporterHoc: true,
    },
  };
  if (withResolution) scene.resolution = params.resolution;
  const metricsExtra = JSON.stringify({
    position: "page_bottom_box",
    isDefaultSeed: 1,
    originSubmitId: submitId,
    isRegenerate: false,
    enterFrom: "click",
    functionMode: "omni_reference",
    sceneOptions: JSON.stringify([scene]),
  });
  const input: Record<string, unknown> = {
    ...node(),
    min_version: protocol.omniMinVersion,
    // The prompt lives only in meta_list.
    prompt: "",
    video_mode: 2,
    fps: 24,
    duration_ms: params.durationS * 1000,
    unified_edit_input: {
      ...node(),
      material_list: materials.map(materialEntry),
      meta_list: params.segments.map((segment) => metaEntry(segment, materials)),
    },
  };
  if (withResolution) input.resolution = params.resolution;
  return videoGenerateBody(
    {
      model,
      ratio: params.ratio,
      benefitType: omniBenefitType(model, params.resolution, hasVideo),
      input,
      metricsExtra,
      minVersion: protocol.omniMinVersion,
      minFeatures: ["AIGC_Video_UnifiedEdit"],
      component: { process_type: 1 },
    },
    protocol,
    aid,
    submitId,
    nowMs,
    random,
  );
}

/**
 * Submits one omni task under `submitId` (idempotent upstream, as every video).
 *
 * @returns the upstream history record id
 */
export async function submitOmniTask(
  ctx: UpstreamContext,
  session: Session,
  params: OmniTaskParams,
  submitId: string,
  signal?: AbortSignal,
): Promise<string> {
  const { protocol } = ctx.settings;
  const info = regionInfo(session.region);
  const body = buildOmniGenerateBody(
    params,
    protocol,
    info.international ? protocol.aidIntl : protocol.aidCn,
    submitId,
    ctx.deps.now(),
    ctx.deps.random,
  );
  return await postVideoDraft(ctx, session, body, params.model, signal);
}

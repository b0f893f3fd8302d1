/**
 * Video generation requests: the `aigc_draft/generate` body in first/last
 * frame mode (fact sheet 5.3), its submission, and the lookup of the best
 * file after success (2026-10 sheet §6).
 * @module
 */
import { JimengError, withModelAlternatives } from "./errors.ts";
import { itemIdOf, videoUrlOf } from "./history.ts";
import { callUpstream, type Session, type UpstreamContext } from "./http.ts";
import {
  alternativeModels,
  type VideoModel,
  type VideoRatio,
  type VideoResolution,
} from "./models.ts";
import { daVersionOf, PATHS, type ProtocolConstants } from "./protocol.ts";
import { regionInfo } from "./regions.ts";

/** An uploaded frame image. */
export interface FrameImage {
  uri: string;
  width?: number;
  height?: number;
}

/** What one upstream video task needs. */
export interface VideoTaskParams {
  model: VideoModel;
  prompt: string;
  ratio: VideoRatio;
  resolution: VideoResolution;
  durationS: number;
  /** First frame (image-to-video); with `lastFrame`, first+last frame mode. */
  firstFrame?: FrameImage;
  lastFrame?: FrameImage;
}

const node = () => ({ type: "", id: crypto.randomUUID() });

function frameObject(frame: FrameImage) {
  return {
    type: "image",
    id: crypto.randomUUID(),
    source_from: "upload",
    platform_type: 1,
    name: "",
    image_uri: frame.uri,
    uri: frame.uri,
    format: "",
    // The newest reference sends 1024 placeholders when the size is unknown.
    width: frame.width ?? 1024,
    height: frame.height ?? 1024,
  };
}

/** The `benefit_type` the web app bills a video with. */
export function videoBenefitType(model: VideoModel, resolution: VideoResolution): string {
  const benefit = model.benefitType[resolution] ?? model.benefitType[model.resolutions[0]];
  if (!benefit) throw new RangeError(`Model ${model.id} has no benefit type for ${resolution}`);
  return benefit;
}

/** What a video generate body is made of; the rest is the same for every video. */
export interface VideoBodyParts {
  model: VideoModel;
  ratio: VideoRatio;
  benefitType: string;
  /** The one entry of `video_gen_inputs`. */
  input: Record<string, unknown>;
  /** `metrics_extra`, also the task's `video_task_extra`. */
  metricsExtra: string;
  /** The draft's `min_version` and `min_features`. */
  minVersion: string;
  minFeatures: readonly string[];
  /** More fields of the video component (omni: `process_type`). */
  component?: Record<string, unknown>;
}

/** Wraps a video's input into the `aigc_draft/generate` body: draft, component, billing. */
export function videoGenerateBody(
  parts: VideoBodyParts,
  protocol: ProtocolConstants,
  aid: number,
  submitId: string,
  nowMs: number,
  random: () => number,
): Record<string, unknown> {
  const componentId = crypto.randomUUID();
  const commerce = {
    benefit_type: parts.benefitType,
    resource_id: "generate_video",
    resource_id_type: "str",
    resource_sub_type: "aigc",
  };
  const draft = {
    type: "draft",
    id: crypto.randomUUID(),
    min_version: parts.minVersion,
    min_features: parts.minFeatures,
    is_from_tsn: true,
    version: protocol.daVersion,
    main_component_id: componentId,
    component_list: [{
      type: "video_base_component",
      id: componentId,
      min_version: protocol.videoComponentMinVersion,
      aigc_mode: "workbench",
      metadata: {
        type: "",
        id: crypto.randomUUID(),
        created_platform: 3,
        created_platform_version: "",
        created_time_in_ms: nowMs,
        created_did: "",
      },
      generate_type: "gen_video",
      abilities: {
        ...node(),
        gen_video: {
          ...node(),
          text_to_video_params: {
            ...node(),
            model_req_key: parts.model.reqKey,
            priority: 0,
            seed: 2_500_000_000 + Math.floor(random() * 100_000_000),
            video_aspect_ratio: parts.ratio,
            video_gen_inputs: [parts.input],
          },
          video_task_extra: parts.metricsExtra,
        },
      },
      ...parts.component,
    }],
  };
  return {
    extend: {
      root_model: parts.model.reqKey,
      m_video_commerce_info: commerce,
      m_video_commerce_info_list: [commerce],
    },
    submit_id: submitId,
    metrics_extra: parts.metricsExtra,
    draft_content: JSON.stringify(draft),
    http_common_info: { aid },
  };
}

/** Builds the generate body of a first/last-frame video (exported for tests). */
export function buildVideoGenerateBody(
  params: VideoTaskParams,
  protocol: ProtocolConstants,
  aid: number,
  submitId: string,
  nowMs: number,
  random: () => number,
): Record<string, unknown> {
  const metricsExtra = JSON.stringify({
    enterFrom: "click",
    isDefaultSeed: 1,
    promptSource: "custom",
    isRegenerate: false,
    originSubmitId: crypto.randomUUID(),
  });
  const input: Record<string, unknown> = {
    ...node(),
    min_version: protocol.videoMinVersion,
    prompt: params.prompt,
    video_mode: 2,
    fps: 24,
    duration_ms: params.durationS * 1000,
  };
  if (params.model.sendResolution) input.resolution = params.resolution;
  if (params.firstFrame) input.first_frame_image = frameObject(params.firstFrame);
  if (params.lastFrame) input.end_frame_image = frameObject(params.lastFrame);
  return videoGenerateBody(
    {
      model: params.model,
      ratio: params.ratio,
      benefitType: videoBenefitType(params.model, params.resolution),
      input,
      metricsExtra,
      minVersion: protocol.videoMinVersion,
      minFeatures: [],
    },
    protocol,
    aid,
    submitId,
    nowMs,
    random,
  );
}

interface GenerateResponse {
  aigc_data?: { history_record_id?: string | number | null } | null;
}

/**
 * Submits one video task under `submitId`. Submitting the same `submitId`
 * again (after a crash, say) yields the same record and is billed once.
 *
 * @returns the upstream history record id
 */
export async function submitVideoTask(
  ctx: UpstreamContext,
  session: Session,
  params: VideoTaskParams,
  submitId: string,
  signal?: AbortSignal,
): Promise<string> {
  const { protocol } = ctx.settings;
  const info = regionInfo(session.region);
  const aid = info.international ? protocol.aidIntl : protocol.aidCn;
  const body = buildVideoGenerateBody(
    params,
    // The draft `version` follows the site's web app, as its `da_version` does.
    { ...protocol, daVersion: daVersionOf(protocol, info.international) },
    aid,
    submitId,
    ctx.deps.now(),
    ctx.deps.random,
  );
  return await postVideoDraft(ctx, session, body, params.model, signal);
}

/**
 * Sends a video `aigc_draft/generate` body — every video mode goes this one
 * way, so what wraps upstream calls (retries, the browser transport) applies
 * to all of them alike.
 *
 * @returns the upstream history record id
 */
export async function postVideoDraft(
  ctx: UpstreamContext,
  session: Session,
  body: Record<string, unknown>,
  model: VideoModel,
  signal?: AbortSignal,
): Promise<string> {
  const { protocol } = ctx.settings;
  const info = regionInfo(session.region);
  const query: Record<string, string> = info.international ? {} : {
    aigc_features: protocol.aigcFeatures,
    web_version: protocol.webVersion,
    da_version: protocol.daVersion,
    web_component_open_flag: "1",
  };
  const data = await callUpstream<GenerateResponse>(ctx, session, {
    path: PATHS.generate,
    body,
    query,
    referer: `${info.pageOrigin}/ai-tool/generate?type=video`,
    signal,
  }).catch((error) => {
    throw withModelAlternatives(
      error,
      model.id,
      alternativeModels(model, session.region),
    );
  });
  const historyId = data?.aigc_data?.history_record_id;
  if (historyId === undefined || historyId === null || historyId === "") {
    throw new JimengError("bad_response", "Jimeng accepted the video task without a record id");
  }
  return String(historyId);
}

/** Which file of a finished video is kept, best first (2026-10 sheet §6). */
export type VideoVariant = "no_watermark" | "high_bitrate" | "preview";

/** The best file of a video item and which one it is. */
export interface BestVideo {
  url: string;
  variant: VideoVariant;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** Decodes a base64 `main_url`; `undefined` unless it decodes to an http(s) URL. */
function decodeMainUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  let text: string;
  try {
    text = atob(value.trim());
  } catch {
    return undefined;
  }
  return /^https?:\/\/\S+$/.test(text) ? text : undefined;
}

/**
 * The watermark-free file of an item: `video.video_model` is a JSON string
 * whose `video_list.video_N.main_url` (N = 4…1, the first present) is a
 * base64-encoded URL. Accounts not entitled to it get no such list.
 */
export function noWatermarkUrlOf(item: unknown): string | undefined {
  const raw = objectOf(objectOf(item)?.video)?.video_model;
  let model: unknown = raw;
  if (typeof raw === "string") {
    try {
      model = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const list = objectOf(objectOf(model)?.video_list);
  if (!list) return undefined;
  for (let n = 4; n >= 1; n--) {
    const url = decodeMainUrl(objectOf(list[`video_${n}`])?.main_url);
    if (url) return url;
  }
  return undefined;
}

/**
 * Picks the best file of a `get_local_item_list` answer for an item: the
 * watermark-free one, else the high-bitrate transcode, else the preview
 * (exported for tests).
 */
export function bestVideoOf(data: unknown, itemId: string, previewUrl: string): BestVideo {
  const payload = objectOf(data);
  const lists = [payload?.item_list, payload?.local_item_list].filter(Array.isArray) as unknown[][];
  const items = lists.flat();
  const item = items.find((entry) => itemIdOf(entry) === itemId) ?? items[0];
  const clean = noWatermarkUrlOf(item);
  if (clean) return { url: clean, variant: "no_watermark" };
  const origin = item === undefined ? undefined : videoUrlOf(item);
  if (origin && origin !== previewUrl) return { url: origin, variant: "high_bitrate" };
  return { url: previewUrl, variant: "preview" };
}

/**
 * Asks `get_local_item_list` for the downloadable files of a finished video
 * item and returns the best one the account is entitled to; the preview
 * when the answer offers nothing better.
 */
export async function fetchBestVideo(
  ctx: UpstreamContext,
  session: Session,
  itemId: string,
  previewUrl: string,
  signal?: AbortSignal,
): Promise<BestVideo> {
  const data = await callUpstream<unknown>(ctx, session, {
    path: PATHS.localItems,
    body: {
      item_id_list: [itemId],
      pack_item_opt: { scene: 1, need_data_integrity: true },
      is_for_video_download: true,
    },
    signal,
  });
  return bestVideoOf(data, itemId, previewUrl);
}

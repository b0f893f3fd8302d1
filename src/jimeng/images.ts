/**
 * Image generation requests: the `aigc_draft/generate` body for
 * text-to-image and reference-image ("blend") mode, and its submission.
 * @module
 */
import { createHash } from "node:crypto";
import { callUpstream, type Session, type UpstreamContext } from "./http.ts";
import { JimengError, withModelAlternatives } from "./errors.ts";
import {
  alternativeModels,
  IMAGE_DIMENSIONS,
  IMAGE_RATIO_CODE,
  type ImageModel,
  type ImageRatio,
  type ImageResolution,
} from "./models.ts";
import { daVersionOf, PATHS, type ProtocolConstants } from "./protocol.ts";
import { regionInfo } from "./regions.ts";

/** What one upstream image task needs. */
export interface ImageTaskParams {
  model: ImageModel;
  prompt: string;
  negativePrompt: string;
  ratio: ImageRatio;
  resolution: ImageResolution;
  /** 0..1, the web app's "精细度"; blend strength too. */
  sampleStrength: number;
  /** ImageX URIs of uploaded reference images; non-empty → blend mode. */
  referenceUris: readonly string[];
  /** Images this task makes, 1 to {@linkcode MAX_IMAGES_PER_TASK} (`gen_option.gen_count`). */
  count: number;
  /** `submit_id` of the first submission (a durable job persists it beforehand). */
  submitId?: string;
  /**
   * Dreamina only: the account's workspace (`workspace/list`), sent as
   * `extend.workspace_id` exactly as the upstream gave it (2026-10 sheet §8).
   */
  workspaceId?: string | number;
}

/** Which site a body is for: Dreamina's differs in a few fields (2026-10 sheet §8). */
export interface ImageSite {
  international: boolean;
}

/**
 * A `submit_id` derived from another one: the same inputs give the same id,
 * so work resumed after a crash resubmits under the ids it used before (and
 * the upstream answers with the records it made then) without storing them.
 */
export function deriveSubmitId(base: string, salt: string): string {
  const hex = createHash("sha256").update(`${base}\u0000${salt}`).digest("hex");
  // Shaped as a version-4 UUID, like every other submit_id the web app sends.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${
    hex.slice(17, 20)
  }-${hex.slice(20, 32)}`;
}

/** A submitted task. */
export interface SubmittedTask {
  historyId: string;
  submitId: string;
}

/** Most images one upstream task makes (2026-10 sheet §1). */
export const MAX_IMAGES_PER_TASK = 4;

const node = () => ({ type: "", id: crypto.randomUUID() });

/**
 * Where the upstream reads the image count: `abilities.gen_option`, beside
 * `generate` / `blend` (2026-10 sheet §1). Placed anywhere else, it is
 * ignored and the task makes four images.
 */
function genOption(count: number) {
  if (!Number.isInteger(count) || count < 1 || count > MAX_IMAGES_PER_TASK) {
    throw new RangeError(`An image task makes 1 to ${MAX_IMAGES_PER_TASK} images, not ${count}`);
  }
  return { gen_count: count, generate_all: false };
}

function largeImageInfo(params: ImageTaskParams) {
  const [width, height] = IMAGE_DIMENSIONS[params.resolution][params.ratio];
  return { ...node(), height, width, resolution_type: params.resolution };
}

/** `core_param` fields Dreamina's web app sends and the CN one does not (2026-10 sheet §8). */
const DREAMINA_CORE = { intelligent_ratio: false, generate_type: 0 };

function textToImageAbilities(params: ImageTaskParams, seed: number, site: ImageSite) {
  const generate: Record<string, unknown> = {
    ...node(),
    core_param: {
      ...node(),
      model: params.model.reqKey,
      prompt: params.prompt,
      negative_prompt: params.negativePrompt,
      seed,
      sample_strength: params.sampleStrength,
      image_ratio: IMAGE_RATIO_CODE[params.ratio],
      large_image_info: largeImageInfo(params),
      ...(site.international ? DREAMINA_CORE : {}),
    },
  };
  // Dreamina's captured body has no history_option (DAM §10).
  if (!site.international) generate.history_option = node();
  return { ...node(), gen_option: genOption(params.count), generate };
}

/**
 * The newest reference appends "##" for its single reference image; only the
 * older multi-image client documents several images, prefixing "##" per image.
 */
function blendPrompt(prompt: string, images: number): string {
  return images === 1 ? `${prompt}##` : `${"##".repeat(images)}${prompt}`;
}

function blendAbilities(params: ImageTaskParams, site: ImageSite) {
  const uris = params.referenceUris;
  return {
    ...node(),
    gen_option: genOption(params.count),
    blend: {
      ...node(),
      min_features: [],
      core_param: {
        ...node(),
        model: params.model.reqKey,
        prompt: blendPrompt(params.prompt, uris.length),
        sample_strength: params.sampleStrength,
        image_ratio: IMAGE_RATIO_CODE[params.ratio],
        large_image_info: largeImageInfo(params),
        ...(site.international ? DREAMINA_CORE : {}),
      },
      ability_list: uris.map((uri) => ({
        ...node(),
        name: "byte_edit",
        image_uri_list: [uri],
        image_list: [{
          type: "image",
          id: crypto.randomUUID(),
          source_from: "upload",
          platform_type: 1,
          name: "",
          image_uri: uri,
          width: 0,
          height: 0,
          format: "",
          uri,
        }],
        strength: params.sampleStrength,
      })),
      history_option: node(),
      prompt_placeholder_info_list: uris.map((_, index) => ({ ...node(), ability_index: index })),
      postedit_param: { ...node(), generate_type: 0 },
    },
  };
}

function metricsExtra(params: ImageTaskParams, submitId: string, site: ImageSite): string {
  if (site.international) {
    // Dreamina's web app sends no sceneOptions for images (2026-10 sheet §8).
    return JSON.stringify({
      promptSource: "custom",
      generateCount: 1,
      enterFrom: "click",
      position: "page_bottom_box",
      isBoxSelect: false,
      isCutout: false,
      hasRejectedAudit: 0,
      generateId: submitId,
      isRegenerate: false,
    });
  }
  const reqKey = params.model.reqKey;
  const scene = {
    type: "image",
    scene: "ImageBasicGenerate",
    modelReqKey: reqKey,
    resolutionType: params.resolution,
    abilityList: [],
    benefitCount: params.model.benefitCount[params.resolution] ?? 1,
    reportParams: {
      enterSource: "generate",
      vipSource: "generate",
      extraVipFunctionKey: `${reqKey}-${params.resolution}`,
      useVipFunctionDetailsReporterHoc: true,
    },
  };
  return JSON.stringify({
    promptSource: "custom",
    generateCount: 1,
    enterFrom: "click",
    sceneOptions: JSON.stringify([scene]),
    isBoxSelect: false,
    isCutout: false,
    generateId: submitId,
    isRegenerate: false,
  });
}

/**
 * Builds the generate body (exported for tests). `protocol.daVersion` is the
 * draft `version` of the site the body is for.
 */
export function buildImageGenerateBody(
  params: ImageTaskParams,
  protocol: ProtocolConstants,
  aid: number,
  submitId: string,
  nowMs: number,
  random: () => number,
  site: ImageSite = { international: false },
): Record<string, unknown> {
  const blend = params.referenceUris.length > 0;
  const componentId = crypto.randomUUID();
  const seed = 2_500_000_000 + Math.floor(random() * 100_000_000);
  const minVersion = blend && params.referenceUris.length > 1
    ? protocol.blendMinVersion
    : protocol.draftMinVersion;
  const draft = {
    type: "draft",
    id: crypto.randomUUID(),
    min_version: minVersion,
    min_features: [],
    is_from_tsn: true,
    version: protocol.daVersion,
    main_component_id: componentId,
    component_list: [{
      type: "image_base_component",
      id: componentId,
      min_version: protocol.draftMinVersion,
      metadata: {
        type: "",
        id: crypto.randomUUID(),
        created_platform: 3,
        created_platform_version: "",
        created_time_in_ms: String(nowMs),
        created_did: "",
      },
      generate_type: blend ? "blend" : "generate",
      aigc_mode: "workbench",
      abilities: blend ? blendAbilities(params, site) : textToImageAbilities(params, seed, site),
    }],
  };
  const extend: Record<string, unknown> = { root_model: params.model.reqKey };
  if (site.international && params.workspaceId !== undefined) {
    extend.workspace_id = params.workspaceId;
  }
  const body: Record<string, unknown> = { extend, submit_id: submitId };
  // The newest reference omits metrics_extra in blend mode.
  if (!blend) body.metrics_extra = metricsExtra(params, submitId, site);
  body.draft_content = JSON.stringify(draft);
  body.http_common_info = { aid };
  return body;
}

interface GenerateResponse {
  aigc_data?: { history_record_id?: string | number | null } | null;
}

/**
 * Submits one image task. The body, and with it the `submit_id`, is built
 * once: transport retries repeat the identical request.
 */
export async function submitImageTask(
  ctx: UpstreamContext,
  session: Session,
  params: ImageTaskParams,
  signal?: AbortSignal,
): Promise<SubmittedTask> {
  const { protocol } = ctx.settings;
  const info = regionInfo(session.region);
  const submitId = params.submitId ?? crypto.randomUUID();
  const aid = info.international ? protocol.aidIntl : protocol.aidCn;
  const body = buildImageGenerateBody(
    params,
    { ...protocol, daVersion: daVersionOf(protocol, info.international) },
    aid,
    submitId,
    ctx.deps.now(),
    ctx.deps.random,
    { international: info.international },
  );
  const query: Record<string, string> = info.international ? {} : {
    da_version: protocol.daVersion,
    web_component_open_flag: "1",
    web_version: protocol.webVersion,
  };
  const data = await callUpstream<GenerateResponse>(ctx, session, {
    path: PATHS.generate,
    body,
    query,
    referer: `${info.pageOrigin}/ai-tool/generate?type=image`,
    signal,
  }).catch((error) => {
    throw withModelAlternatives(
      error,
      params.model.id,
      alternativeModels(params.model, session.region),
    );
  });
  const historyId = data?.aigc_data?.history_record_id;
  if (historyId === undefined || historyId === null || historyId === "") {
    throw new JimengError("bad_response", "Jimeng accepted the image task without a record id");
  }
  return { historyId: String(historyId), submitId };
}

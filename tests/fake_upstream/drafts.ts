/**
 * Validation of `aigc_draft/generate` bodies (fact sheet 3.2–3.4, 5.3):
 * the envelope, the double-encoded `draft_content`, and the image or video
 * component against the fake's model tables. Returns a typed request or the
 * reason it was refused.
 * @module
 */
import {
  aidOf,
  benefitResolution,
  type FakeCatalogModel,
  IMAGE_RATIO_CODES,
  IMAGE_SIZES,
  imageModelOf,
  IMAGES_PER_RECORD,
  type ImageTier,
  VIDEO_RATIOS,
  videoModelOf,
} from "./models.ts";
import { isOmniDraft, parseOmni } from "./omni_drafts.ts";
import type { SessionState } from "./state.ts";

/** A valid image request. */
export interface ImageGenerate {
  kind: "image";
  submitId: string;
  model: string;
  generateType: "generate" | "blend";
  prompt: string;
  tier: ImageTier;
  width: number;
  height: number;
  inputUris: string[];
  /** Images to make: `abilities.gen_option.gen_count`, else 4 (2026-10 sheet §1). */
  count: number;
  /** Whether the count came from `gen_option`. */
  countGiven: boolean;
}

/** A material of an omni-reference request, as the fake resolved it. */
export interface OmniMaterialView {
  kind: "image" | "video" | "audio";
  /** Image URI or Vid. */
  id: string;
  /** Video and audio: seconds, as VOD measured. */
  duration?: number;
}

/** A valid video request. */
export interface VideoGenerate {
  kind: "video";
  submitId: string;
  model: string;
  generateType: "gen_video";
  prompt: string;
  durationMs: number;
  resolution: string;
  aspectRatio: string;
  inputUris: string[];
  /** Omni-reference requests: the materials, in `material_list` order. */
  materials?: OmniMaterialView[];
}

/** Either request, or why it was refused. */
export type GenerateParse = { request: ImageGenerate | VideoGenerate; error?: undefined } | {
  error: string;
};

type Json = Record<string, unknown>;

const DRAFT_ERROR = "DraftError";

/** Refuses the request; a tagged error so genuine bugs in the fake are not swallowed. */
export function fail(reason: string): never {
  const error = new Error(reason);
  error.name = DRAFT_ERROR;
  throw error;
}

/** `value` as an object, or a refusal naming it. */
export function object(value: unknown, name: string): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(`${name} must be an object`);
  }
  return value as Json;
}

/** `value` as a non-empty string, or a refusal naming it. */
export function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(`${name} must be a non-empty string`);
  return value;
}

/** `value` as a non-empty array, or a refusal naming it. */
export function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) fail(`${name} must be a non-empty array`);
  return value;
}

/** A field that must hold JSON encoded as a string (fact sheet 0). */
export function jsonString(value: unknown, name: string): unknown {
  if (typeof value !== "string") fail(`${name} must be a JSON string, got ${typeof value}`);
  try {
    return JSON.parse(value);
  } catch {
    fail(`${name} is not valid JSON`);
  }
}

/** An image URI this session committed through ImageX, or a refusal. */
export function committedUri(session: SessionState, uri: unknown, name: string): string {
  const value = text(uri, name);
  if (!session.committed.has(value)) {
    fail(`${name} ${value} was not committed through ImageX by this session`);
  }
  return value;
}

/** The submit_id of a body, for counting, even when the rest is invalid. */
export function submitIdOf(body: unknown): string | undefined {
  const id = (body as Json | null)?.submit_id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

const GEN_OPTION_KEYS = new Set(["gen_count", "generate_all", "type", "id"]);

/**
 * `abilities.gen_option` (2026-10 sheet §1): `{gen_count: 1–4, generate_all: false}`.
 * Without it the task makes four images, as the real one does; a count put
 * anywhere else is not looked at (the real one ignores it too).
 */
function imageCount(abilities: Json): number {
  if (abilities.gen_option === undefined) return IMAGES_PER_RECORD;
  const option = object(abilities.gen_option, "abilities.gen_option");
  for (const key of Object.keys(option)) {
    if (!GEN_OPTION_KEYS.has(key)) fail(`abilities.gen_option has an unknown field ${key}`);
  }
  const count = option.gen_count;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > IMAGES_PER_RECORD) {
    fail(`gen_option.gen_count must be an integer from 1 to 4, got ${JSON.stringify(count)}`);
  }
  if (option.generate_all !== false) {
    fail(`gen_option.generate_all must be false, got ${JSON.stringify(option.generate_all)}`);
  }
  return count as number;
}

function parseImage(
  session: SessionState,
  root: string,
  component: Json,
  extra: readonly FakeCatalogModel[],
): Omit<ImageGenerate, "submitId"> {
  const model = imageModelOf(root, extra) ?? fail(`unknown image model ${root}`);
  if (!model.regions.includes(session.region)) fail(`${root} is not served on ${session.region}`);
  const generateType = component.generate_type;
  if (generateType !== "generate" && generateType !== "blend") {
    fail(`generate_type must be "generate" or "blend", got ${JSON.stringify(generateType)}`);
  }
  const abilities = object(component.abilities, "abilities");
  const ability = object(abilities[generateType], `abilities.${generateType}`);
  const core = object(ability.core_param, "core_param");
  if (core.model !== root) fail(`core_param.model ${core.model} differs from root_model ${root}`);
  const prompt = text(core.prompt, "core_param.prompt");
  const strength = core.sample_strength;
  if (typeof strength !== "number" || !(strength >= 0 && strength <= 1)) {
    fail(`sample_strength must be a number in [0, 1], got ${strength}`);
  }
  const ratio = core.image_ratio;
  if (ratio === undefined && core.intelligent_ratio !== true) fail("image_ratio missing");
  if (ratio !== undefined && !IMAGE_RATIO_CODES.has(ratio as number)) {
    fail(`image_ratio ${JSON.stringify(ratio)} is in neither enum`);
  }
  const large = object(core.large_image_info, "large_image_info");
  const tier = large.resolution_type as ImageTier;
  if (!model.tiers.includes(tier)) {
    fail(`resolution_type ${JSON.stringify(tier)} not allowed for ${root} (${model.tiers})`);
  }
  const { width, height } = large;
  if (!Number.isInteger(width) || !Number.isInteger(height)) {
    fail("large_image_info.width and height must be integers");
  }
  const size = `${width}x${height}`;
  if (!IMAGE_SIZES[tier].has(size) && !model.extraSizes?.includes(size)) {
    fail(`${size} is not a ${tier} size`);
  }
  const inputUris: string[] = [];
  if (generateType === "blend") {
    const entries = list(ability.ability_list, "blend.ability_list");
    entries.forEach((entry, i) => {
      const name = `ability_list[${i}]`;
      const item = object(entry, name);
      if (item.name !== "byte_edit") fail(`${name}.name must be "byte_edit"`);
      const uris = [
        ...(Array.isArray(item.image_uri_list) ? item.image_uri_list : []),
        ...(Array.isArray(item.image_list)
          ? item.image_list.map((image) => object(image, `${name}.image_list[]`).image_uri)
          : []),
      ];
      if (uris.length === 0) fail(`${name} references no image`);
      for (const uri of uris) {
        const value = committedUri(session, uri, `${name} image`);
        if (!inputUris.includes(value)) inputUris.push(value);
      }
    });
    // ZZN appends "##"; IPT prepends "##" per reference image.
    if (!prompt.endsWith("##") && !prompt.startsWith("#".repeat(2 * entries.length))) {
      fail("blend prompt lacks the ## markers");
    }
  }
  return {
    kind: "image",
    model: root,
    generateType,
    prompt,
    tier,
    width: width as number,
    height: height as number,
    inputUris,
    count: imageCount(abilities),
    countGiven: abilities.gen_option !== undefined,
  };
}

function parseVideo(
  session: SessionState,
  root: string,
  top: Json,
  draft: Json,
  component: Json,
  extra: readonly FakeCatalogModel[],
): Omit<VideoGenerate, "submitId"> {
  const extend = object(top.extend, "extend");
  const model = videoModelOf(root, extra) ?? fail(`unknown video model ${root}`);
  if (!model.regions.includes(session.region)) fail(`${root} is not served on ${session.region}`);
  if (isOmniDraft(component)) return parseOmni(session, model, top, draft, component);
  const commerce = object(extend.m_video_commerce_info, "extend.m_video_commerce_info");
  const benefit = commerce.benefit_type;
  if (typeof benefit !== "string" || !model.benefits.includes(benefit)) {
    fail(`benefit_type ${JSON.stringify(benefit)} does not belong to ${root}`);
  }
  if (extend.m_video_commerce_info_list !== undefined) {
    for (const entry of list(extend.m_video_commerce_info_list, "m_video_commerce_info_list")) {
      if (object(entry, "m_video_commerce_info_list[]").benefit_type !== benefit) {
        fail("m_video_commerce_info_list disagrees with m_video_commerce_info");
      }
    }
  }
  if (component.generate_type !== "gen_video") fail(`generate_type must be "gen_video"`);
  const genVideo = object(object(component.abilities, "abilities").gen_video, "gen_video");
  if (genVideo.video_task_extra !== undefined) {
    jsonString(genVideo.video_task_extra, "video_task_extra");
  }
  const params = object(genVideo.text_to_video_params, "text_to_video_params");
  if (params.model_req_key !== root) {
    fail(`model_req_key ${params.model_req_key} differs from root_model ${root}`);
  }
  const aspectRatio = params.video_aspect_ratio;
  if (typeof aspectRatio !== "string" || !VIDEO_RATIOS.has(aspectRatio)) {
    fail(`video_aspect_ratio ${JSON.stringify(aspectRatio)} not supported`);
  }
  const input = object(list(params.video_gen_inputs, "video_gen_inputs")[0], "video_gen_inputs[0]");
  const prompt = text(input.prompt, "video_gen_inputs[0].prompt");
  const durationMs = input.duration_ms;
  if (typeof durationMs !== "number" || !model.durationsMs.includes(durationMs)) {
    fail(`duration_ms ${durationMs} not allowed for ${root} (${model.durationsMs})`);
  }
  const resolution = input.resolution ?? model.resolutions[0];
  if (typeof resolution !== "string" || !model.resolutions.includes(resolution)) {
    fail(`resolution ${JSON.stringify(resolution)} not allowed for ${root}`);
  }
  const tied = benefitResolution(benefit);
  if (input.resolution !== undefined && tied !== undefined && tied !== resolution) {
    fail(`benefit_type ${benefit} is for ${tied}, resolution is ${resolution}`);
  }
  const inputUris: string[] = [];
  for (const key of ["first_frame_image", "end_frame_image"]) {
    if (input[key] === undefined || input[key] === null) continue;
    const frame = object(input[key], key);
    inputUris.push(committedUri(session, frame.image_uri ?? frame.uri, `${key}.image_uri`));
  }
  return {
    kind: "video",
    model: root,
    generateType: "gen_video",
    prompt,
    durationMs,
    resolution,
    aspectRatio,
    inputUris,
  };
}

/**
 * What Dreamina's web app sends with an image and the CN one does not
 * (2026-10 sheet §8): the account's `extend.workspace_id` as `workspace/list`
 * issued it, `metrics_extra` without `sceneOptions`, and in a text-to-image
 * `core_param` `intelligent_ratio: false` and `generate_type: 0`.
 */
function checkDreaminaImage(session: SessionState, top: Json, extend: Json, component: Json): void {
  if (extend.workspace_id === undefined) fail("extend.workspace_id missing (Dreamina)");
  if (extend.workspace_id !== session.workspaceId) {
    fail(`extend.workspace_id ${JSON.stringify(extend.workspace_id)} is not this account's`);
  }
  if (top.metrics_extra !== undefined) {
    const metrics = object(jsonString(top.metrics_extra, "metrics_extra"), "metrics_extra");
    if (metrics.sceneOptions !== undefined) fail("metrics_extra carries sceneOptions (Dreamina)");
  }
  if (component.generate_type !== "generate") return;
  const core = object(
    object(object(component.abilities, "abilities").generate, "generate")
      .core_param,
    "core_param",
  );
  if (core.intelligent_ratio !== false) {
    fail("core_param.intelligent_ratio must be false (Dreamina)");
  }
  if (core.generate_type !== 0) fail("core_param.generate_type must be 0 (Dreamina)");
}

/** Validates a generate body for `session`; `extra` are models only the catalog knob adds. */
export function parseGenerate(
  session: SessionState,
  body: unknown,
  extra: readonly FakeCatalogModel[] = [],
): GenerateParse {
  try {
    const top = object(body, "body");
    const submitId = text(top.submit_id, "submit_id");
    const extend = object(top.extend, "extend");
    const root = text(extend.root_model, "extend.root_model");
    const aid = object(top.http_common_info, "http_common_info").aid;
    if (aid !== aidOf(session.region)) {
      fail(`http_common_info.aid must be the number ${aidOf(session.region)}, got ${aid}`);
    }
    if (top.metrics_extra !== undefined) jsonString(top.metrics_extra, "metrics_extra");
    const draft = object(jsonString(top.draft_content, "draft_content"), "draft_content");
    if (draft.type !== "draft") fail(`draft_content.type must be "draft"`);
    const component = object(list(draft.component_list, "component_list")[0], "component_list[0]");
    if (component.type === "image_base_component") {
      const image = parseImage(session, root, component, extra);
      if (session.region !== "cn") checkDreaminaImage(session, top, extend, component);
      return { request: { submitId, ...image } };
    }
    if (component.type === "video_base_component") {
      return {
        request: { submitId, ...parseVideo(session, root, top, draft, component, extra) },
      };
    }
    return { error: `component_list[0].type ${JSON.stringify(component.type)} is unknown` };
  } catch (error) {
    if (error instanceof Error && error.name === DRAFT_ERROR) return { error: error.message };
    throw error;
  }
}

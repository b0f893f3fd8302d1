/**
 * Validation of omni-reference video drafts (2026-10 sheet §5, fact sheet
 * 5.4): `min_features`, the materials against what this session uploaded
 * (images through ImageX, videos and audio through VOD, each of the kind it
 * claims), the limits (9 images, 3 videos, 3 audio, 12 in all, videos 15 s
 * together), a `meta_list` that holds the prompt and refers to materials in
 * range and of their kind, `functionMode` and `materialTypes`, the duration
 * and the benefit type (with or without a reference video).
 * @module
 */
import {
  committedUri,
  fail,
  jsonString,
  list,
  object,
  text,
  type VideoGenerate,
} from "./drafts.ts";
import { benefitResolution, type FakeVideoModel, OMNI_BENEFITS, VIDEO_RATIOS } from "./models.ts";
import type { SessionState } from "./state.ts";

type Json = Record<string, unknown>;

const LIMITS = { image: 9, video: 3, audio: 3, total: 12, videoSeconds: 15 };
const KIND_CODE = { image: 1, video: 2, audio: 3 } as const;
const INFO_KEY = { image: "image_info", video: "video_info", audio: "audio_info" } as const;
const OMNI_DURATIONS_MS = Array.from({ length: 12 }, (_, i) => (i + 4) * 1000);

function firstInput(component: Json): Json | undefined {
  const inputs = (((component.abilities as Json | undefined)?.gen_video as Json | undefined)
    ?.text_to_video_params as Json | undefined)?.video_gen_inputs;
  return Array.isArray(inputs) ? inputs[0] as Json | undefined : undefined;
}

/** Whether a video component is in omni-reference mode. */
export function isOmniDraft(component: Json): boolean {
  return firstInput(component)?.unified_edit_input !== undefined;
}

function versionAtLeast(value: unknown, min: string): boolean {
  if (typeof value !== "string" || !/^\d+(\.\d+)*$/.test(value)) return false;
  const a = value.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

interface Material {
  kind: "image" | "video" | "audio";
  id: string;
  duration?: number;
}

function parseMaterial(session: SessionState, entry: unknown, i: number): Material {
  const name = `material_list[${i}]`;
  const item = object(entry, name);
  const kind = item.material_type;
  if (kind !== "image" && kind !== "video" && kind !== "audio") {
    fail(`${name}.material_type ${JSON.stringify(kind)} is not image, video or audio`);
  }
  for (const other of Object.values(INFO_KEY)) {
    if (other !== INFO_KEY[kind] && item[other] !== undefined) {
      fail(`${name} is ${kind} but carries ${other}`);
    }
  }
  const info = object(item[INFO_KEY[kind]], `${name}.${INFO_KEY[kind]}`);
  if (info.type !== kind) fail(`${name}.${INFO_KEY[kind]}.type must be "${kind}"`);
  if (info.source_from !== "upload") fail(`${name}.${INFO_KEY[kind]}.source_from must be "upload"`);
  if (kind === "image") {
    const uri = committedUri(session, info.image_uri, `${name}.image_info.image_uri`);
    if (info.uri !== undefined && info.uri !== uri) {
      fail(`${name}.image_info.uri differs from image_uri`);
    }
    return { kind, id: uri };
  }
  const vid = text(info.vid, `${name}.${INFO_KEY[kind]}.vid`);
  const media = session.media.get(vid) ??
    fail(`${name} vid ${vid} was not committed through VOD by this session`);
  if (media.kind !== kind) fail(`${name} is declared ${kind} but vid ${vid} is ${media.kind}`);
  const duration = info.duration;
  if (typeof duration !== "number" || !Number.isInteger(duration)) {
    fail(`${name}.${INFO_KEY[kind]}.duration must be an integer of ms`);
  }
  if (Math.abs(duration - media.duration * 1000) > 1) {
    fail(`${name} duration ${duration} ms disagrees with VOD's ${media.duration} s`);
  }
  return { kind, id: vid, duration: media.duration };
}

/** Checks the meta list and rebuilds the prompt, references written `@<n>`. */
function parseMeta(value: unknown, materials: Material[]): string {
  let prompt = "";
  let hasText = false;
  list(value, "meta_list").forEach((entry, i) => {
    const name = `meta_list[${i}]`;
    const meta = object(entry, name);
    if (meta.meta_type === "text") {
      if (typeof meta.text !== "string") fail(`${name}.text must be a string`);
      if (meta.material_ref !== undefined) fail(`${name} is text but has a material_ref`);
      if (meta.text.trim() !== "") hasText = true;
      prompt += meta.text;
      return;
    }
    const ref = object(meta.material_ref, `${name}.material_ref`);
    const index = ref.material_idx;
    if (
      !Number.isInteger(index) || (index as number) < 0 || (index as number) >= materials.length
    ) {
      fail(`${name}.material_ref.material_idx ${JSON.stringify(index)} is out of range`);
    }
    const material = materials[index as number];
    if (meta.meta_type !== material.kind) {
      fail(
        `${name}.meta_type ${
          JSON.stringify(meta.meta_type)
        } but material ${index} is ${material.kind}`,
      );
    }
    if (meta.text !== "") fail(`${name}.text must be "" for a reference`);
    prompt += `@${(index as number) + 1}`;
  });
  if (!hasText) fail("meta_list carries no prompt text");
  return prompt;
}

/** Validates an omni-reference video request. */
export function parseOmni(
  session: SessionState,
  model: FakeVideoModel,
  top: Json,
  draft: Json,
  component: Json,
): Omit<VideoGenerate, "submitId"> {
  const root = model.key;
  const benefits = OMNI_BENEFITS.get(root) ?? fail(`${root} does not take omni references`);
  const features = draft.min_features;
  if (!Array.isArray(features) || !features.includes("AIGC_Video_UnifiedEdit")) {
    fail('draft min_features must include "AIGC_Video_UnifiedEdit"');
  }
  if (!versionAtLeast(draft.min_version, "3.3.9")) {
    fail(`draft min_version ${JSON.stringify(draft.min_version)} is below 3.3.9`);
  }
  if (component.generate_type !== "gen_video") fail(`generate_type must be "gen_video"`);
  const genVideo = object(object(component.abilities, "abilities").gen_video, "gen_video");
  const params = object(genVideo.text_to_video_params, "text_to_video_params");
  if (params.model_req_key !== root) {
    fail(`model_req_key ${params.model_req_key} differs from root_model ${root}`);
  }
  const aspectRatio = params.video_aspect_ratio;
  if (typeof aspectRatio !== "string" || !VIDEO_RATIOS.has(aspectRatio)) {
    fail(`video_aspect_ratio ${JSON.stringify(aspectRatio)} not supported`);
  }
  const inputs = list(params.video_gen_inputs, "video_gen_inputs");
  if (inputs.length !== 1) fail("an omni draft has exactly one video_gen_inputs entry");
  const input = object(inputs[0], "video_gen_inputs[0]");
  if (input.prompt !== "") {
    fail("video_gen_inputs[0].prompt must be empty: the prompt is in meta_list");
  }
  if (input.first_frame_image !== undefined || input.end_frame_image !== undefined) {
    fail("an omni draft carries no frame images");
  }
  const durationMs = input.duration_ms;
  if (typeof durationMs !== "number" || !OMNI_DURATIONS_MS.includes(durationMs)) {
    fail(`duration_ms ${durationMs} is not a whole second from 4 to 15`);
  }
  const resolution = input.resolution ?? model.resolutions[0];
  if (typeof resolution !== "string" || !model.resolutions.includes(resolution)) {
    fail(`resolution ${JSON.stringify(resolution)} not allowed for ${root}`);
  }

  const unified = object(input.unified_edit_input, "unified_edit_input");
  const materials = list(unified.material_list, "material_list").map((entry, i) =>
    parseMaterial(session, entry, i)
  );
  const count = (kind: Material["kind"]) => materials.filter((m) => m.kind === kind).length;
  for (const kind of ["image", "video", "audio"] as const) {
    if (count(kind) > LIMITS[kind]) {
      fail(`${count(kind)} ${kind} materials, at most ${LIMITS[kind]}`);
    }
  }
  if (materials.length > LIMITS.total) {
    fail(`${materials.length} materials, at most ${LIMITS.total}`);
  }
  const videoSeconds = materials.reduce(
    (sum, m) => sum + (m.kind === "video" ? m.duration! : 0),
    0,
  );
  if (videoSeconds > LIMITS.videoSeconds + 0.001) {
    fail(`reference videos last ${videoSeconds} s together, at most ${LIMITS.videoSeconds}`);
  }
  const prompt = parseMeta(unified.meta_list, materials);

  const extend = object(top.extend, "extend");
  const commerce = object(extend.m_video_commerce_info, "extend.m_video_commerce_info");
  const benefit = commerce.benefit_type;
  const allowed = count("video") > 0 ? benefits.withVideo : benefits.plain;
  if (typeof benefit !== "string" || !allowed.includes(benefit)) {
    fail(
      `benefit_type ${JSON.stringify(benefit)} is not an omni benefit of ${root} ${
        count("video") > 0 ? "with" : "without"
      } a reference video (credit prededuct failed)`,
    );
  }
  for (const entry of list(extend.m_video_commerce_info_list, "m_video_commerce_info_list")) {
    if (object(entry, "m_video_commerce_info_list[]").benefit_type !== benefit) {
      fail("m_video_commerce_info_list disagrees with m_video_commerce_info");
    }
  }
  const tied = benefitResolution(benefit);
  if (tied !== undefined && tied !== resolution) {
    fail(`benefit_type ${benefit} is for ${tied}, resolution is ${resolution}`);
  }

  const metrics = object(jsonString(top.metrics_extra, "metrics_extra"), "metrics_extra");
  if (metrics.functionMode !== "omni_reference") {
    fail(
      `metrics_extra.functionMode must be "omni_reference", got ${
        JSON.stringify(metrics.functionMode)
      }`,
    );
  }
  const scenes = jsonString(metrics.sceneOptions, "metrics_extra.sceneOptions");
  const scene = object(list(scenes, "sceneOptions")[0], "sceneOptions[0]");
  const expected = materials.map((m) => KIND_CODE[m.kind]);
  if (JSON.stringify(scene.materialTypes) !== JSON.stringify(expected)) {
    fail(
      `sceneOptions[0].materialTypes ${JSON.stringify(scene.materialTypes)}, expected ${
        JSON.stringify(expected)
      }`,
    );
  }
  if (scene.modelReqKey !== root) fail(`sceneOptions[0].modelReqKey differs from ${root}`);
  if (genVideo.video_task_extra !== top.metrics_extra) {
    fail("video_task_extra differs from metrics_extra");
  }
  return {
    kind: "video",
    model: root,
    generateType: "gen_video",
    prompt,
    durationMs,
    resolution,
    aspectRatio,
    inputUris: materials.map((m) => m.id),
    materials: materials.map((m) => ({ kind: m.kind, id: m.id, duration: m.duration })),
  };
}

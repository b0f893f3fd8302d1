/**
 * The model catalogue: public model ids, their upstream request keys,
 * resolutions, durations and the regions that offer them, plus the image
 * ratio and dimension tables (fact sheet 3.6, 3.7, 5.1, 5.2).
 * @module
 */
import type { Region } from "./regions.ts";

/** Image resolution tier. */
export type ImageResolution = "1k" | "1.5k" | "2k" | "4k";
/** Every image resolution tier, largest first (the step-down order). */
export const IMAGE_RESOLUTIONS: readonly ImageResolution[] = ["4k", "2k", "1.5k", "1k"];
/** Video resolution. */
export type VideoResolution = "720p" | "1080p" | "4k";
/** Supported image aspect ratios. */
export type ImageRatio = "21:9" | "16:9" | "3:2" | "4:3" | "1:1" | "3:4" | "2:3" | "9:16";
/** Supported video aspect ratios. */
export type VideoRatio = "16:9" | "9:16" | "1:1" | "4:3" | "3:4" | "21:9";

/** Every image ratio, widest first. */
export const IMAGE_RATIOS: readonly ImageRatio[] = [
  "21:9",
  "16:9",
  "3:2",
  "4:3",
  "1:1",
  "3:4",
  "2:3",
  "9:16",
];
/** Every video ratio. */
export const VIDEO_RATIOS: readonly VideoRatio[] = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"];

const ALL_REGIONS: readonly Region[] = ["cn", "us", "hk", "jp", "sg"];
const CN_ASIA: readonly Region[] = ["cn", "hk", "jp", "sg"];
const INTL: readonly Region[] = ["us", "hk", "jp", "sg"];

/** An image model. */
export interface ImageModel {
  kind: "image";
  id: string;
  /** Other names clients may use (the seed's short ids). */
  aliases: readonly string[];
  name: string;
  reqKey: string;
  /** Resolutions in step-down order; the first is the default. */
  resolutions: readonly ImageResolution[];
  /** `benefitCount` for metrics_extra per resolution. */
  benefitCount: Partial<Record<ImageResolution, number>>;
  regions: readonly Region[];
  /** Unix seconds the model appeared (for `/v1/models` `created`). */
  created: number;
  /** Typical upstream duration, the poller's first estimate. */
  typicalMs: number;
}

/** How a video model accepts durations. */
export type DurationRule =
  | { kind: "set"; seconds: readonly number[]; default: number }
  | { kind: "range"; min: number; max: number; default: number };

/** A video model. */
export interface VideoModel {
  kind: "video";
  id: string;
  aliases: readonly string[];
  name: string;
  reqKey: string;
  /** Resolutions; the first is the default. */
  resolutions: readonly VideoResolution[];
  /** `benefit_type` per resolution. */
  benefitType: Partial<Record<VideoResolution, string>>;
  /** Whether the `resolution` field is sent. */
  sendResolution: boolean;
  durations: DurationRule;
  regions: readonly Region[];
  created: number;
  typicalMs: number;
}

/** Any model. */
export type Model = ImageModel | VideoModel;

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;

const V4: Pick<ImageModel, "resolutions" | "benefitCount" | "typicalMs"> = {
  // 2k is the web app's default; 1k is accepted too and is the last step-down
  // for free accounts that get ret 1006 at 2k.
  resolutions: ["2k", "4k", "1k"],
  benefitCount: { "2k": 4, "4k": 1, "1k": 1 },
  typicalMs: 12_000,
};
const V3: Pick<ImageModel, "resolutions" | "benefitCount" | "typicalMs"> = {
  resolutions: ["1k"],
  benefitCount: { "1k": 1 },
  typicalMs: 10_000,
};

/** Image models, newest first. */
export const IMAGE_MODELS: readonly ImageModel[] = [
  {
    kind: "image",
    id: "jimeng-image-5.0-pro",
    aliases: ["jimeng-5.0-pro"],
    name: "Seedream 5.0 Pro",
    reqKey: "high_aes_general_v50p_large",
    // 1.5k, 2k and 4k only (2026-10 sheet §2); 2k is the web app's default.
    resolutions: ["2k", "4k", "1.5k"],
    benefitCount: { "1.5k": 1, "2k": 1, "4k": 1 },
    regions: ALL_REGIONS,
    created: day("2026-08-20"),
    typicalMs: 20_000,
  },
  {
    kind: "image",
    id: "jimeng-image-5.0-lite",
    aliases: ["jimeng-5.0", "jimeng-image-5.0", "jimeng-5.0-lite"],
    name: "Seedream 5.0 Lite",
    reqKey: "high_aes_general_v50",
    ...V4,
    benefitCount: { "2k": 3, "4k": 1, "1k": 1 },
    regions: CN_ASIA,
    created: day("2026-02-10"),
  },
  {
    kind: "image",
    id: "jimeng-image-4.7",
    aliases: ["jimeng-4.7"],
    name: "Seedream 4.7",
    reqKey: "high_aes_general_v43",
    ...V4,
    regions: ["cn"],
    created: day("2026-06-24"),
  },
  {
    kind: "image",
    id: "jimeng-image-4.6",
    aliases: ["jimeng-4.6"],
    name: "Seedream 4.6",
    reqKey: "high_aes_general_v42",
    ...V4,
    regions: CN_ASIA,
    created: day("2026-02-10"),
  },
  {
    kind: "image",
    id: "jimeng-image-4.5",
    aliases: ["jimeng-4.5"],
    name: "Seedream 4.5",
    reqKey: "high_aes_general_v40l",
    ...V4,
    regions: ALL_REGIONS,
    created: day("2025-12-07"),
  },
  {
    kind: "image",
    id: "jimeng-image-4.1",
    aliases: ["jimeng-4.1"],
    name: "Seedream 4.1",
    reqKey: "high_aes_general_v41",
    ...V4,
    regions: ALL_REGIONS,
    created: day("2025-11-30"),
  },
  {
    kind: "image",
    id: "jimeng-image-4.0",
    aliases: ["jimeng-4.0"],
    name: "Seedream 4.0",
    reqKey: "high_aes_general_v40",
    ...V4,
    regions: ALL_REGIONS,
    created: day("2025-09-29"),
  },
  {
    kind: "image",
    id: "jimeng-image-3.1",
    aliases: ["jimeng-3.1"],
    name: "Seedream 3.1",
    reqKey: "high_aes_general_v30l_art_fangzhou:general_v3.0_18b",
    ...V3,
    regions: ["cn"],
    created: day("2025-08-26"),
  },
  {
    kind: "image",
    id: "jimeng-image-3.0",
    aliases: ["jimeng-3.0"],
    name: "Seedream 3.0",
    reqKey: "high_aes_general_v30l:general_v3.0_18b",
    ...V3,
    regions: ALL_REGIONS,
    created: day("2025-04-09"),
  },
  {
    kind: "image",
    id: "jimeng-image-2.0-pro",
    aliases: ["jimeng-2.0-pro"],
    name: "Seedream 2.0 Pro",
    reqKey: "high_aes_general_v20_L:general_v2.0_L",
    ...V3,
    regions: ["cn"],
    created: day("2026-01-11"),
  },
  {
    kind: "image",
    id: "jimeng-image-nanobanana",
    aliases: ["nanobanana"],
    name: "Nano Banana (Dreamina only)",
    reqKey: "external_model_gemini_flash_image_v25",
    resolutions: ["1k", "2k"],
    benefitCount: { "1k": 1, "2k": 1 },
    regions: INTL,
    created: day("2025-10-21"),
    typicalMs: 15_000,
  },
  {
    kind: "image",
    id: "jimeng-image-nanobanana-pro",
    aliases: ["nanobananapro"],
    name: "Nano Banana Pro (Dreamina only)",
    reqKey: "dreamina_image_lib_1",
    resolutions: ["2k", "1k", "4k"],
    benefitCount: { "1k": 1, "2k": 1, "4k": 1 },
    regions: INTL,
    created: day("2025-11-25"),
    typicalMs: 20_000,
  },
];

const FIVE_OR_TEN: DurationRule = { kind: "set", seconds: [5, 10], default: 10 };
const FIVE_ONLY: DurationRule = { kind: "set", seconds: [5], default: 5 };
const FOUR_TO_FIFTEEN: DurationRule = { kind: "range", min: 4, max: 15, default: 5 };
const THREE_BENEFIT = "basic_video_operation_vgfm_v_three";

/** Video models, in the seed's order. */
export const VIDEO_MODELS: readonly VideoModel[] = [
  {
    kind: "video",
    id: "jimeng-video-3.0-pro",
    aliases: [],
    name: "Video 3.0 Pro",
    reqKey: "dreamina_ic_generate_video_model_vgfm_3.0_pro",
    resolutions: ["1080p"],
    benefitType: { "1080p": "basic_video_operation_vgfm_v_three_pro" },
    sendResolution: true,
    durations: FIVE_OR_TEN,
    regions: CN_ASIA,
    created: day("2025-08-26"),
    typicalMs: 90_000,
  },
  {
    kind: "video",
    id: "jimeng-video-3.0",
    aliases: [],
    name: "Video 3.0",
    reqKey: "dreamina_ic_generate_video_model_vgfm_3.0",
    resolutions: ["720p"],
    benefitType: { "720p": THREE_BENEFIT },
    sendResolution: true,
    durations: FIVE_OR_TEN,
    regions: ALL_REGIONS,
    created: day("2025-08-26"),
    typicalMs: 60_000,
  },
  {
    kind: "video",
    id: "jimeng-video-3.0-fast",
    aliases: [],
    name: "Video 3.0 Fast",
    reqKey: "dreamina_ic_generate_video_model_vgfm_3.0_fast",
    resolutions: ["720p", "1080p"],
    benefitType: { "720p": THREE_BENEFIT, "1080p": "basic_video_operation_vgfm_v_three_1080" },
    sendResolution: true,
    durations: FIVE_OR_TEN,
    regions: CN_ASIA,
    created: day("2025-12-13"),
    typicalMs: 40_000,
  },
  {
    kind: "video",
    id: "jimeng-video-s2.0",
    aliases: ["jimeng-video-2.0"],
    name: "Video S2.0",
    reqKey: "dreamina_ic_generate_video_model_vgfm_lite",
    resolutions: ["720p"],
    benefitType: { "720p": THREE_BENEFIT },
    sendResolution: true,
    durations: FIVE_ONLY,
    regions: CN_ASIA,
    created: day("2025-08-26"),
    typicalMs: 45_000,
  },
  {
    kind: "video",
    id: "jimeng-video-2.0-pro",
    aliases: [],
    name: "Video 2.0 Pro",
    reqKey: "dreamina_ic_generate_video_model_vgfm1.0",
    resolutions: ["720p"],
    benefitType: { "720p": THREE_BENEFIT },
    sendResolution: true,
    durations: FIVE_ONLY,
    regions: CN_ASIA,
    created: day("2025-08-26"),
    typicalMs: 60_000,
  },
  {
    kind: "video",
    id: "jimeng-video-3.5-pro",
    aliases: ["jimeng-video-seedance-1.5-pro"],
    name: "Seedance 1.5 Pro (Video 3.5 Pro)",
    reqKey: "dreamina_ic_generate_video_model_vgfm_3.5_pro",
    resolutions: ["720p"],
    benefitType: { "720p": "dreamina_video_seedance_15_pro" },
    sendResolution: true,
    durations: { kind: "set", seconds: [5, 10, 12], default: 5 },
    regions: ALL_REGIONS,
    created: day("2025-12-18"),
    typicalMs: 90_000,
  },
  {
    kind: "video",
    id: "jimeng-video-seedance-2.0-mini",
    aliases: [],
    name: "Seedance 2.0 Mini",
    reqKey: "dreamina_seedance_40_mini",
    resolutions: ["720p"],
    benefitType: { "720p": "seedance_20_mini_720p_output" },
    sendResolution: true,
    durations: { kind: "set", seconds: [5, 10], default: 5 },
    regions: ["cn"],
    created: day("2026-06-24"),
    typicalMs: 90_000,
  },
  {
    kind: "video",
    id: "jimeng-video-seedance-2.0",
    aliases: [],
    name: "Seedance 2.0",
    reqKey: "dreamina_seedance_40_pro",
    resolutions: ["720p"],
    benefitType: { "720p": "dreamina_video_seedance_20_pro" },
    sendResolution: true,
    durations: FOUR_TO_FIFTEEN,
    regions: ["cn"],
    created: day("2026-02-10"),
    typicalMs: 180_000,
  },
  {
    kind: "video",
    id: "jimeng-video-seedance-2.0-fast",
    aliases: [],
    name: "Seedance 2.0 Fast",
    reqKey: "dreamina_seedance_40",
    resolutions: ["720p"],
    benefitType: { "720p": "dreamina_seedance_20_fast" },
    sendResolution: true,
    durations: FOUR_TO_FIFTEEN,
    regions: ["cn"],
    created: day("2026-02-10"),
    typicalMs: 90_000,
  },
  {
    kind: "video",
    id: "jimeng-video-seedance-2.0-vip",
    // Before the seed's v1.2.6 mapping, "-2.0-pro" named this model.
    aliases: ["jimeng-video-seedance-2.0-pro"],
    name: "Seedance 2.0 (VIP)",
    reqKey: "dreamina_seedance_40_pro_vision",
    resolutions: ["720p", "1080p", "4k"],
    benefitType: {
      "720p": "seedance_20_pro_720p_output",
      "1080p": "seedance_20_pro_1080p_output",
      "4k": "seedance_20_pro_4k_output",
    },
    sendResolution: true,
    durations: { kind: "set", seconds: [5, 10], default: 5 },
    regions: ["cn"],
    created: day("2026-06-24"),
    typicalMs: 180_000,
  },
  {
    kind: "video",
    id: "jimeng-video-seedance-2.0-fast-vip",
    aliases: [],
    name: "Seedance 2.0 Fast (VIP)",
    reqKey: "dreamina_seedance_40_vision",
    resolutions: ["720p"],
    benefitType: { "720p": "seedance_20_fast_720p_output" },
    sendResolution: true,
    durations: { kind: "set", seconds: [5, 10], default: 5 },
    regions: ["cn"],
    created: day("2026-06-24"),
    typicalMs: 90_000,
  },
  {
    kind: "video",
    id: "jimeng-video-seedance-2.5",
    aliases: [],
    name: "Seedance 2.5",
    reqKey: "dreamina_seedance_45_pro",
    resolutions: ["720p"],
    benefitType: { "720p": "seedance_25_720p_output" },
    sendResolution: true,
    durations: FOUR_TO_FIFTEEN,
    regions: ["cn"],
    created: day("2026-08-20"),
    typicalMs: 180_000,
  },
];

/** The model used when a request names none. */
export const DEFAULT_IMAGE_MODEL: ImageModel = IMAGE_MODELS.find((m) =>
  m.id === "jimeng-image-5.0-lite"
)!;
/** The video model used when a request names none: the seed's usual one, offered everywhere. */
export const DEFAULT_VIDEO_MODEL: VideoModel = VIDEO_MODELS.find((m) =>
  m.id === "jimeng-video-3.0"
)!;

const BY_NAME = new Map<string, Model>();
for (const model of [...IMAGE_MODELS, ...VIDEO_MODELS]) {
  BY_NAME.set(model.id, model);
  for (const alias of model.aliases) BY_NAME.set(alias, model);
}
BY_NAME.set("jimeng", DEFAULT_IMAGE_MODEL);
BY_NAME.set("jimeng-video", DEFAULT_VIDEO_MODEL);

/**
 * Finds a model by id or alias. A `model:WxH` suffix (seed chat convention)
 * is ignored. Returns `undefined` for unknown names.
 */
export function findModel(name: string): Model | undefined {
  const bare = name.trim().toLowerCase().replace(/:\d+x\d+$/, "");
  return BY_NAME.get(bare);
}

/** Every public model name: ids first, then aliases. */
export function listModelNames(): { name: string; model: Model }[] {
  const out: { name: string; model: Model }[] = [];
  for (const model of [...IMAGE_MODELS, ...VIDEO_MODELS]) out.push({ name: model.id, model });
  for (const [name, model] of BY_NAME) {
    if (name !== model.id) out.push({ name, model });
  }
  return out;
}

/**
 * Other models of the same kind offered in `region`, newest first, for a
 * message about a model that cannot be used.
 */
export function alternativeModels(model: Model, region: Region, limit = 4): string[] {
  const all: readonly Model[] = model.kind === "image" ? IMAGE_MODELS : VIDEO_MODELS;
  return all.filter((m) => m !== model && m.regions.includes(region))
    .sort((a, b) => b.created - a.created)
    .slice(0, limit)
    .map((m) => m.id);
}

/** `image_ratio` codes, newest reference's enum (agrees with a capture-based client). */
export const IMAGE_RATIO_CODE: Record<ImageRatio, number> = {
  "21:9": 0,
  "16:9": 1,
  "3:2": 2,
  "4:3": 3,
  "1:1": 8,
  "3:4": 4,
  "2:3": 5,
  "9:16": 6,
};

/**
 * Width × height per resolution tier and ratio (1k: the 1328 family seen
 * accepted). No reference documents 1.5k sizes: they are 1536² pixels at each
 * ratio, sides multiples of 16, as the other tiers are their own pixel budget.
 */
export const IMAGE_DIMENSIONS: Record<ImageResolution, Record<ImageRatio, [number, number]>> = {
  "1k": {
    "21:9": [2016, 846],
    "16:9": [1664, 936],
    "3:2": [1584, 1056],
    "4:3": [1472, 1104],
    "1:1": [1328, 1328],
    "3:4": [1104, 1472],
    "2:3": [1056, 1584],
    "9:16": [936, 1664],
  },
  "1.5k": {
    "21:9": [2352, 1008],
    "16:9": [2048, 1152],
    "3:2": [1872, 1248],
    "4:3": [1792, 1344],
    "1:1": [1536, 1536],
    "3:4": [1344, 1792],
    "2:3": [1248, 1872],
    "9:16": [1152, 2048],
  },
  "2k": {
    "21:9": [3024, 1296],
    "16:9": [2560, 1440],
    "3:2": [2496, 1664],
    "4:3": [2304, 1728],
    "1:1": [2048, 2048],
    "3:4": [1728, 2304],
    "2:3": [1664, 2496],
    "9:16": [1440, 2560],
  },
  "4k": {
    "21:9": [6197, 2656],
    "16:9": [5404, 3040],
    "3:2": [4992, 3328],
    "4:3": [4693, 3520],
    "1:1": [4096, 4096],
    "3:4": [3520, 4693],
    "2:3": [3328, 4992],
    "9:16": [3040, 5404],
  },
};

/** Whether `seconds` is a valid duration for the model. */
export function isValidDuration(model: VideoModel, seconds: number): boolean {
  const rule = model.durations;
  if (!Number.isInteger(seconds)) return false;
  if (rule.kind === "set") return rule.seconds.includes(seconds);
  return seconds >= rule.min && seconds <= rule.max;
}

/** Human description of the allowed durations, for error messages. */
export function describeDurations(model: VideoModel): string {
  const rule = model.durations;
  if (rule.kind === "range") return `whole seconds from ${rule.min} to ${rule.max}`;
  return rule.seconds.join(" or ");
}

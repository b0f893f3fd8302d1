/**
 * The fake upstream's own model tables, written from the fact sheet (3.6,
 * 3.7, 5.1, 5.2) and deliberately independent of the project's `src/`
 * tables: a client bug copied into both would otherwise go unnoticed.
 * @module
 */

/** A site the upstream serves. */
export type Region = "cn" | "us" | "hk" | "jp" | "sg";

/** Image resolution tier (`large_image_info.resolution_type`). */
export type ImageTier = "1k" | "1.5k" | "2k" | "4k";

/** App id of the CN site (Jimeng). */
export const AID_CN = 513695;
/** App id of the international site (Dreamina). */
export const AID_INTL = 513641;

/** The app id a session of `region` must send. */
export function aidOf(region: Region): number {
  return region === "cn" ? AID_CN : AID_INTL;
}

/** AWS SigV4 region of the ImageX cluster serving `region` (fact sheet 1.1). */
export function awsRegionOf(region: Region): string {
  if (region === "cn") return "cn-north-1";
  return region === "us" ? "us-east-1" : "ap-southeast-1";
}

const ALL: readonly Region[] = ["cn", "us", "hk", "jp", "sg"];
const CN: readonly Region[] = ["cn"];
const NOT_US: readonly Region[] = ["cn", "hk", "jp", "sg"];
const INTL: readonly Region[] = ["us", "hk", "jp", "sg"];
const ASIA: readonly Region[] = ["hk", "jp", "sg"];

/** An image model the fake serves. */
export interface FakeImageModel {
  key: string;
  name: string;
  tiers: readonly ImageTier[];
  regions: readonly Region[];
  /** Sizes accepted besides the tier tables, as `WxH`. */
  extraSizes?: readonly string[];
}

const V4: readonly ImageTier[] = ["1k", "2k", "4k"];

function imageModel(
  key: string,
  name: string,
  tiers: readonly ImageTier[],
  regions: readonly Region[],
  extraSizes?: readonly string[],
): FakeImageModel {
  return { key, name, tiers, regions, extraSizes };
}

/**
 * Image models. CN serves every ZZN key; the international sites serve the
 * keys IPT lists for them, plus the IPT-only Gemini models. 4.x/5.0 accept 1k
 * too (observed on CN for v40/v41).
 */
export const IMAGE_MODELS: ReadonlyMap<string, FakeImageModel> = new Map(
  [
    // 2026-10 sheet §2: 1.5k, 2k and 4k; CN and Dreamina.
    imageModel("high_aes_general_v50p_large", "Seedream 5.0 Pro", ["1.5k", "2k", "4k"], ALL),
    imageModel("high_aes_general_v50", "Seedream 5.0 Lite", V4, NOT_US),
    imageModel("high_aes_general_v43", "Seedream 4.7", V4, CN),
    imageModel("high_aes_general_v42", "Seedream 4.6", V4, NOT_US),
    imageModel("high_aes_general_v40l", "Seedream 4.5", V4, ALL),
    imageModel("high_aes_general_v41", "Seedream 4.1", V4, ALL),
    imageModel("high_aes_general_v40", "Seedream 4.0", V4, ALL),
    imageModel("high_aes_general_v30l_art_fangzhou:general_v3.0_18b", "Seedream 3.1", ["1k"], CN),
    imageModel("high_aes_general_v30l:general_v3.0_18b", "Seedream 3.0", ["1k"], ALL),
    imageModel("high_aes_general_v20_L:general_v2.0_L", "Seedream 2.0 Pro", ["1k"], CN),
    // nanobanana on US is sent as 1024x1024 @ 2k (fact sheet 3.6).
    imageModel("external_model_gemini_flash_image_v25", "Nano Banana", ["1k", "2k"], INTL, [
      "1024x1024",
    ]),
    imageModel("dreamina_image_lib_1", "Nano Banana Pro", V4, INTL),
  ].map((model) => [model.key, model]),
);

const RATIOS = ["21:9", "16:9", "3:2", "4:3", "1:1", "3:4", "2:3", "9:16"] as const;

function sizeTable(sizes: readonly string[]): ReadonlySet<string> {
  if (sizes.length !== RATIOS.length) throw new RangeError("Size table needs one entry per ratio");
  return new Set(sizes);
}

/** Accepted `width x height` per tier: the ZZN tables of fact sheet 3.7 (2k = IPT 2k). */
export const IMAGE_SIZES: Readonly<Record<ImageTier, ReadonlySet<string>>> = {
  "1k": sizeTable([
    "2016x846",
    "1664x936",
    "1584x1056",
    "1472x1104",
    "1328x1328",
    "1104x1472",
    "1056x1584",
    "936x1664",
  ]),
  // No reference lists 1.5k sizes; 1536² pixels per ratio, as the project assumes too.
  "1.5k": sizeTable([
    "2352x1008",
    "2048x1152",
    "1872x1248",
    "1792x1344",
    "1536x1536",
    "1344x1792",
    "1248x1872",
    "1152x2048",
  ]),
  "2k": sizeTable([
    "3024x1296",
    "2560x1440",
    "2496x1664",
    "2304x1728",
    "2048x2048",
    "1728x2304",
    "1664x2496",
    "1440x2560",
  ]),
  "4k": sizeTable([
    "6197x2656",
    "5404x3040",
    "4992x3328",
    "4693x3520",
    "4096x4096",
    "3520x4693",
    "3328x4992",
    "3040x5404",
  ]),
};

/** `image_ratio` codes of both enums: ZZN 0–6 and 8, IPT 1–8 and 101–108. */
export const IMAGE_RATIO_CODES: ReadonlySet<number> = new Set([
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  101,
  102,
  103,
  104,
  105,
  106,
  107,
  108,
]);

/** Generated images per image record (text-to-image and blend alike, observed). */
export const IMAGES_PER_RECORD = 4;

/** A video model the fake serves. */
export interface FakeVideoModel {
  key: string;
  name: string;
  /** Allowed `resolution` values; the first is the default when omitted. */
  resolutions: readonly string[];
  durationsMs: readonly number[];
  /** Accepted `benefit_type` names (ZZN and IPT spellings). */
  benefits: readonly string[];
  regions: readonly Region[];
}

const FIVE_TEN = [5000, 10000];
const FOUR_TO_FIFTEEN = Array.from({ length: 12 }, (_, i) => (i + 4) * 1000);
const V_THREE = "basic_video_operation_vgfm_v_three";

function videoModel(
  key: string,
  name: string,
  resolutions: readonly string[],
  durationsMs: readonly number[],
  benefits: readonly string[],
  regions: readonly Region[],
): FakeVideoModel {
  return { key, name, resolutions, durationsMs, benefits, regions };
}

const VGFM = "dreamina_ic_generate_video_model_vgfm";

/** Video models: ZZN keys, IPT keys, and IPT's Dreamina-only partner models. */
export const VIDEO_MODELS: ReadonlyMap<string, FakeVideoModel> = new Map(
  [
    videoModel("dreamina_seedance_40_mini", "Seedance 2.0 Mini", ["720p"], FIVE_TEN, [
      "seedance_20_mini_720p_output",
    ], CN),
    videoModel("dreamina_seedance_40_vision", "Seedance 2.0 Fast", ["720p"], FIVE_TEN, [
      "seedance_20_fast_720p_output",
    ], CN),
    videoModel("dreamina_seedance_40_pro_vision", "Seedance 2.0 Pro", ["720p", "1080p", "4k"], [
      5000,
      10000,
    ], [
      "seedance_20_pro_720p_output",
      "seedance_20_pro_1080p_output",
      "seedance_20_pro_4k_output",
    ], CN),
    // 2026-10 sheet §2 (benefit name weak).
    videoModel("dreamina_seedance_45_pro", "Seedance 2.5", ["720p"], FOUR_TO_FIFTEEN, [
      "seedance_25_720p_output",
    ], CN),
    videoModel("dreamina_seedance_40_pro", "Seedance 2.0 (IPT)", ["720p"], FOUR_TO_FIFTEEN, [
      "dreamina_video_seedance_20_pro",
    ], CN),
    videoModel("dreamina_seedance_40", "Seedance 2.0 Fast (IPT)", ["720p"], FOUR_TO_FIFTEEN, [
      "dreamina_seedance_20_fast",
      "dreamina_video_seedance_20_fast",
    ], CN),
    // IPT also sends 12 s for Seedance 1.5 Pro; a working client's value is accepted.
    videoModel(`${VGFM}_3.5_pro`, "Seedance 1.5 Pro", ["720p"], [5000, 10000, 12000], [
      "dreamina_video_seedance_15_pro",
    ], ALL),
    videoModel(`${VGFM}_3.0_pro`, "Video 3.0 Pro", ["1080p"], FIVE_TEN, [
      "basic_video_operation_vgfm_v_three_pro",
      V_THREE,
    ], NOT_US),
    videoModel(`${VGFM}_3.0`, "Video 3.0", ["720p"], FIVE_TEN, [V_THREE], ALL),
    videoModel(`${VGFM}_3.0_fast`, "Video 3.0 Fast", ["720p", "1080p"], FIVE_TEN, [
      V_THREE,
      `${V_THREE}_1080`,
    ], NOT_US),
    videoModel(`${VGFM}_lite`, "Video S2.0", ["720p"], [5000], [V_THREE], NOT_US),
    videoModel(`${VGFM}1.0`, "Video 2.0 Pro", ["720p"], [5000], [V_THREE], NOT_US),
    videoModel("dreamina_veo3_generate_video", "Veo 3", ["720p"], [8000], [
      "generate_video_veo3",
    ], ASIA),
    videoModel("dreamina_veo3.1_generate_video", "Veo 3.1", ["720p"], [8000], [
      "generate_video_veo3.1",
    ], ASIA),
    videoModel("dreamina_sora2_generate_video", "Sora 2", ["720p"], [4000, 8000, 12000], [
      "generate_video_sora2",
    ], ASIA),
  ].map((model) => [model.key, model]),
);

/** `video_aspect_ratio` values (fact sheet 5.2). */
export const VIDEO_RATIOS: ReadonlySet<string> = new Set([
  "16:9",
  "9:16",
  "1:1",
  "4:3",
  "3:4",
  "21:9",
]);

/**
 * The resolution a benefit name is tied to, if any (`…_1080p_output`,
 * `…_v_three_1080`); the request's `resolution` must then agree.
 */
export function benefitResolution(benefit: string): string | undefined {
  const match = /_(720p|1080p?|4k)(?:_|$)/.exec(benefit);
  if (!match) return undefined;
  return match[1] === "1080" ? "1080p" : match[1];
}

/** Credits of a four-image task per tier. */
export const IMAGE_COST: Readonly<Record<ImageTier, number>> = {
  "1k": 1,
  "1.5k": 2,
  "2k": 2,
  "4k": 4,
};

/**
 * Credits of an image task of `count` images: the four-image price scaled
 * to the count, rounded up (2k: 1 credit for 1–2 images, 2 for 3–4; 4k: one
 * per image; 1k: 1 for any count). No public client documents how the real
 * one prices a count below four; this keeps four images at the observed
 * price (fact sheet 3.8) and makes fewer cost less where the tier allows.
 */
export function imageCost(tier: ImageTier, count: number): number {
  return Math.ceil((IMAGE_COST[tier] * count) / IMAGES_PER_RECORD);
}

/** Credits a video costs: 2 per second (5 s = 10, 10 s = 20). */
export function videoCost(durationMs: number): number {
  return 2 * Math.round(durationMs / 1000);
}

/** A model only the catalog knows (`knobs.catalog.extraModels`); generate accepts it too. */
export type FakeCatalogModel =
  | (FakeImageModel & { kind: "image" })
  | (FakeVideoModel & { kind: "video" });

/** The image model of a request key: the table's, or one the catalog knob adds. */
export function imageModelOf(
  key: string,
  extra: readonly FakeCatalogModel[] = [],
): FakeImageModel | undefined {
  return IMAGE_MODELS.get(key) ??
    extra.find((m): m is FakeImageModel & { kind: "image" } => m.kind === "image" && m.key === key);
}

/** The video model of a request key: the table's, or one the catalog knob adds. */
export function videoModelOf(
  key: string,
  extra: readonly FakeCatalogModel[] = [],
): FakeVideoModel | undefined {
  return VIDEO_MODELS.get(key) ??
    extra.find((m): m is FakeVideoModel & { kind: "video" } => m.kind === "video" && m.key === key);
}

/** What the catalog lists besides the tables. */
export interface CatalogKnobs {
  extraModels: readonly FakeCatalogModel[];
  /** Request keys listed with `model_status` 1. */
  unavailable: readonly string[];
}

function enumOption(key: string, values: readonly string[], fallback: string) {
  return {
    key,
    value_type: "enum",
    enum_val: { string_value: [...values], default_string_value: fallback },
  };
}

function priceConfigs(pairs: readonly [string, string][]) {
  return {
    resolution_price_configs: pairs.map(([resolution, benefit]) => ({
      resolution,
      price: { benefit_type: benefit, amount: 1, currency: "credit" },
    })),
  };
}

/**
 * `get_common_config` (2026-10 sheet §3): `model_list[]` items with
 * `model_req_key`, `model_name`, `model_status`, `options[]` (the resolution
 * enum), `commercial_config.resolution_price_configs[]`, the count options —
 * amid other configuration, as the real answer is.
 */
export function imageConfig(region: Region, knobs: CatalogKnobs): unknown {
  const extra = knobs.extraModels.filter((m) => m.kind === "image") as FakeImageModel[];
  const models = [...IMAGE_MODELS.values(), ...extra].filter((m) => m.regions.includes(region));
  const stem = (key: string) => key.replace(/^high_aes_general_/, "").replace(/[^a-z0-9]+/g, "_");
  return {
    model_list: models.map((model) => ({
      model_req_key: model.key,
      model_name: model.name,
      model_status: knobs.unavailable.includes(model.key) ? 1 : 0,
      model_tip: "",
      options: [
        enumOption(
          "resolution",
          model.tiers,
          model.tiers.includes("2k") ? "2k" : model.tiers[0],
        ),
        enumOption("ratio", RATIOS, "1:1"),
      ],
      commercial_config: priceConfigs(
        model.tiers.map((tier) => [tier, `image_basic_${stem(model.key)}_${tier}`]),
      ),
      generate_count_options: [1, 2, 3, 4],
      default_generate_count: 4,
      input_image_limit: 10,
    })),
    default_model_req_key: "high_aes_general_v50",
    feature_config: { prompt_max_length: 1200, show_beta_tag: true },
  };
}

/** The benefit a catalog names for one resolution: the one tied to it, else the first untied. */
function benefitFor(model: FakeVideoModel, resolution: string): string {
  return model.benefits.find((b) => benefitResolution(b) === resolution) ??
    model.benefits.find((b) => benefitResolution(b) === undefined) ?? model.benefits[0];
}

/** `video_generate/get_common_config`: as the image one, plus `edit_config` with the durations. */
export function videoConfig(region: Region, knobs: CatalogKnobs): unknown {
  const extra = knobs.extraModels.filter((m) => m.kind === "video") as FakeVideoModel[];
  const models = [...VIDEO_MODELS.values(), ...extra].filter((m) => m.regions.includes(region));
  return {
    scene: "generate_video",
    model_list: models.map((model) => ({
      model_req_key: model.key,
      model_name: model.name,
      model_status: knobs.unavailable.includes(model.key) ? 1 : 0,
      options: [
        enumOption("resolution", model.resolutions, model.resolutions[0]),
        {
          key: "edit_config",
          value_type: "object",
          edit_config_val: {
            edit_min_video_duration: Math.min(...model.durationsMs) / 1000,
            edit_max_video_duration: Math.max(...model.durationsMs) / 1000,
            support_first_last_frame: true,
          },
        },
      ],
      commercial_config: priceConfigs(
        model.resolutions.map((resolution) => [resolution, benefitFor(model, resolution)]),
      ),
    })),
  };
}

/** Benefit types of an omni-reference video, without and with a reference video among the materials. */
export interface OmniBenefits {
  plain: readonly string[];
  withVideo: readonly string[];
}

/** A per-output benefit type bills the same with or without a reference video. */
const perOutput = (...benefits: string[]): OmniBenefits => ({
  plain: benefits,
  withVideo: benefits,
});

/**
 * The models that take omni references (2026-10 sheet §5: the Seedance 2.0
 * family and 2.5), by request key, with their benefit types in that mode.
 */
export const OMNI_BENEFITS: ReadonlyMap<string, OmniBenefits> = new Map([
  ["dreamina_seedance_40_pro", {
    plain: ["dreamina_video_seedance_20_pro"],
    // IPT bills a reference video as `…_video_add`; others as `…_with_video`.
    withVideo: [
      "dreamina_video_seedance_20_pro_with_video",
      "dreamina_video_seedance_20_video_add",
    ],
  }],
  ["dreamina_seedance_40", {
    plain: ["dreamina_seedance_20_fast", "dreamina_video_seedance_20_fast"],
    withVideo: ["dreamina_seedance_20_fast_with_video"],
  }],
  [
    "dreamina_seedance_40_pro_vision",
    perOutput(
      "seedance_20_pro_720p_output",
      "seedance_20_pro_1080p_output",
      "seedance_20_pro_4k_output",
    ),
  ],
  ["dreamina_seedance_40_vision", perOutput("seedance_20_fast_720p_output")],
  ["dreamina_seedance_40_mini", perOutput("seedance_20_mini_720p_output")],
  ["dreamina_seedance_45_pro", perOutput("seedance_25_720p_output")],
]);

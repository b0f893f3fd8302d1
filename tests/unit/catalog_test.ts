import assert from "node:assert/strict";
import { parseCatalog } from "../../src/jimeng/catalog.ts";
import { catalogModel, catalogModelId, slugOf } from "../../src/jimeng/catalog_models.ts";
import type { ImageModel, VideoModel } from "../../src/jimeng/models.ts";

const resolution = (...values: string[]) => ({
  key: "resolution",
  enum_val: { string_value: values },
});

Deno.test("parseCatalog() finds models anywhere in the answer and reads each field where it lives", () => {
  const answer = {
    feature_config: { tips: ["x"] },
    groups: [{
      title: "Video",
      models: {
        list: [{
          model_req_key: "dreamina_seedance_45_pro",
          model_name: "Seedance 2.5",
          model_status: "0",
          options: [
            resolution("720p", "480p"),
            {
              key: "edit_config",
              edit_config_val: { edit_min_video_duration: 4000, edit_max_video_duration: 30000 },
            },
          ],
          commercial_config: {
            resolution_price_configs: [
              { resolution: "720p", price: { benefit_type: "seedance_25_720p_output" } },
              { resolution: "480p", price: {} },
            ],
          },
        }],
      },
    }],
    model_list: [
      { modelReqKey: "dreamina_seedance_40_mini", display_name: "Mini", model_status: 2 },
      // A second mention of a key does not replace the first.
      { model_req_key: "dreamina_seedance_45_pro", model_name: "Duplicate" },
    ],
  };
  const entries = parseCatalog(answer, "video");
  assert.deepEqual(entries, [
    {
      kind: "video",
      reqKey: "dreamina_seedance_45_pro",
      name: "Seedance 2.5",
      status: 0,
      resolutions: ["720p", "480p"],
      durations: { min: 4, max: 30 },
      benefitTypes: { "720p": "seedance_25_720p_output" },
    },
    {
      kind: "video",
      reqKey: "dreamina_seedance_40_mini",
      name: "Mini",
      status: 2,
      resolutions: [],
      durations: undefined,
      benefitTypes: {},
    },
  ]);
  assert.deepEqual(parseCatalog(null, "image"), []);
  assert.deepEqual(parseCatalog("nonsense", "image"), []);
});

Deno.test("slugOf() and catalogModelId() make ids from names, else from the request key", () => {
  assert.equal(slugOf("GPT Image 2.5 (Flare)"), "gpt-image-2.5-flare");
  assert.equal(
    catalogModelId({ kind: "image", name: "GPT Image 2.5 Flare", reqKey: "x" }),
    "jimeng-image-gpt-image-2.5-flare",
  );
  assert.equal(
    catalogModelId({ kind: "video", name: "视频 3.0", reqKey: "dreamina_v3" }),
    "jimeng-video-3.0",
  );
  assert.equal(
    catalogModelId({ kind: "image", name: "图片", reqKey: "dreamina_lib_img_20260423" }),
    "jimeng-image-dreamina-lib-img-20260423",
  );
});

Deno.test("catalogModel() keeps a known key's id and takes the catalog's resolutions and durations", () => {
  const image = catalogModel({
    kind: "image",
    reqKey: "high_aes_general_v40",
    name: "Image 4.0",
    status: 0,
    resolutions: ["1k", "2k"],
    benefitTypes: {},
  }, { regions: ["cn"], seenAtS: 1 });
  assert.ok(image.usable);
  assert.equal(image.model.id, "jimeng-image-4.0");
  assert.deepEqual((image.model as ImageModel).resolutions, ["2k", "1k"]);
  assert.deepEqual(image.model.aliases, ["jimeng-4.0"]);

  // A set of durations keeps the seconds inside the catalog's range.
  const set = catalogModel({
    kind: "video",
    reqKey: "dreamina_ic_generate_video_model_vgfm_3.5_pro",
    name: "Seedance 1.5 Pro",
    status: 0,
    resolutions: ["720p"],
    durations: { min: 5, max: 10 },
    benefitTypes: { "720p": "dreamina_video_seedance_15_pro_v2" },
  }, { regions: ["cn"], seenAtS: 1 });
  assert.ok(set.usable);
  const video = set.model as VideoModel;
  assert.deepEqual(video.durations, { kind: "set", seconds: [5, 10], default: 5 });
  assert.equal(
    video.benefitType["720p"],
    "dreamina_video_seedance_15_pro_v2",
    "the catalog's wins",
  );

  // A range takes the catalog's bounds.
  const range = catalogModel({
    kind: "video",
    reqKey: "dreamina_seedance_45_pro",
    name: "Seedance 2.5",
    status: 0,
    resolutions: ["720p"],
    durations: { min: 4, max: 30 },
    benefitTypes: {},
  }, { regions: ["cn"], seenAtS: 1 });
  assert.deepEqual((range.model as VideoModel).durations, {
    kind: "range",
    min: 4,
    max: 30,
    default: 5,
  });
});

Deno.test("catalogModel() refuses an unknown video model it could not bill", () => {
  const made = catalogModel({
    kind: "video",
    reqKey: "dreamina_mystery",
    name: "Mystery",
    status: 0,
    resolutions: ["720p"],
    durations: { min: 5, max: 5 },
    benefitTypes: {},
  }, { regions: ["cn"], seenAtS: 1_800_000_000 });
  assert.equal(made.usable, false);
  assert.equal(made.model?.id, "jimeng-video-mystery");
  assert.equal(made.model?.created, 1_800_000_000);
});

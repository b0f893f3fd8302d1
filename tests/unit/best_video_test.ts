import assert from "node:assert/strict";
import { bestVideoOf, noWatermarkUrlOf } from "../../src/jimeng/videos.ts";

const PREVIEW = "https://v3.example.com/preview.mp4?x-expires=1";
const HQ = "https://v3.example.com/hq.mp4?x-expires=1";

function item(videoModel?: unknown, origin = HQ) {
  return {
    item_id: "75931",
    common_attr: { id: "75931", transcoded_video: { origin: { video_url: origin } } },
    video: { play_url: origin, ...(videoModel === undefined ? {} : { video_model: videoModel }) },
  };
}

Deno.test("noWatermarkUrlOf() takes the highest video_N with a base64 main_url", () => {
  const list = {
    video_1: { main_url: btoa("https://cdn.example.com/small.mp4") },
    video_3: { main_url: btoa("https://cdn.example.com/large.mp4") },
    video_4: { main_url: "" },
  };
  assert.equal(
    noWatermarkUrlOf(item(JSON.stringify({ video_list: list }))),
    "https://cdn.example.com/large.mp4",
  );
  // An object instead of the JSON string is read too.
  assert.equal(noWatermarkUrlOf(item({ video_list: list })), "https://cdn.example.com/large.mp4");
});

Deno.test("noWatermarkUrlOf() ignores what is not a base64 http(s) URL", () => {
  assert.equal(noWatermarkUrlOf(item("{not json")), undefined);
  assert.equal(noWatermarkUrlOf(item(JSON.stringify({ video_list: [] }))), undefined);
  const bad = {
    video_list: { video_2: { main_url: "%%%" }, video_1: { main_url: btoa("ftp://x") } },
  };
  assert.equal(noWatermarkUrlOf(item(JSON.stringify(bad))), undefined);
  assert.equal(noWatermarkUrlOf(undefined), undefined);
});

Deno.test("bestVideoOf() prefers no watermark, then a high bitrate that differs from the preview", () => {
  const clean = JSON.stringify({ video_list: { video_1: { main_url: btoa(`${HQ}&nowm`) } } });
  assert.deepEqual(bestVideoOf({ item_list: [item(clean)] }, "75931", PREVIEW), {
    url: `${HQ}&nowm`,
    variant: "no_watermark",
  });
  assert.deepEqual(bestVideoOf({ item_list: [item()] }, "75931", PREVIEW), {
    url: HQ,
    variant: "high_bitrate",
  });
  assert.deepEqual(bestVideoOf({ item_list: [item(undefined, PREVIEW)] }, "75931", PREVIEW), {
    url: PREVIEW,
    variant: "preview",
  });
  assert.deepEqual(bestVideoOf({ item_list: [] }, "75931", PREVIEW), {
    url: PREVIEW,
    variant: "preview",
  });
  assert.deepEqual(bestVideoOf(null, "75931", PREVIEW).variant, "preview");
});

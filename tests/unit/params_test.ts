import assert from "node:assert/strict";
import { detectDuration, detectRatio } from "../../src/generation/prompt.ts";
import {
  fitImageResolution,
  imageRatioForSize,
  imageResolutionForQuality,
  imageResolutionForSize,
  parseSize,
  videoRatioForSize,
} from "../../src/generation/sizes.ts";
import { IMAGE_RATIOS, VIDEO_RATIOS } from "../../src/jimeng/models.ts";
import { stepDownResolutions } from "../../src/jimeng/client.ts";

Deno.test("detectRatio() takes the first supported W:H, full-width colons included", () => {
  assert.equal(detectRatio("a cat, 16:9", IMAGE_RATIOS), "16:9");
  assert.equal(detectRatio("一只猫 9：16 竖屏", IMAGE_RATIOS), "9:16");
  assert.equal(detectRatio("5:7 then 3 : 2", IMAGE_RATIOS), "3:2");
  assert.equal(detectRatio("3:2 poster", VIDEO_RATIOS), undefined);
});

Deno.test("detectRatio() understands the seed's Chinese keywords", () => {
  assert.equal(detectRatio("横屏的风景", IMAGE_RATIOS), "16:9");
  assert.equal(detectRatio("手机壁纸", IMAGE_RATIOS), "9:16");
  assert.equal(detectRatio("正方形头像", IMAGE_RATIOS), "1:1");
  assert.equal(detectRatio("a plain prompt", IMAGE_RATIOS), undefined);
});

Deno.test("detectDuration() finds 10 or 5 seconds", () => {
  assert.equal(detectDuration("一段10秒的视频"), 10);
  assert.equal(detectDuration("a 5s clip"), 5);
  assert.equal(detectDuration("10 S"), 10);
  assert.equal(detectDuration("no duration"), undefined);
});

Deno.test("parseSize() accepts WxH and rejects the rest", () => {
  assert.deepEqual(parseSize("1024x768"), { width: 1024, height: 768 });
  assert.deepEqual(parseSize(" 1792 X 1024 "), { width: 1792, height: 1024 });
  assert.equal(parseSize("0x10"), undefined);
  assert.equal(parseSize("big"), undefined);
  assert.equal(parseSize("1024"), undefined);
});

Deno.test("imageRatioForSize() picks the nearest supported ratio", () => {
  assert.equal(imageRatioForSize({ width: 1024, height: 1024 }), "1:1");
  assert.equal(imageRatioForSize({ width: 1792, height: 1024 }), "16:9");
  assert.equal(imageRatioForSize({ width: 1024, height: 1536 }), "2:3");
  assert.equal(imageRatioForSize({ width: 3000, height: 1000 }), "21:9");
  assert.equal(videoRatioForSize({ width: 1280, height: 720 }), "16:9");
  assert.equal(videoRatioForSize({ width: 720, height: 1280 }), "9:16");
});

Deno.test("imageResolutionForSize() and quality map to tiers", () => {
  assert.equal(imageResolutionForSize({ width: 1024, height: 1024 }), "1k");
  assert.equal(imageResolutionForSize({ width: 2048, height: 2048 }), "2k");
  assert.equal(imageResolutionForSize({ width: 4096, height: 4096 }), "4k");
  assert.equal(imageResolutionForQuality("hd"), "4k");
  assert.equal(imageResolutionForQuality("low"), "1k");
  assert.equal(imageResolutionForQuality("auto"), undefined);
});

Deno.test("fitImageResolution() steps down to what the model allows", () => {
  assert.equal(fitImageResolution(["1k"], "4k"), "1k");
  assert.equal(fitImageResolution(["2k", "4k", "1k"], undefined), "2k");
  assert.equal(fitImageResolution(["2k", "4k", "1k"], "4k"), "4k");
  assert.deepEqual(stepDownResolutions(["2k", "4k", "1k"], "4k"), ["4k", "2k", "1k"]);
  assert.deepEqual(stepDownResolutions(["2k", "4k", "1k"], "2k"), ["2k", "1k"]);
  assert.deepEqual(stepDownResolutions(["1k"], "1k"), ["1k"]);
});

import assert from "node:assert/strict";
import { findPlaceholders, splitPrompt } from "../../src/generation/placeholders.ts";
import type { MaterialKind } from "../../src/media/sniff.ts";

const KINDS: MaterialKind[] = ["image", "video", "image", "audio"];

Deno.test("findPlaceholders() reads every spelling", () => {
  const found = findPlaceholders(
    "@1 @Image2 @video_1 @audio_file_1 @image_file1 @图1 @图片2 @视频1 @音频1 @12 a@b",
  );
  assert.deepEqual(found.map((p) => [p.token, p.kind, p.n]), [
    ["@1", undefined, 1],
    ["@Image2", "image", 2],
    ["@video_1", "video", 1],
    ["@audio_file_1", "audio", 1],
    ["@image_file1", "image", 1],
    ["@图1", "image", 1],
    ["@图片2", "image", 2],
    ["@视频1", "video", 1],
    ["@音频1", "audio", 1],
    ["@12", undefined, 12],
  ]);
});

Deno.test("splitPrompt() alternates text runs and references", () => {
  assert.deepEqual(splitPrompt("@image2 walks like @video1 to @4", KINDS), {
    segments: [{ ref: 2 }, { text: " walks like " }, { ref: 1 }, { text: " to " }, { ref: 3 }],
  });
  assert.deepEqual(splitPrompt("mix @1@2!", KINDS), {
    segments: [{ text: "mix " }, { ref: 0 }, { ref: 1 }, { text: "!" }],
  });
  // No placeholder: every material, in order, before the text.
  assert.deepEqual(splitPrompt("a dance", KINDS), {
    segments: [{ ref: 0 }, { ref: 1 }, { ref: 2 }, { ref: 3 }, { text: "a dance" }],
  });
});

Deno.test("splitPrompt() names the placeholder that names nothing", () => {
  assert.deepEqual(splitPrompt("@5 jumps", KINDS), {
    placeholder: "@5",
    message: "@5 names reference 5, but the request has 4 references",
  });
  assert.deepEqual(splitPrompt("@video2", KINDS), {
    placeholder: "@video2",
    message: "@video2 names video 2, but the request has 1 video among its references",
  });
  assert.deepEqual(splitPrompt("@audio1", ["image"]), {
    placeholder: "@audio1",
    message: "@audio1 names audio 1, but the request has no audio among its references",
  });
  assert.equal("placeholder" in splitPrompt("@0", KINDS), true);
});

/**
 * The playground's video mode in Chromium: references added with the file
 * picker and by drag and drop, numbered chips that type their placeholder,
 * an omni video generated against the fake, and the job's references on the
 * jobs page. Screenshots: `test-artifacts/console/flow-omni-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeMp4, encodeWav } from "../fake_upstream/av_media.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";

// The page's globals, typed just enough for the code run inside it.
declare const document: { querySelector(selector: string): EventTarget | null };
declare class DataTransfer {
  items: { add(file: unknown): void };
}
declare class DragEvent extends Event {
  constructor(
    type: string,
    init: { bubbles: boolean; cancelable: boolean; dataTransfer: DataTransfer },
  );
}

Deno.test("console playground makes an omni video from dropped references; the jobs page lists them", async () => {
  await withFlow({
    env: { JIMENG_SESSIONS: GOOD_SESSION, CHROMIUM_PATH },
    fake: { videoLatencyMs: 800 },
  }, async ({ stack, page, shot }) => {
    stack.server.deps.client.poller.learn("dreamina_seedance_40_pro", 800);
    await page.goto(`${stack.url}/playground`);
    await page.getByRole("group", { name: "Mode" }).getByRole("button", { name: "Video" }).click();
    await page.getByText("No videos yet").waitFor();
    const model = page.getByLabel("Model");
    await model.selectOption("jimeng-video-seedance-2.0");

    // Two files through the picker…
    await page.getByTestId("reference-input").setInputFiles([
      {
        name: "cat.png",
        mimeType: "image/png",
        buffer: Buffer.from(encodePng({ width: 96, height: 64, color: [230, 120, 40] })),
      },
      {
        name: "dance.mp4",
        mimeType: "video/mp4",
        buffer: Buffer.from(encodeMp4({ durationMs: 5000, width: 640, height: 360 })),
      },
    ]);
    // …and one dropped onto the zone, as a user drags it from the desktop.
    const wav = [...encodeWav({ durationMs: 2000 })];
    await page.evaluate((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], "song.wav", { type: "audio/wav" }));
      document.querySelector(".dropzone")!.dispatchEvent(
        new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: transfer }),
      );
    }, wav);

    const chips = page.locator(".playground-form .ref-chip");
    await chips.nth(2).waitFor();
    assert.deepEqual(await page.locator(".playground-form .ref-placeholder").allInnerTexts(), [
      "@1 · @image1",
      "@2 · @video1",
      "@3 · @audio1",
    ]);
    // A chip types its placeholder where the cursor is.
    const prompt = page.getByLabel("Prompt");
    await page.locator(".ref-placeholder").nth(0).click();
    await prompt.press("End");
    await prompt.pressSequentially("dances like ");
    await page.locator(".ref-placeholder").nth(1).click();
    await prompt.press("End");
    await prompt.pressSequentially("to ");
    await page.locator(".ref-placeholder").nth(2).click();
    assert.equal((await prompt.inputValue()).trim(), "@image1 dances like @video1 to @audio1");
    // With references, an omni video lasts 4–15 s.
    const seconds = page.getByLabel("Duration");
    assert.deepEqual(
      await seconds.locator("option").allInnerTexts(),
      Array.from({ length: 12 }, (_, i) => `${i + 4} s`),
    );
    await seconds.selectOption("6");
    await shot("flow-omni-form");

    await page.getByRole("button", { name: "Generate video" }).click();
    await page.locator(".result-video-pending .ref-chip").nth(2).waitFor();
    await page.locator("figure.result-card video.result-video").waitFor({ timeout: 30_000 });
    await page.getByText("Video ready").waitFor();
    await shot("flow-omni-done");

    const [record] = stack.fake.records();
    assert.equal(record.prompt.trim(), "@1 dances like @2 to @3");
    assert.equal(record.durationMs, 6000);
    assert.deepEqual(record.materials?.map((m) => m.kind), ["image", "video", "audio"]);
    assert.deepEqual(stack.fake.stats.violations, []);

    await page.getByRole("link", { name: "Jobs" }).click();
    const row = page.locator("tbody tr").first();
    await row.locator(".ref-chip").nth(2).waitFor();
    assert.deepEqual(
      (await row.locator(".ref-chip").allInnerTexts()).map((text) =>
        text.replace(/\s+/g, " ").trim()
      ),
      ["@1 @image1 96×64 · PNG", "@2 @video1 5.0 s · 640×360 · MP4", "@3 @audio1 2.0 s · WAV"],
    );
    await shot("flow-omni-jobs");
  });
});

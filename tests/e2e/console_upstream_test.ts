/**
 * What the console shows of the upstream as it is in late 2026, in Chromium:
 * the playground's model menu is the stored accounts' live catalog and asks
 * for up to ten images, and the media and jobs pages say which file of a
 * video was kept. Screenshots go to `test-artifacts/console/upstream-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import type OpenAI from "openai";
import { withFlow } from "../helpers/console_flow.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

Deno.test("console playground offers the accounts' live catalog and makes six images in two tasks", async () => {
  await withFlow({ env: { JIMENG_SESSIONS: GOOD_SESSION } }, async ({ stack, page, shot }) => {
    stack.fake.knobs.catalog.extraModels.push({
      kind: "image",
      key: "high_aes_general_v60_beta",
      name: "Seedream 6.0 Beta",
      tiers: ["1k", "2k"],
      regions: ["cn"],
    });
    stack.fake.knobs.catalog.unavailable.push("high_aes_general_v43");
    await page.goto(`${stack.url}/playground`);
    await page.getByText("No images yet").waitFor();
    const menu = page.getByLabel("Model");
    // The page shows before its model list arrives; the menu is enabled once it did.
    await menu.and(page.locator(":enabled")).waitFor();
    const options = await menu.locator("option").allInnerTexts();
    assert.ok(options.includes("Seedream 6.0 Beta (jimeng-image-seedream-6.0-beta)"), `${options}`);
    assert.ok(
      !options.some((text) => text.includes("jimeng-image-4.7")),
      "unavailable: not offered",
    );
    await menu.selectOption("jimeng-image-seedream-6.0-beta");
    assert.deepEqual(await page.getByLabel("Resolution").locator("option").allInnerTexts(), [
      "2K",
      "1K",
    ]);
    await page.getByLabel("Images").selectOption("6");
    await page.getByLabel("Prompt").fill("six origami birds on a wire");
    await shot("upstream-playground-catalog");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByText("6 images ready").waitFor();
    assert.equal(await page.locator(".result-card img").count(), 6);
    const records = stack.fake.records();
    assert.deepEqual(records.map((r) => r.model), Array(2).fill("high_aes_general_v60_beta"));
    assert.deepEqual(records.map((r) => r.genCount).sort(), [2, 4]);
    await shot("upstream-playground-done");
  });
});

Deno.test("console media and jobs pages label which file of a video was kept", async () => {
  const rich = "8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d";
  await withFlow({ fake: { videoLatencyMs: 200 } }, async ({ stack, page, shot }) => {
    stack.fake.addSession(rich, { watermarkFree: true });
    const make = async (token: string, prompt: string) => {
      const client = stack.openai(token);
      const created = await client.videos.create({
        model: "jimeng-video-3.0",
        prompt,
        seconds: "5" as OpenAI.Videos.VideoSeconds,
      });
      await stack.server.deps.jobs.wait(created.id);
    };
    await make(rich, "a lighthouse, watermark-free");
    await make(GOOD_SESSION, "a lighthouse, high bitrate");
    await stack.server.deps.media.idle();

    await page.goto(`${stack.url}/media`);
    const cards = page.locator(".media-card");
    await page.getByText("2 items").waitFor();
    const labels = await cards.locator(".media-variant").allInnerTexts();
    assert.deepEqual(labels, ["High bitrate", "No watermark"]);
    await shot("upstream-media-variants");
    await cards.first().click();
    await page.getByRole("dialog").getByText("High bitrate", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Close" }).click();

    await page.goto(`${stack.url}/jobs`);
    await page.locator("tbody tr").first().waitFor();
    const rows = page.locator("tbody tr");
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /high bitrate[\s\S]*High bitrate/);
    assert.match(await rows.nth(1).innerText(), /watermark-free[\s\S]*No watermark/);
    await shot("upstream-jobs-variants");
  });
});

/**
 * Issue 15, item 8, in Chromium: the playground's model menus list each model
 * once (aliases as a note), only those the stored accounts' regions offer, and
 * default to one of them; the video mode makes a first/last-frame video as
 * well as an omni one. Screenshots: `test-artifacts/console/issue15-playground-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Locator } from "playwright-core";
import { encodePng } from "../fake_upstream/media.ts";
import { findModel } from "../../src/jimeng/models.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { LOOKS, showIn } from "../helpers/console_looks.ts";
import { loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack } from "../helpers/stack.ts";

const DREAMINA = "4d5e6f708192a3b4c5d6e7f8091a2b3c";

/** The console session's `GET /v1/models?type=`: the live list of the stored accounts. */
async function liveModels(
  stack: Stack,
  kind: "image" | "video",
): Promise<{ id: string; alias_of?: string }[]> {
  const admin = await loginAdmin(stack);
  const response = await fetch(`${stack.url}/v1/models?type=${kind}`, {
    headers: { Cookie: admin.cookie },
  });
  assert.equal(response.status, 200);
  const list = await response.json() as {
    data: { id: string; alias_of?: string; source: string }[];
  };
  assert.ok(list.data.every((m) => m.source === "catalog"), "the accounts' own catalog");
  return list.data;
}

/** The option values of a menu. */
function valuesOf(menu: Locator): Promise<string[]> {
  return menu.locator("option").evaluateAll((options) =>
    options.map((option) => (option as unknown as { value: string }).value)
  );
}

Deno.test("console playground lists the models a Dreamina account offers, each once, and generates with the default", async () => {
  await withFlow({ env: { DAILY_CLAIM: "false" } }, async ({ stack, page, shot }) => {
    stack.fake.addSession(DREAMINA, { region: "us", credits: 200 });
    const admin = await loginAdmin(stack);
    await admin.json("POST", "/accounts", { sessionids: `us-${DREAMINA}` }, 201);
    await stack.server.scheduler.idle();
    // Dreamina's writes need the site page's signature; this test is about the menu, not that.
    stack.fake.knobs.riskControl = false;
    await page.goto(`${stack.url}/playground`);
    const menu = page.getByLabel("Model");
    await menu.locator("option").first().waitFor({ state: "attached" });
    const images = await valuesOf(menu);
    assert.equal(new Set(images).size, images.length, "each model once");
    // Exactly the models of the account's live list (its catalog), not the built-in table.
    const live = await liveModels(stack, "image");
    assert.deepEqual(images, live.filter((m) => !m.alias_of).map((m) => m.id));
    assert.ok(live.some((m) => m.alias_of), "the list has aliases; the menu does not");
    assert.ok(images.includes("jimeng-image-nanobanana"), "Dreamina's own models are there");
    assert.ok(!images.includes("jimeng-image-4.7"), "CN-only models are not");
    // The default is the first the account offers.
    assert.equal(await menu.inputValue(), images[0]);
    // Aliases are a note under the menu.
    await menu.selectOption("jimeng-image-4.0");
    await page.getByText("Also answers to jimeng-4.0").waitFor();
    await menu.selectOption(images[0]);
    for (const look of LOOKS) {
      await showIn(page, look, `${stack.url}/playground`);
      await page.locator("#pg-model option").first().waitFor({ state: "attached" });
      await shot(`issue15-playground-menu-${look.name}`);
    }
    await showIn(page, LOOKS[0], `${stack.url}/playground`);

    await page.getByLabel("Prompt").fill("a lighthouse on a cliff at dusk");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByText("1 image ready").waitFor();
    const [record] = stack.fake.records();
    assert.equal(record.model, findModel(images[0])!.reqKey);

    // The video menu too: each video model once, only Dreamina's.
    await page.getByRole("group", { name: "Mode" }).getByRole("button", { name: "Video" }).click();
    const videoMenu = page.getByLabel("Model");
    await videoMenu.locator('option[value="jimeng-video-3.0"]').waitFor({ state: "attached" });
    const videos = await valuesOf(videoMenu);
    assert.equal(new Set(videos).size, videos.length);
    const liveVideos = (await liveModels(stack, "video")).filter((m) => !m.alias_of);
    assert.deepEqual(new Set(videos), new Set(liveVideos.map((m) => m.id)));
    assert.ok(!videos.includes("jimeng-video-seedance-2.0"), "Seedance 2.0 is CN only");
  });
});

Deno.test("console playground makes a video from a first and a last frame with a model that takes frames", async () => {
  await withFlow({
    env: { JIMENG_SESSIONS: GOOD_SESSION },
    fake: { videoLatencyMs: 600 },
  }, async ({ stack, page, shot }) => {
    stack.server.deps.client.poller.learn("dreamina_ic_generate_video_model_vgfm_3.0", 600);
    await page.goto(`${stack.url}/playground`);
    await page.getByRole("group", { name: "Mode" }).getByRole("button", { name: "Video" }).click();
    await page.getByText("No videos yet").waitFor();
    await page.getByLabel("Model").selectOption("jimeng-video-3.0");
    await page.getByText(
      "This model takes one or two images: the first and the last frame of the video.",
    ).waitFor();
    const png = (color: [number, number, number]) =>
      Buffer.from(encodePng({ width: 128, height: 72, color }));
    await page.getByTestId("reference-input").setInputFiles([
      { name: "dawn.png", mimeType: "image/png", buffer: png([240, 150, 60]) },
      { name: "dusk.png", mimeType: "image/png", buffer: png([40, 60, 160]) },
    ]);
    // The chips say which frame each is; there are no placeholders to type.
    assert.deepEqual(await page.locator(".playground-form .ref-frame").allInnerTexts(), [
      "First frame",
      "Last frame",
    ]);
    assert.equal(await page.locator(".playground-form .ref-placeholder").count(), 0);
    await page.getByLabel("Prompt").fill("the day passes over a quiet harbour");
    // The form keeps its files: the same page at each size and scheme (in English).
    for (const look of LOOKS) {
      await page.setViewportSize(look.viewport);
      await page.emulateMedia({ colorScheme: look.scheme });
      await shot(`issue15-playground-frames-${look.name.replace("-zh-", "-en-")}`);
    }
    await page.setViewportSize(LOOKS[0].viewport);
    await page.emulateMedia({ colorScheme: LOOKS[0].scheme });

    // A third image is more than such a model takes: said before anything is sent.
    await page.getByTestId("reference-input").setInputFiles([
      { name: "noon.png", mimeType: "image/png", buffer: png([250, 250, 200]) },
    ]);
    assert.equal(
      await page.locator(".playground-form .ref-frame").nth(2).innerText(),
      "Not used: two frames at most",
    );
    await page.getByRole("button", { name: "Generate video" }).click();
    await page.getByRole("alert").getByText(/takes images only, as first and last frame/).waitFor();
    assert.equal(stack.fake.records().length, 0);
    await page.getByRole("button", { name: "Remove noon.png" }).click();

    await page.getByRole("button", { name: "Generate video" }).click();
    // Until the job is seen finished (a poll later at the earliest), the button counts the time.
    const running = page.getByRole("button", { name: /^Generating… \d/ });
    await running.waitFor();
    assert.ok(await running.isDisabled(), "no second video while one runs");
    await page.locator("figure.result-card video.result-video").waitFor({ timeout: 30_000 });
    await page.getByText("Video ready").waitFor();
    const [record] = stack.fake.records();
    assert.equal(record.model, findModel("jimeng-video-3.0")!.reqKey);
    assert.equal(record.inputUris.length, 2, "first and last frame");
    assert.equal(record.materials, undefined, "not an omni-reference video");
    await shot("issue15-playground-frames-done");
  });
});

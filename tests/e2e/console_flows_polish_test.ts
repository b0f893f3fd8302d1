/**
 * Issue 15, items 16 and 18 (console parts), in Chromium: the overview's
 * errors per key, credits drawn as bars and tables that fit a phone; "no
 * stored accounts" instead of zero credits; a failed job shows its failure,
 * not a partial bar; a queued job its upstream queue place; media cards cut
 * long text with an ellipsis and say which key and account made them; "Last
 * check" and the jobs filter stay on one line on a phone. Screenshots:
 * `test-artifacts/console/issue15-polish-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import type OpenAI from "openai";
import type { Locator, Page } from "playwright-core";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { ALL_LOOKS, LOOKS, PHONE, showIn } from "../helpers/console_looks.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

const VIDEO_3 = "dreamina_ic_generate_video_model_vgfm_3.0";
const KEY_NAME = "Nightly storyboard renderer of the design team";

type Video = OpenAI.Videos.Video & { queue?: { position: number; length: number | null } };

/** Width and scroll width of an element, to tell whether it is cut or scrolls. */
function widths(locator: Locator): Promise<{ client: number; scroll: number }> {
  return locator.evaluate((element) => {
    const box = element as unknown as { clientWidth: number; scrollWidth: number };
    return { client: box.clientWidth, scroll: box.scrollWidth };
  });
}

/** The height of an element's box, in CSS pixels. */
async function height(locator: Locator): Promise<number> {
  return (await locator.boundingBox())!.height;
}

/** Polls the video until `done` says so (the server's state, not a wait for time). */
async function until(
  client: OpenAI,
  id: string,
  done: (video: Video) => boolean,
): Promise<Video> {
  for (let i = 0; i < 2000; i++) {
    const video = await client.videos.retrieve(id) as Video;
    if (done(video)) return video;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`video ${id} never reached the expected state`);
}

/** Waits for the overview's numbers and charts. */
async function overviewShown(page: Page): Promise<void> {
  await page.locator(".stat-grid .stat-card").nth(3).waitFor();
  await page.locator(".chart svg").nth(1).waitFor();
}

Deno.test("console polish: errors per key, credit bars, jobs that failed or wait in the queue, media cards, one-line cells on a phone", async () => {
  await withFlow({
    env: { JIMENG_SESSIONS: GOOD_SESSION },
    fake: { videoLatencyMs: 300 },
  }, async ({ stack, page, shot }) => {
    stack.server.deps.client.poller.learn(VIDEO_3, 300);
    const admin = await loginAdmin(stack);
    const key = await admin.json<{ key: string; id: number }>("POST", "/keys", {
      name: KEY_NAME,
      models: ["jimeng-image-4.0", "jimeng-video-3.0"],
    }, 201);
    const client = stack.openai(key.key);
    await client.images.generate({
      model: "jimeng-image-4.0",
      prompt: "a very long prompt about a harbour at dawn with fishing boats, gulls, mist over " +
        "the water, warm light on the houses along the quay and a lighthouse far away",
    });
    await assert.rejects(
      client.images.generate({ model: "jimeng-image-4.5", prompt: "not allowed" }),
      (error: { status?: number }) => error.status === 403,
    );
    // A video the moderation refuses, then one that waits in Jimeng's queue.
    const refused = await client.videos.create({
      model: "jimeng-video-3.0",
      prompt: "a street with a forbidden-word on a sign",
    });
    await until(client, refused.id, (v) => v.status === "failed");
    stack.fake.knobs.queueMs = 8000;
    const queued = await client.videos.create({
      model: "jimeng-video-3.0",
      prompt: "boats leaving the harbour",
    });
    const waiting = await until(client, queued.id, (v) => v.queue !== undefined);
    await stack.server.deps.credits.idle();
    await stack.server.deps.media.idle();

    // Jobs: the failure where the bar was; the queue place under the bar.
    await page.goto(`${stack.url}/jobs`);
    const failedRow = page.locator("tbody tr").filter({ hasText: "forbidden-word" });
    const queuedRow = page.locator("tbody tr").filter({ hasText: "boats leaving" });
    const progress = (row: Locator) => row.locator('td[data-label="Progress"]');
    await progress(failedRow).getByText("content_policy_violation").waitFor();
    assert.equal(await failedRow.getByRole("progressbar").count(), 0);
    assert.match(
      await progress(queuedRow).locator(".queue-place").innerText(),
      new RegExp(`^Upstream queue: \\d+ of ${waiting.queue!.length}`),
    );
    for (const look of ALL_LOOKS) {
      await showIn(page, look, `${stack.url}/jobs`);
      await page.locator(".progress-failed").waitFor();
      if (look.viewport === PHONE) {
        // The status filter is one row: every option side by side.
        const tops = await page.locator(".toolbar .segment").evaluateAll((buttons) =>
          buttons.map((b) => (b as unknown as { offsetTop: number }).offsetTop)
        );
        assert.equal(new Set(tops).size, 1, `${look.name}: the filter wraps`);
      }
      await shot(`issue15-polish-jobs-${look.name}`);
    }
    await showIn(page, LOOKS[0], `${stack.url}/jobs`);

    // Overview: errors per key, credits as bars, tables that fit a phone.
    await page.getByRole("link", { name: "Overview" }).click();
    await overviewShown(page);
    const stats = await admin.json<{ byKey: { keyId: number | null; errors: number }[] }>(
      "GET",
      "/stats?range=24h",
    );
    const ours = stats.byKey.find((row) => row.keyId === key.id)!;
    assert.ok(ours.errors >= 1);
    const keyRow = page.locator(".overview-table tbody tr").filter({ hasText: KEY_NAME });
    assert.equal(await keyRow.locator("td").nth(2).innerText(), String(ours.errors));
    const creditsChart = page.locator(".card").filter({ hasText: "Credits spent" }).locator(
      ".chart",
    );
    assert.ok(await creditsChart.locator(".chart-bars .bar rect").count() >= 24, "hourly bars");
    assert.equal(await creditsChart.locator(".chart-stroke").count(), 0, "not a line");
    for (const look of ALL_LOOKS) {
      await showIn(page, look, `${stack.url}/overview`);
      await overviewShown(page);
      for (const wrap of await page.locator(".chart-grid-2 .table-wrap").all()) {
        const { client, scroll } = await widths(wrap);
        assert.ok(scroll <= client, `${look.name}: a table hides columns (${scroll} > ${client})`);
      }
      await shot(`issue15-polish-overview-${look.name}`);
    }

    // Media: cut text ends with an ellipsis; each card says which key and account made it.
    await showIn(page, LOOKS[1], `${stack.url}/media`);
    const card = page.locator(".media-card").first();
    await card.waitFor();
    const who = card.locator(".media-who");
    assert.equal(await who.innerText().then((text) => text.length > 0), true);
    assert.equal(await who.getAttribute("title"), `${KEY_NAME} · 0f1e…e1f0`);
    assert.equal(await who.evaluate((e) => getComputedStyle(e).textOverflow), "ellipsis");
    const cut = await widths(who);
    assert.ok(cut.scroll > cut.client, "the long key name is cut");
    const prompt = card.locator(".media-prompt");
    assert.equal(await prompt.evaluate((e) => getComputedStyle(e).webkitLineClamp), "2");
    await shot("issue15-polish-media-phone-zh-dark");

    // Accounts: "Last check" and "Daily claim" stay on one line on a phone, in both languages.
    for (const look of [LOOKS[1], { ...LOOKS[0], viewport: PHONE, name: "phone-en-light" }]) {
      await showIn(page, look, `${stack.url}/accounts`);
      const cells = page.locator("tbody tr").first().locator("td.nowrap");
      await cells.first().waitFor();
      for (const cell of await cells.all()) {
        assert.ok(await height(cell) < 34, `${look.name}: ${await cell.innerText()} wraps`);
      }
      await shot(`issue15-polish-accounts-${look.name}`);
    }

    // The queued video finishes, so nothing is left running.
    stack.fake.knobs.queueMs = 0;
    await until(client, queued.id, (v) => v.status === "completed" || v.status === "failed");
  });
});

Deno.test("console with no stored account: the overview says so instead of zero credits; the playground too", async () => {
  await withFlow({}, async ({ stack, page, shot }) => {
    const admin = await loginAdmin(stack);
    const stats = await admin.json<{ totals: { creditsRemaining: number | null } }>(
      "GET",
      "/stats?range=24h",
    );
    assert.equal(stats.totals.creditsRemaining, null);
    await page.goto(`${stack.url}/overview`);
    const card = page.locator(".stat-card").filter({ hasText: "Credits remaining" });
    await card.getByText("No stored accounts").waitFor();
    assert.doesNotMatch(await card.innerText(), /\b0\b/);
    for (const look of LOOKS) {
      await showIn(page, look, `${stack.url}/overview`);
      await overviewShown(page);
      await shot(`issue15-polish-no-accounts-${look.name}`);
    }
    await showIn(page, LOOKS[0], `${stack.url}/playground`);
    await page.getByRole("status").getByText(/No stored account can generate right now/).waitFor();
    await page.getByRole("status").getByRole("link", { name: "Add an account" }).click();
    await page.getByRole("heading", { name: "Accounts", level: 1 }).waitFor();
  });
});

// The page's globals, typed just enough for the checks run inside it.
declare function getComputedStyle(
  element: unknown,
): { textOverflow: string; webkitLineClamp: string };

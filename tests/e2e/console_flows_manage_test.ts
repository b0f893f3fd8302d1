/**
 * The console's management pages in Chromium against the real server and the
 * fake upstream: accounts (paste, check, claim, disable, remove), API keys
 * (create, copy, use from the `openai` SDK, usage, revoke), the playground,
 * the media library's videos, pages and filters, and a failed job. Each test
 * checks what the page shows and what the server, its store and the fake
 * upstream hold afterwards. Screenshots go to `test-artifacts/console/flow-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { type AdminClient, loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { waitFor, waitForValue } from "../helpers/wait.ts";
import { findModel, IMAGE_DIMENSIONS, type ImageModel } from "../../src/jimeng/models.ts";
import { newMediaId } from "../../src/media/library.ts";
import { insertMedia, listMedia, setMediaFile } from "../../src/store/media.ts";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";

const VIDEO_3 = "dreamina_ic_generate_video_model_vgfm_3.0";

// The page's globals, typed just enough for the checks run inside it.
declare const document: {
  body: { innerText: string };
  querySelectorAll(selector: string): ArrayLike<{ complete: boolean; naturalWidth: number }>;
};
declare const navigator: { clipboard: { readText(): Promise<string> } };

/** Sessionids the fake knows: one with credits, one with none, one expired (Dreamina US). */
const RICH = "1a2b3c4d5e6f708192a3b4c5d6e7f809";
const BROKE = "2b3c4d5e6f708192a3b4c5d6e7f8091a";
const EXPIRED = "3c4d5e6f708192a3b4c5d6e7f8091a2b";
const DAILY_GIFT = 60;

/** How the console shows a sessionid (`maskSecret`). */
const masked = (token: string) => `${token.slice(0, 4)}…${token.slice(-4)}`;

/** Asserts no secret appears in full in the page's text or its HTML. */
async function assertNotOnPage(page: Page, secrets: string[], when: string): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText);
  const markup = await page.content();
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `${when}: ${masked(secret)} is in the page's text`);
    assert.ok(!markup.includes(secret), `${when}: ${masked(secret)} is in the page's HTML`);
  }
}

type AccountJson = {
  id: number;
  label: string;
  region: string;
  health: string;
  credits: { total: number } | null;
  lastCheckAt: number | null;
  lastClaimAt: number | null;
};

async function accountsOf(admin: AdminClient): Promise<AccountJson[]> {
  return (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data;
}

/** The table row of the account shown as `label`. */
function accountRow(page: Page, label: string): Locator {
  return page.locator("tbody tr").filter({ has: page.locator("code", { hasText: label }) });
}

/** A cell of a stacked table row, by its column label. */
function cell(row: Locator, label: string): Locator {
  return row.locator(`td[data-label="${label}"]`);
}

Deno.test("console accounts: paste several, see them masked, check, claim, disable, enable, remove", async () => {
  await withFlow({ env: { DAILY_CLAIM: "false" } }, async ({ stack, page, shot }) => {
    stack.fake.addSession(RICH, { credits: 100 });
    stack.fake.addSession(BROKE, { credits: 0, dailyGift: DAILY_GIFT });
    stack.fake.addSession(EXPIRED, { expired: true, region: "us" });
    const admin = await loginAdmin(stack);
    const key = await admin.json<{ key: string }>("POST", "/keys", { name: "pool user" }, 201);

    await page.goto(`${stack.url}/accounts`);
    await page.getByText("No accounts yet").waitFor();
    await page.getByRole("button", { name: "Add accounts" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add accounts" });
    const pasted = [
      `${RICH},`,
      `sessionid=${BROKE}`,
      `us-${EXPIRED}`,
      "https://jimeng.jianying.com/",
      `${RICH} ${BROKE}`,
      "SK-0000aaaa1111bbbb2222cccc3333dddd",
      "",
    ].join("\n");
    await dialog.getByLabel("Session IDs").fill(pasted);
    // Lines, commas and semicolons separate entries; a line with a space is one entry.
    await dialog.getByRole("button", { name: "Add 6" }).click();
    // Three went in; each refused line is named by its number, masked, with the reason.
    await page.getByText("3 added, 0 already known").waitFor();
    const refusal = dialog.getByRole("alert");
    assert.equal(await refusal.innerText(), "3 lines were refused:");
    assert.deepEqual(await dialog.locator(".refused-list li").allInnerTexts(), [
      "Line 4\nhttp…com/\nis not a sessionid (letters, digits, - and _ only)",
      `Line 5\n${
        masked(`${RICH} ${BROKE}`)
      }\ncontains spaces (put one sessionid per line, or separate them with commas)`,
      "Line 6\nSK-0…dddd\nthis is an API key, not a Jimeng sessionid",
    ]);
    await assertNotOnPage(page, [RICH, BROKE, EXPIRED], "after adding");
    await shot("flow-accounts-add-refused");
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });

    // The background check of the new accounts shows up without a reload (the page looks again
    // while any is unchecked; the checks may take long on a busy machine, so they are awaited).
    await stack.server.scheduler.idle();
    const rich = accountRow(page, masked(RICH));
    const broke = accountRow(page, masked(BROKE));
    const expired = accountRow(page, `us-${masked(EXPIRED)}`);
    await cell(expired, "Health").getByText("Session expired").waitFor();
    await cell(rich, "Health").getByText("Healthy").waitFor();
    await cell(broke, "Health").getByText("Healthy").waitFor();
    assert.equal(await page.locator("tbody tr").count(), 3);
    // The region names its site: Jimeng for CN, Dreamina for the others.
    assert.match(await cell(rich, "Region").innerText(), /^Jimeng\s+CN$/);
    assert.match(await cell(expired, "Region").innerText(), /^Dreamina\s+US$/);
    assert.match(await cell(rich, "Credits").innerText(), /^100\n/);
    assert.match(await cell(broke, "Credits").innerText(), /^0\n/);
    assert.equal(await cell(expired, "Credits").innerText(), "—");
    // The badge says it: no second line repeating it; no claim for a dead session.
    assert.equal(await cell(expired, "Health").innerText(), "Session expired");
    assert.equal(await expired.getByRole("button", { name: "Claim" }).isDisabled(), true);
    await assertNotOnPage(page, [RICH, BROKE, EXPIRED], "the list");
    const stored = await accountsOf(admin);
    assert.deepEqual(stored.map((a) => [a.region, a.health, a.credits?.total ?? null]), [
      ["cn", "ok", 100],
      ["cn", "ok", 0],
      ["us", "expired", null],
    ]);
    await shot("flow-accounts");

    // Check now reads the upstream again: new credits, a new check time.
    stack.fake.setCredits(RICH, 250);
    const before = stored[0].lastCheckAt!;
    await rich.getByRole("button", { name: "Check" }).click();
    await page.getByText(`${masked(RICH)} checked`).waitFor();
    assert.match(await cell(rich, "Credits").innerText(), /^250\n/);
    assert.ok((await accountsOf(admin))[0].lastCheckAt! > before);
    await expired.getByRole("button", { name: "Check" }).click();
    await page.getByText(`${stored[2].label} checked`).waitFor();
    assert.match(await cell(expired, "Health").innerText(), /^Session expired/);
    assert.equal(await cell(expired, "Last check").innerText(), "just now");

    // Claim now takes the daily gift: the fake pays it, the page shows the new balance.
    assert.equal(stack.fake.session(BROKE).lastReceiveDay, undefined);
    await broke.getByRole("button", { name: "Claim" }).click();
    await page.getByText(`Claimed ${DAILY_GIFT} credits`).waitFor();
    assert.notEqual(stack.fake.session(BROKE).lastReceiveDay, undefined);
    assert.equal(stack.fake.session(BROKE).credits, DAILY_GIFT);
    assert.match(await cell(broke, "Credits").innerText(), new RegExp(`^${DAILY_GIFT}\\n`));
    assert.equal(await cell(broke, "Daily claim").innerText(), "just now");
    await shot("flow-accounts-claimed");

    // A disabled account serves nothing: the next generations go to the other live one.
    await rich.getByRole("button", { name: "Disable" }).click();
    await cell(rich, "Health").getByText("Disabled").waitFor();
    assert.equal(await rich.getByRole("button", { name: "Check" }).isDisabled(), true);
    assert.equal((await accountsOf(admin))[0].health, "disabled");
    const served = stack.fake.records().length;
    for (const prompt of ["a paper boat", "a paper plane"]) {
      await stack.openai(key.key).images.generate({ model: "jimeng-image-4.0", prompt });
    }
    const sessions = stack.fake.records().slice(served).map((record) => record.sessionId);
    assert.deepEqual(sessions, [BROKE, BROKE]);
    await shot("flow-accounts-disabled");

    await rich.getByRole("button", { name: "Enable" }).click();
    await cell(rich, "Health").getByText("Healthy").waitFor();
    assert.equal((await accountsOf(admin))[0].health, "ok");

    // Remove asks first; cancel keeps it, confirm removes it here and on the server.
    await expired.getByRole("button", { name: `Remove ${stored[2].label}` }).click();
    const confirm = page.getByRole("dialog", { name: "Remove this account?" });
    assert.match(
      await confirm.innerText(),
      new RegExp(`${stored[2].label} will no longer be used`),
    );
    await confirm.locator(".dialog-footer").getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    assert.equal(await page.locator("tbody tr").count(), 3);
    await expired.getByRole("button", { name: `Remove ${stored[2].label}` }).click();
    await confirm.getByRole("button", { name: "Remove" }).click();
    await page.getByText("Account removed").waitFor();
    await expired.waitFor({ state: "detached" });
    assert.equal(await page.locator("tbody tr").count(), 2);
    assert.deepEqual((await accountsOf(admin)).map((a) => a.label), [masked(RICH), masked(BROKE)]);
    await assertNotOnPage(page, [RICH, BROKE, EXPIRED], "at the end");
    await shot("flow-accounts-removed");
  });
});

Deno.test("console keys: create with limits, copy the secret once, use it from the SDK, see its usage, revoke", async () => {
  await withFlow(
    { env: { JIMENG_SESSIONS: GOOD_SESSION } },
    async ({ stack, browser, page, shot }) => {
      await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
        origin: stack.url,
      });
      const admin = await loginAdmin(stack);
      await page.goto(`${stack.url}/keys`);
      await page.getByText("No API keys yet").waitFor();
      await page.getByRole("button", { name: "Create key" }).first().click();
      const form = page.getByRole("dialog", { name: "Create an API key" });
      await form.getByLabel("Name").fill("Open WebUI");
      await form.getByLabel("Daily quota").fill("10");
      await form.getByLabel("Rate limit").fill("30");
      await shot("flow-keys-create");
      await form.getByRole("button", { name: "Create key" }).click();

      // The secret, once, with a copy button that puts exactly it on the clipboard.
      const shown = page.getByRole("dialog", { name: "Your new API key" });
      const secret = await shown.getByTestId("key-secret").innerText();
      assert.match(secret, /^sk-[\w-]{20,}$/);
      await shown.getByRole("button", { name: "Copy", exact: true }).click();
      await shown.getByRole("button", { name: "Copied" }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
      await shot("flow-keys-secret");
      await shown.getByRole("button", { name: "Done" }).click();
      await shown.waitFor({ state: "detached" });
      await assertNotOnPage(page, [secret], "after closing the secret");

      const row = page.locator("tbody tr").filter({ hasText: "Open WebUI" });
      await row.waitFor();
      const [created] = (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
      assert.deepEqual(
        [created.name, created.quotaPerDay, created.ratePerMinute, created.requestsToday],
        ["Open WebUI", 10, 30, 0],
      );
      // The list shows the key masked, as the server keeps it.
      assert.equal(created.prefix, `${secret.slice(0, 7)}…${secret.slice(-4)}`);
      assert.equal(await cell(row, "Key").innerText(), created.prefix);
      assert.equal(await cell(row, "Used today").innerText(), "0 / 10 credits");
      assert.equal(await cell(row, "Rate limit").innerText(), "30/min");
      assert.equal(await cell(row, "Requests today").innerText(), "0");
      assert.equal(await cell(row, "Status").innerText(), "Active");

      // The key works from the official SDK; the page shows what it used after a refresh.
      const image = await stack.openai(secret).images.generate({
        model: "jimeng-image-4.0",
        prompt: "a harbour at dawn",
      });
      assert.ok(image.data?.[0]?.url);
      await stack.server.deps.credits.idle();
      const spent = stack.fake.records().reduce((sum, record) => sum + record.credits, 0);
      assert.ok(spent > 0);
      await page.getByRole("button", { name: "Refresh" }).click();
      await cell(row, "Requests today").getByText("1", { exact: true }).waitFor();
      assert.equal(await cell(row, "Used today").innerText(), `${spent} / 10 credits`);
      assert.equal(
        Number(
          await cell(row, "Used today").getByRole("progressbar").getAttribute("aria-valuenow"),
        ),
        Math.round((spent / 10) * 100),
      );
      assert.equal(await cell(row, "Last used").innerText(), "just now");
      const [used] = (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
      assert.deepEqual([used.requestsToday, used.usedToday], [1, spent]);
      await shot("flow-keys-used");

      // Revoked after confirming: the same SDK call is refused with 401.
      await row.getByRole("button", { name: "Revoke" }).click();
      const confirm = page.getByRole("dialog", { name: "Revoke this key?" });
      assert.match(await confirm.innerText(), /Clients using "Open WebUI" will be refused/);
      await confirm.getByRole("button", { name: "Revoke" }).click();
      await page.getByText("Key revoked").waitFor();
      await cell(row, "Status").getByText("Revoked").waitFor();
      assert.equal(await row.getByRole("button", { name: "Revoke" }).count(), 0);
      await assert.rejects(
        stack.openai(secret).images.generate({ model: "jimeng-image-4.0", prompt: "again" }),
        (error: { status?: number }) => error.status === 401,
      );
      const [revoked] = (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
      assert.ok(revoked.revokedAt !== null);
      await assertNotOnPage(page, [secret], "after revoking");
      await shot("flow-keys-revoked");
    },
  );
});

Deno.test("console playground generates with the chosen model, ratio and resolution; the media library has the result", async () => {
  await withFlow({ env: { JIMENG_SESSIONS: GOOD_SESSION } }, async ({ stack, page, shot }) => {
    await page.goto(`${stack.url}/playground`);
    await page.getByText("No images yet").waitFor();
    const model = findModel("jimeng-image-4.1") as ImageModel;
    await page.getByLabel("Model").selectOption(model.id);
    await page.getByRole("group", { name: "Aspect ratio" }).getByRole("button", { name: "16:9" })
      .click();
    await page.getByRole("button", { name: "16:9", pressed: true }).waitFor();
    await page.getByLabel("Resolution").selectOption("1k");
    await page.getByLabel("Images").selectOption("2");
    const prompt = "a glass greenhouse in the snow, warm light inside";
    await page.getByLabel("Prompt").fill(prompt);
    await shot("flow-playground-form");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByText("2 images ready").waitFor();

    // Both results render from this server's media URLs.
    const results = page.locator(".result-card img");
    assert.equal(await results.count(), 2);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll(".result-card img")).every((image) =>
        image.complete && image.naturalWidth > 0
      )
    );
    assert.deepEqual(await page.locator(".result-card .media-prompt").allInnerTexts(), [
      prompt,
      prompt,
    ]);
    await shot("flow-playground-done");

    // The fake saw one generation with exactly these choices.
    const [record] = stack.fake.records();
    assert.equal(stack.fake.records().length, 1);
    assert.equal(record.prompt, prompt);
    assert.equal(record.model, model.reqKey);
    assert.equal(record.resolutionType, "1k");
    assert.deepEqual([record.width, record.height], IMAGE_DIMENSIONS["1k"]["16:9"]);

    // The media library lists the two results.
    await stack.server.deps.media.idle();
    await page.getByRole("link", { name: "Media" }).click();
    const cards = page.locator(".media-card");
    await page.getByText("2 items").waitFor();
    assert.equal(await cards.count(), 2);
    assert.deepEqual(await cards.locator(".media-prompt").allInnerTexts(), [prompt, prompt]);
    assert.deepEqual(
      await cards.locator(".media-sub span:first-child").allInnerTexts(),
      [model.id, model.id],
    );
  });
});

type MediaJson = { id: string; kind: string; url: string; model: string; createdAt: number };

/** Local `YYYY-MM-DD` of a time, as a date input holds it. */
function localDay(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

Deno.test("console media plays a generated video from a served file, pages through many items and filters by model and date", async () => {
  const latencyMs = 300;
  await withFlow({ fake: { videoLatencyMs: latencyMs } }, async ({ stack, page, shot }) => {
    stack.server.deps.client.poller.learn(VIDEO_3, latencyMs);
    const prompt = "a paper lantern drifting over a dark lake";
    const created = await stack.openai().videos.create({
      model: "jimeng-video-3.0",
      prompt,
      seconds: "5" as never,
      size: "1280x720",
    });
    const video = await waitForValue(async () => {
      const current = await stack.openai().videos.retrieve(created.id);
      return current.status === "completed" || current.status === "failed" ? current : undefined;
    }, "the video to end");
    assert.equal(video.status, "completed", JSON.stringify(video.error));
    await stack.openai().images.generate({ model: "jimeng-image-4.0", prompt: "a red lantern" });
    await stack.server.deps.media.idle();
    const admin = await loginAdmin(stack);
    const listed = await admin.json<{ items: MediaJson[] }>("GET", "/media");
    const clip = listed.items.find((item) => item.kind === "video")!;
    const image = listed.items.find((item) => item.kind === "image")!;
    assert.ok(clip && image, JSON.stringify(listed.items));

    // The video: a card with a play mark, a preview whose <video> streams the file in ranges.
    const ranges: { status: number; range?: string }[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname !== clip.url) return;
      ranges.push({ status: response.status(), range: response.request().headers()["range"] });
    });
    await page.goto(`${stack.url}/media`);
    await page.getByRole("button", { name: "Videos" }).click();
    const cards = page.locator(".media-card");
    await page.getByText("1 item", { exact: true }).waitFor();
    await cards.locator(".media-play").waitFor();
    await shot("flow-media-videos");
    await cards.first().click();
    const preview = page.getByRole("dialog", { name: "Video" });
    const player = preview.locator("video.preview-media");
    await player.waitFor();
    assert.equal(await player.getAttribute("src"), clip.url);
    assert.equal(await preview.locator(".preview-prompt").innerText(), prompt);
    assert.match(await preview.innerText(), /1280 × 720/);
    // The fake's bytes are no real MP4: what counts is that the file is served as the player asks.
    await waitFor(() => ranges.some((r) => r.status === 206), "the player's range requests")
      .catch(() => {});
    assert.ok(
      ranges.some((r) => r.status === 206 && r.range?.startsWith("bytes=")),
      JSON.stringify(ranges),
    );
    const download = preview.getByRole("link", { name: "Download" });
    assert.equal(await download.getAttribute("href"), clip.url);
    assert.equal(await download.getAttribute("download"), `${clip.id}.mp4`);
    const file = await fetch(`${stack.url}${clip.url}`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get("content-type"), "video/mp4");
    const bytes = new Uint8Array(await file.arrayBuffer());
    assert.equal(new TextDecoder().decode(bytes.subarray(4, 8)), "ftyp");
    await shot("flow-media-video-preview");
    await preview.getByRole("button", { name: "Close" }).click();
    await preview.waitFor({ state: "detached" });

    // Enough rows for two pages, cheaply: copies of the image's row sharing its cached file,
    // 26 of one model made today and 4 of another made three days ago.
    const [source] = listMedia(stack.server.db, { limit: 1, kind: "image" }).items;
    const now = Date.now();
    const old = now - 3 * 86_400_000;
    const rows = Array.from({ length: 30 }, (_, i) => ({
      ...source,
      id: newMediaId(),
      model: i < 4 ? "jimeng-image-3.0" : "jimeng-image-4.5",
      prompt: i < 4 ? `an old sketch ${i + 1}` : `a study in blue ${i - 3}`,
      requestId: `req-flow-${i}`,
      createdAt: i < 4 ? old + i * 60_000 : now - (30 - i) * 1000,
    }));
    for (const row of insertMedia(stack.server.db, rows)) {
      setMediaFile(stack.server.db, row.id, {
        fileName: source.fileName!,
        bytes: source.bytes!,
        contentType: source.contentType!,
      });
    }
    await page.getByRole("button", { name: "All", exact: true }).click();
    await page.getByText("32 items").waitFor();
    assert.equal(await cards.count(), 24);
    const pager = page.getByRole("navigation", { name: "Page 1 of 2" });
    assert.equal(await pager.getByRole("button", { name: "Previous" }).isDisabled(), true);
    await shot("flow-media-page-1");
    await pager.getByRole("button", { name: "Next" }).click();
    await page.getByRole("navigation", { name: "Page 2 of 2" }).waitFor();
    // The second page is loaded once its last item, the video, is there.
    await cards.filter({ hasText: prompt }).waitFor();
    assert.equal(await cards.count(), 8);
    // Newest first: the second page ends with the video, the oldest item.
    assert.equal(await cards.last().locator(".media-prompt").innerText(), prompt);
    await shot("flow-media-page-2");

    // By model: the menu offers the models that have media; back to page 1, only that model's rows.
    assert.deepEqual(await page.getByLabel("Model").locator("option").allInnerTexts(), [
      "All models",
      "jimeng-image-3.0",
      "jimeng-image-4.0",
      "jimeng-image-4.5",
      "jimeng-video-3.0",
    ]);
    await page.getByLabel("Model").selectOption("jimeng-image-3.0");
    await page.getByText("4 items").waitFor();
    assert.equal(await page.locator(".pagination").count(), 0);
    assert.deepEqual(
      (await cards.locator(".media-prompt").allInnerTexts()).sort(),
      ["an old sketch 1", "an old sketch 2", "an old sketch 3", "an old sketch 4"],
    );
    // By date: the day three days ago has those four; today has the rest.
    await page.getByRole("button", { name: "Reset filters" }).click();
    await page.getByText("32 items").waitFor();
    await page.getByLabel("From date").fill(localDay(old));
    await page.getByLabel("To date").fill(localDay(old));
    await page.getByText("4 items").waitFor();
    assert.ok(
      (await cards.locator(".media-prompt").allInnerTexts()).every((text) =>
        text.startsWith("an old sketch")
      ),
    );
    await shot("flow-media-filtered-date");
    await page.getByLabel("From date").fill(localDay(now));
    await page.getByLabel("To date").fill(localDay(now));
    await page.getByText("28 items").waitFor();
    const server = await admin.json<{ total: number }>(
      "GET",
      `/media?from=${new Date(new Date(now).setHours(0, 0, 0, 0)).getTime()}`,
    );
    assert.equal(server.total, 28);
  });
});

Deno.test("console jobs shows a video refused by moderation as Failed with the precise reason", async () => {
  const latencyMs = 400;
  await withFlow({ fake: { videoLatencyMs: latencyMs } }, async ({ stack, page, shot }) => {
    stack.server.deps.client.poller.learn(VIDEO_3, latencyMs);
    const prompt = "a street scene with a forbidden-word on a sign";
    const created = await stack.openai().videos.create({
      model: "jimeng-video-3.0",
      prompt,
      seconds: "5" as never,
      size: "1280x720",
    });
    await page.goto(`${stack.url}/jobs`);
    const row = page.locator("tbody tr").filter({ hasText: prompt });
    // The page refreshes itself while the job runs.
    await row.locator(".badge", { hasText: "Failed" }).waitFor({ timeout: 15_000 });
    const failed = await stack.openai().videos.retrieve(created.id);
    assert.equal(failed.status, "failed");
    assert.equal(
      failed.error?.message,
      "Jimeng's moderation blocked the video (fail_code 2038): rephrase the prompt or use another reference image",
    );
    assert.equal(await row.locator(".text-danger").innerText(), failed.error?.message);
    // Where the bar was, the failure: no partial red bar.
    assert.equal(await row.getByRole("progressbar").count(), 0);
    assert.equal(await cell(row, "Progress").innerText(), "content_policy_violation");
    assert.equal(await row.getByRole("link").count(), 0);
    // Its duration ends when it failed (it took well under a second), and stays so.
    assert.match(await cell(row, "Duration").innerText(), /^[01] s$/);
    await shot("flow-jobs-failed");

    // The filtered list is what the server answered for status=failed.
    const filtered = page.waitForResponse((r) =>
      new URL(r.url()).pathname === "/api/admin/jobs" &&
      new URL(r.url()).searchParams.get("status") === "failed"
    );
    await page.getByRole("button", { name: "Failed" }).click();
    const answer = await (await filtered).json() as { items: unknown[] };
    assert.equal(answer.items.length, 1);
    await page.getByRole("button", { name: "Failed", pressed: true }).waitFor();
    await row.waitFor();
    assert.equal(await page.locator("tbody tr").count(), 1);
    await page.getByRole("button", { name: "Completed" }).click();
    await page.getByText("No jobs").waitFor();
  });
});

for (
  const [variant, browser] of [
    ["dark", { colorScheme: "dark" }],
    ["phone", { viewport: { width: 390, height: 844 } }],
  ] as const
) {
  Deno.test(`console accounts and keys look finished (${variant})`, async () => {
    await withFlow({ browser }, async ({ stack, page, shot }) => {
      stack.fake.addSession(RICH, { credits: 1234 });
      stack.fake.addSession(EXPIRED, { expired: true, region: "us" });
      stack.fake.addSession(BROKE, { credits: 0 });
      const admin = await loginAdmin(stack);
      await admin.json("POST", "/accounts", { sessionids: [RICH, `us-${EXPIRED}`] }, 201);
      await stack.server.scheduler.idle();
      await admin.json("POST", "/keys", { name: "Open WebUI", quotaPerDay: 200 }, 201);
      await admin.json("POST", "/keys", { name: "Cherry Studio", ratePerMinute: 20 }, 201);

      await page.goto(`${stack.url}/accounts`);
      await accountRow(page, masked(RICH)).getByText("Healthy").waitFor();
      await accountRow(page, `us-${masked(EXPIRED)}`).getByText("Session expired").waitFor();
      await shot(`flow-accounts-${variant}`);
      await page.getByRole("button", { name: "Add accounts" }).click();
      await page.getByRole("dialog", { name: "Add accounts" }).getByLabel("Session IDs").fill(
        `${BROKE}\nsk-not-a-session-id-at-all`,
      );
      await page.getByRole("button", { name: "Add 2" }).click();
      await page.getByRole("dialog", { name: "Add accounts" }).getByRole("alert").waitFor();
      await shot(`flow-accounts-add-${variant}`);
      await page.keyboard.press("Escape");

      await page.goto(`${stack.url}/keys`);
      await page.locator("tbody tr").filter({ hasText: "Cherry Studio" }).waitFor();
      await shot(`flow-keys-${variant}`);
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("dialog", { name: "Create an API key" }).getByLabel("Name").fill(
        "Phone",
      );
      await page.getByRole("dialog", { name: "Create an API key" })
        .getByRole("button", { name: "Create key" }).click();
      await page.getByRole("dialog", { name: "Your new API key" }).waitFor();
      await shot(`flow-keys-secret-${variant}`);
    });
  });
}

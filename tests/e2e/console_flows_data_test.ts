/**
 * What the console shows of the work done through the API, in Chromium
 * against the real server: the overview's numbers, the logs with their live
 * tail, the media library and the jobs. The API calls are made with the
 * official `openai` SDK during each test.
 * @module
 */
import assert from "node:assert/strict";
import type { Locator } from "playwright-core";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { waitFor } from "../helpers/wait.ts";

const VIDEO_3 = "dreamina_ic_generate_video_model_vgfm_3.0";

/** The texts of the matching elements. */
function texts(locator: Locator): Promise<string[]> {
  return locator.allInnerTexts();
}

Deno.test("console overview shows the requests, success rate, models and keys of the API calls made", async () => {
  await withFlow({ env: { JIMENG_SESSIONS: GOOD_SESSION } }, async ({ stack, page, shot }) => {
    const admin = await loginAdmin(stack);
    const key = await admin.json<{ key: string }>("POST", "/keys", { name: "Open WebUI" }, 201);
    await stack.openai().images.generate({ model: "jimeng-image-4.0", prompt: "a red kite" });
    await stack.openai().images.generate({ model: "jimeng-image-4.0", prompt: "a blue kite" });
    await stack.openai(key.key).images.generate({ model: "jimeng-image-3.0", prompt: "a kite" });
    // An invalid request counts as a failed one.
    await assert.rejects(
      stack.openai().images.generate({ model: "jimeng-image-4.0", prompt: "" }),
      (error: { status?: number }) => error.status === 400,
    );
    await stack.server.deps.credits.idle();
    const remaining = stack.fake.session(GOOD_SESSION).credits;
    const spent = stack.fake.records().reduce((sum, record) => sum + record.credits, 0);
    assert.ok(spent > 0, "the fake charged credits");

    await page.goto(`${stack.url}/overview`);
    const card = (label: string) => page.locator(".stat-card").filter({ hasText: label });
    await card("Requests today").waitFor();
    assert.equal(await card("Requests today").locator(".stat-value").innerText(), "4");
    assert.equal(await card("Requests today").locator(".stat-detail").innerText(), "4 in total");
    assert.equal(await card("Success rate").locator(".stat-value").innerText(), "75%");
    assert.equal(await card("Credits spent today").locator(".stat-value").innerText(), `${spent}`);
    assert.equal(
      await card("Credits remaining").locator(".stat-value").innerText(),
      `${remaining}`,
    );

    const rows = (title: string) =>
      page.locator(".card").filter({ has: page.getByRole("heading", { name: title }) })
        .locator("tbody tr");
    const byModel = (await texts(rows("By model"))).map((row) => row.split(/\s+/).slice(0, 3));
    assert.deepEqual(byModel.sort(), [
      ["(none)", "1", "1"],
      ["jimeng-image-3.0", "1", "0"],
      ["jimeng-image-4.0", "2", "0"],
    ]);
    const byKey = (await texts(rows("By API key"))).map((row) => row.replace(/\s+/g, " "));
    assert.equal(byKey.length, 2);
    // Requests, errors, credits: the failed request was a sessionid caller's.
    assert.ok(byKey.some((row) => /^Open WebUI 1 0 \d+$/.test(row)), byKey.join(" | "));
    assert.ok(
      byKey.some((row) => /^Direct sessionid callers 3 1 \d+$/.test(row)),
      byKey.join(" | "),
    );
    // This hour's bar holds the four requests, one of them failed; its tooltip says so.
    const chart = page.getByRole("img", { name: "Requests", exact: true });
    const heights = await chart.locator(".bar rect:not(.bar-part)").evaluateAll((rects) =>
      rects.map((rect) => Number(rect.getAttribute("height")))
    );
    assert.equal(heights.length, 24);
    assert.ok(heights.at(-1)! > 0, `bar heights: ${heights}`);
    assert.equal(await chart.locator(".bar-part").count(), 1);
    await chart.locator(".chart-hit rect").last().hover();
    const tooltip = page.locator(".chart-tooltip");
    assert.match(await tooltip.innerText(), /Requests: 4\s+Errors: 1/);
    await shot("flow-overview");

    await page.getByRole("button", { name: "30 days" }).click();
    await page.getByRole("button", { name: "30 days", pressed: true }).waitFor();
    await rows("By model").first().waitFor();
    assert.equal(await card("Requests today").locator(".stat-value").innerText(), "4");
    assert.equal(await rows("By model").count(), 3);
    await shot("flow-overview-30d");
  });
});

Deno.test("console logs filter by level and text, tail live, pause, export and clear", async () => {
  await withFlow({}, async ({ stack, page, shot }) => {
    const logListCalls: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname === "/api/admin/logs") logListCalls.push(url.search);
    });
    await page.goto(`${stack.url}/logs`);
    const lines = page.locator(".log-line");
    const live = page.locator(".live");
    await live.filter({ hasText: "Live" }).waitFor();
    await lines.filter({ hasText: "Listening on" }).waitFor();
    const loads = logListCalls.length;

    // Lines the server writes now arrive over the stream, without reloading the list.
    await stack.openai().models.list();
    await lines.filter({ hasText: "GET /v1/models 200" }).waitFor();
    const failed = await fetch(`${stack.url}/api/admin/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: stack.url },
      body: JSON.stringify({ username: "admin", password: "not the password" }),
    });
    assert.equal(failed.status, 401);
    await failed.body?.cancel();
    await lines.filter({ hasText: "Console login failed" }).waitFor();
    stack.server.deps.log.error("Flows test: the upstream refused the draft", { code: "2038" });
    await lines.filter({ hasText: "the upstream refused the draft" }).waitFor();
    assert.equal(logListCalls.length, loads, "the new lines came from the live tail");
    await shot("flow-logs");

    // WARN shows warnings and errors only; ERROR only errors.
    await page.getByRole("button", { name: "WARN" }).click();
    await lines.filter({ hasText: "GET /v1/models" }).waitFor({ state: "detached" });
    await lines.filter({ hasText: "Console login failed" }).waitFor();
    assert.ok(logListCalls.at(-1)?.includes("level=warn"), logListCalls.at(-1));
    const warnLevels = new Set(await texts(page.locator(".log-level")));
    assert.deepEqual([...warnLevels].sort(), ["ERROR", "WARN"]);
    await page.getByRole("button", { name: "ERROR" }).click();
    await lines.filter({ hasText: "Console login failed" }).waitFor({ state: "detached" });
    await lines.filter({ hasText: "the upstream refused the draft" }).waitFor();
    assert.deepEqual(await texts(page.locator(".log-level")), ["ERROR"]);
    assert.equal(
      await lines.locator(".log-text").innerText(),
      "Flows test: the upstream refused the draft",
    );
    assert.equal(await lines.locator(".log-fields").innerText(), "code=2038");
    await shot("flow-logs-error");

    // The search narrows the list to lines containing the text.
    await page.getByRole("button", { name: "INFO" }).click();
    await lines.filter({ hasText: "Listening on" }).waitFor();
    await stack.openai().models.list();
    await page.getByRole("searchbox", { name: "Search messages" }).fill("/v1/models");
    await lines.filter({ hasText: "Listening on" }).waitFor({ state: "detached" });
    await lines.first().waitFor();
    assert.ok(logListCalls.at(-1)?.includes("q=%2Fv1%2Fmodels"), logListCalls.at(-1));
    const found = await texts(page.locator(".log-text"));
    assert.deepEqual(found, ["GET /v1/models 200", "GET /v1/models 200"]);
    await shot("flow-logs-search");

    // Paused, new lines are held and counted; resumed, they are shown.
    await page.getByRole("button", { name: "Pause" }).click();
    await live.filter({ hasText: "Paused · 0 new" }).waitFor();
    await stack.openai().models.list();
    await stack.openai().models.list();
    await live.filter({ hasText: "Paused · 2 new" }).waitFor();
    assert.equal(await lines.count(), 2);
    await page.getByRole("button", { name: "Resume" }).click();
    await live.filter({ hasText: "Live" }).waitFor();
    assert.equal(await lines.count(), 4);

    // Export saves the lines shown, oldest first.
    const shown = await texts(page.locator(".log-text"));
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export" }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^jimeng-api-logs-\d{8}-\d{6}\.txt$/);
    const path = await download.path();
    const exported = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assert.equal(exported.length, shown.length);
    for (const line of exported) {
      assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}GET \/v1\/models 200 \{"requestId":/);
    }
    assert.deepEqual(
      exported.map((line) => line.slice(line.indexOf("GET"), line.indexOf(" {"))),
      shown.slice().reverse(),
    );

    // Clear empties the list here and on the server.
    const admin = await loginAdmin(stack);
    const before = await admin.json<{ items: { id: number }[] }>("GET", "/logs?limit=1");
    const lastId = before.items[0].id;
    await page.getByRole("button", { name: "Clear" }).click();
    const confirm = page.getByRole("dialog", { name: "Clear all logs?" });
    await confirm.getByRole("button", { name: "Clear" }).click();
    await page.getByText("Logs cleared").waitFor();
    await page.getByText("No log lines").waitFor();
    const after = await admin.json<{ items: { id: number; message: string }[] }>(
      "GET",
      "/logs?limit=1000",
    );
    // Only what was logged after the clear (its own request line, this query's login) remains.
    assert.ok(after.items.every((line) => line.id > lastId), JSON.stringify(after.items));
    assert.ok(!after.items.some((line) => line.message.startsWith("Listening on")));
    await shot("flow-logs-cleared");
    // The tail goes on after the clear.
    await stack.openai().models.list();
    await lines.filter({ hasText: "GET /v1/models 200" }).waitFor();
    assert.equal(await lines.count(), 1);
  });
});

Deno.test("console media shows a generated image, previews the original with its prompt, deletes it", async () => {
  await withFlow({}, async ({ stack, page, shot }) => {
    const prompt = "a lighthouse on a cliff at dusk, long exposure";
    await stack.openai().images.generate({ model: "jimeng-image-4.0", prompt, n: 2 });
    await stack.server.deps.media.idle();
    const admin = await loginAdmin(stack);
    type Media = {
      items: { id: string; url: string; width: number; height: number }[];
      total: number;
    };
    const listed = await admin.json<Media>("GET", "/media");
    assert.equal(listed.total, 2);

    await page.goto(`${stack.url}/media`);
    const cards = page.locator(".media-card");
    await cards.first().waitFor();
    assert.equal(await cards.count(), 2);
    await page.getByText("2 items").waitFor();
    const thumbs = await cards.locator("img").evaluateAll((images) =>
      images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth)
    );
    assert.ok(thumbs.every((width) => width > 0), `thumbnails: ${thumbs}`);
    assert.deepEqual(await texts(cards.locator(".media-prompt")), [prompt, prompt]);
    await shot("flow-media");

    // The preview shows the original file and the prompt.
    await cards.first().click();
    const preview = page.getByRole("dialog", { name: "Image" });
    const image = preview.locator("img.preview-media");
    await image.waitFor();
    await page.waitForFunction(
      (element) => (element as unknown as { naturalWidth: number }).naturalWidth > 0,
      await image.elementHandle(),
    );
    const first = listed.items[0];
    const shown = await image.evaluate((element) => {
      const img = element as unknown as {
        src: string;
        naturalWidth: number;
        naturalHeight: number;
      };
      return { src: img.src, width: img.naturalWidth, height: img.naturalHeight };
    });
    // The original file as the server serves it (the fake's PNGs are smaller than announced).
    const original = await (await fetch(`${stack.url}${first.url}`)).arrayBuffer();
    const header = new DataView(original, 16, 8);
    assert.deepEqual(shown, {
      src: `${stack.url}${first.url}`,
      width: header.getUint32(0),
      height: header.getUint32(4),
    });
    assert.equal(await preview.locator(".preview-prompt").innerText(), prompt);
    assert.match(await preview.innerText(), new RegExp(`${first.width} × ${first.height}`));
    await shot("flow-media-preview");

    // Delete asks, then removes it from the grid and from the server.
    await preview.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this item?" });
    await confirm.getByRole("button", { name: "Delete" }).click();
    await page.getByText("Deleted", { exact: true }).waitFor();
    await page.getByText("1 item", { exact: true }).waitFor();
    assert.equal(await cards.count(), 1);
    const left = await admin.json<Media>("GET", "/media");
    assert.deepEqual(left.items.map((item) => item.id), [listed.items[1].id]);
    const file = await fetch(`${stack.url}${first.url}`);
    assert.equal(file.status, 404);
    await file.body?.cancel();

    // The type filter: no videos were made.
    await page.getByRole("button", { name: "Videos" }).click();
    await page.getByText("Nothing matches these filters").waitFor();
    await shot("flow-media-filtered");
  });
});

Deno.test("console jobs shows a video job's status and progress until it completes", async () => {
  const latencyMs = 4000;
  // The upstream's clock stands still from the submit until the test has seen the running job:
  // however slow the machine, the job cannot finish while the page is being looked at.
  let heldAt: number | undefined;
  const now = () => heldAt ?? Date.now();
  await withFlow({ fake: { videoLatencyMs: latencyMs, now } }, async ({ stack, page, shot }) => {
    stack.server.deps.client.poller.learn(VIDEO_3, latencyMs);
    await page.goto(`${stack.url}/jobs`);
    await page.getByText("No jobs").waitFor();
    await shot("flow-jobs-empty");

    const prompt = "waves rolling onto a pebble beach, slow motion";
    heldAt = Date.now();
    const created = await stack.openai().videos.create({
      model: "jimeng-video-3.0",
      prompt,
      seconds: "5" as never,
      size: "1280x720",
    });
    const row = page.locator("tbody tr").filter({ hasText: prompt });
    const progress = row.getByRole("progressbar");
    // Refresh until the job runs with some progress shown.
    await waitFor(async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      await row.waitFor();
      const status = await row.locator(".badge").innerText();
      const value = Number(await progress.getAttribute("aria-valuenow"));
      if (status === "Running" && value >= 10) return true;
      assert.ok(status === "Queued" || status === "Running", `status ${status}`);
      return false;
    }, "the job to run with some progress");
    assert.equal(await row.locator(".badge").innerText(), "Running");
    const running = Number(await progress.getAttribute("aria-valuenow"));
    assert.ok(running >= 10 && running < 100, `progress ${running}`);
    assert.match(await row.innerText(), new RegExp(`${running}%`));
    assert.match(await row.innerText(), /5s · 1280x720/);
    assert.equal(await row.locator("code").first().getAttribute("title"), created.id);
    await shot("flow-jobs-running");

    // The page refreshes itself while a job runs: the upstream's clock moves on, the job ends.
    heldAt = undefined;
    await row.locator(".badge", { hasText: "Completed" }).waitFor({ timeout: 60_000 });
    assert.equal(await progress.getAttribute("aria-valuenow"), "100");
    assert.match(await row.innerText(), /100%/);
    await row.getByRole("link", { name: "Result 1" }).waitFor();
    const done = await stack.openai().videos.retrieve(created.id);
    assert.equal(done.status, "completed");
    await shot("flow-jobs-done");
  });
});

/**
 * Issue 15, item 11, in Chromium: the usage log page lists generation
 * requests (not polls, lists or the server log) with time, key, account,
 * model, kind, outcome, credits, latency and request id; it filters by key,
 * model, outcome and dates, and exports what it shows as CSV and JSON.
 * Screenshots: `test-artifacts/console/issue15-usage-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { UsageRow } from "../../src/dashboard/usage_routes.ts";
import { CSV_COLUMNS } from "../../src/dashboard/usage_routes.ts";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { LOOKS, showIn } from "../helpers/console_looks.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

/** Local `YYYY-MM-DD` of a time, as a date input holds it. */
function day(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Waits for the page's next usage answer after `act`; returns its rows. */
async function usageAfter(page: Page, act: () => Promise<unknown>): Promise<UsageRow[]> {
  const answer = page.waitForResponse((response) =>
    new URL(response.url()).pathname === "/api/admin/usage"
  );
  await act();
  return ((await (await answer).json()) as { data: UsageRow[] }).data;
}

/** Saves the download a click starts and returns its text. */
async function downloaded(page: Page, name: string): Promise<{ file: string; text: string }> {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name }).click(),
  ]);
  return {
    file: download.suggestedFilename(),
    text: await Deno.readTextFile(await download.path()),
  };
}

Deno.test("console usage log: generation requests with their outcome and cost, filtered and exported", async () => {
  await withFlow({ env: { JIMENG_SESSIONS: GOOD_SESSION } }, async ({ stack, page, shot }) => {
    const admin = await loginAdmin(stack);
    const webui = await admin.json<{ id: number; key: string }>("POST", "/keys", {
      name: "Open WebUI",
      models: ["jimeng-image-4.0"],
    }, 201);
    const script = await admin.json<{ id: number; key: string }>("POST", "/keys", {
      name: "Nightly script",
    }, 201);
    const made = await stack.openai(webui.key).images.generate({
      model: "jimeng-image-4.0",
      prompt: "a red kite",
      n: 2,
    }).withResponse();
    const requestId = made.response.headers.get("x-request-id")!;
    await assert.rejects(
      stack.openai(webui.key).images.generate({ model: "jimeng-image-4.5", prompt: "a kite" }),
      (error: { status?: number }) => error.status === 403,
    );
    await stack.openai(script.key).images.generate({ model: "jimeng-image-4.5", prompt: "a cat" });
    await stack.openai().images.generate({ model: "jimeng-image-4.1", prompt: "a dog" });
    // Lists are not generations: not in the usage log.
    await stack.openai(webui.key).models.list();
    await stack.server.deps.credits.idle();

    await page.goto(`${stack.url}/overview`);
    await page.getByRole("navigation").getByRole("link", { name: "Usage" }).click();
    await page.getByRole("heading", { name: "Usage log", level: 1 }).waitFor();
    const rows = page.locator(".usage-table tbody tr");
    await rows.nth(3).waitFor();
    assert.equal(await rows.count(), 4);
    const cells = (row: number, label: string) =>
      rows.nth(row).locator(`td[data-label="${label}"]`).innerText();
    // Newest first: the sessionid caller's, the script's, the refused one, then the first.
    assert.deepEqual(
      await rows.locator('td[data-label="API key"]').allInnerTexts(),
      ["sessionid", "Nightly script", "Open WebUI", "Open WebUI"],
    );
    assert.equal(await cells(3, "Model"), "jimeng-image-4.0");
    assert.equal(await cells(3, "Kind"), "image × 2");
    assert.equal(await cells(3, "Outcome"), "OK");
    assert.equal(await cells(3, "Account"), "0f1e…e1f0");
    assert.equal(await cells(3, "Request ID"), requestId);
    assert.match(await cells(3, "Credits"), /^\d+$/);
    assert.match(await cells(3, "Latency"), /^[\d.]+ (ms|s)$/);
    assert.match(await cells(3, "Time"), /^\d\d:\d\d:\d\d$/);
    assert.match(await cells(2, "Outcome"), /^model_not_allowed\nAPI key sk-.+ may not use/);
    for (const look of LOOKS) {
      await showIn(page, look, `${stack.url}/usage`);
      await rows.nth(3).waitFor();
      await shot(`issue15-usage-${look.name}`);
    }
    await showIn(page, LOOKS[0], `${stack.url}/usage`);
    await rows.nth(3).waitFor();

    // Filters: key, then outcome, then model; each answered by the server.
    const byKey = await usageAfter(
      page,
      () => page.getByLabel("API key").selectOption(String(webui.id)),
    );
    assert.deepEqual(byKey.map((r) => r.keyName), ["Open WebUI", "Open WebUI"]);
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const refused = await usageAfter(
      page,
      () => page.getByLabel("Outcome").selectOption("model_not_allowed"),
    );
    assert.deepEqual(refused.map((r) => [r.outcome, r.code]), [["error", "model_not_allowed"]]);
    await page.waitForFunction(() =>
      document.querySelectorAll(".usage-table tbody tr").length === 1
    );
    await shot("issue15-usage-filtered");

    // The export is what the filters select.
    const csv = await downloaded(page, "CSV");
    assert.match(csv.file, /^jimeng-usage-\d{12}\.csv$/);
    const lines = csv.text.trimEnd().split("\r\n");
    assert.equal(lines[0], CSV_COLUMNS.join(","));
    assert.equal(lines.length, 2);
    assert.match(lines[1], /model_not_allowed/);

    await usageAfter(page, () => page.getByRole("button", { name: "Reset filters" }).click());
    const byModel = await usageAfter(
      page,
      () => page.getByLabel("Model").selectOption("jimeng-image-4.5"),
    );
    assert.deepEqual(byModel.map((r) => r.keyName), ["Nightly script", "Open WebUI"]);
    const json = await downloaded(page, "JSON");
    assert.match(json.file, /^jimeng-usage-\d{12}\.json$/);
    assert.deepEqual(
      (JSON.parse(json.text) as UsageRow[]).map((r) => [r.keyName, r.model, r.outcome]),
      [["Nightly script", "jimeng-image-4.5", "ok"], ["Open WebUI", "jimeng-image-4.5", "error"]],
    );

    // Dates: today holds them all; from tomorrow, nothing.
    await usageAfter(page, () => page.getByRole("button", { name: "Reset filters" }).click());
    const today = await usageAfter(page, () => page.getByLabel("From date").fill(day(Date.now())));
    assert.equal(today.length, 4);
    const later = await usageAfter(
      page,
      () => page.getByLabel("From date").fill(day(Date.now() + 86_400_000)),
    );
    assert.deepEqual(later, []);
    await page.getByText("Nothing matches these filters.").waitFor();
  });
});

// The page's globals, typed just enough for the checks run inside it.
declare const document: { querySelectorAll(selector: string): { length: number } };

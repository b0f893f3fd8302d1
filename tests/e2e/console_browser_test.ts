/**
 * The browser transport in the console, in real Chromium: the settings card
 * (mode, Chromium, calls, learned routes and their reset) and the overview's
 * line, with the transport itself running real Chromium too.
 * @module
 */
import assert from "node:assert/strict";
import { RUNTIME_SETTINGS } from "../../src/config.ts";
import { ARTIFACTS_DIR, CHROMIUM_PATH } from "../helpers/browser.ts";
import { withFlow } from "../helpers/console_flow.ts";

const QUIET = { DAILY_CLAIM: "false", ACCOUNT_CHECK_INTERVAL_MIN: "0" };

Deno.test("the settings page shows and changes the browser transport; the overview sums it up", async () => {
  await withFlow(
    { env: { ...QUIET, CHROMIUM_PATH }, fake: { videoLatencyMs: 100 } },
    async ({ stack, page, shot }) => {
      // One Seedance 2.0 video: refused directly, sent from the page, its route learned.
      stack.server.deps.client.poller.learn("dreamina_seedance_40_pro", 100);
      const client = stack.openai();
      const created = await client.videos.create({
        model: "jimeng-video-seedance-2.0",
        prompt: "a console test",
        seconds: "4",
      });
      let video = created;
      while (video.status !== "completed" && video.status !== "failed") {
        await new Promise((resolve) => setTimeout(resolve, 25));
        video = await client.videos.retrieve(created.id);
      }
      assert.equal(video.status, "completed");

      await page.goto(`${stack.url}/settings`);
      const card = page.locator("section.browser-card");
      await card.getByRole("heading", { name: "Browser transport" }).waitFor();
      await card.getByText("Running").waitFor();
      await card.getByText("1 ok · 0 failed").waitFor();
      const row = card.locator("tbody tr");
      assert.equal(await row.count(), 1);
      assert.match(
        await row.innerText(),
        /jimeng\s+\/mweb\/v1\/aigc_draft\/generate\s+dreamina_seedance_40_pro/,
      );
      const auto = card.getByRole("button", { name: "Auto", exact: true });
      assert.equal(await auto.getAttribute("aria-pressed"), "true");
      await shot("browser-settings");

      await card.getByRole("button", { name: "Always", exact: true }).click();
      await page.getByText("Browser transport: Always").waitFor();
      assert.equal(stack.server.settings.get(RUNTIME_SETTINGS.browserTransport), "always");
      await card.locator('button[aria-pressed="true"]', { hasText: "Always" }).waitFor();
      const configRow = page.locator(".config-table tbody tr").filter({
        has: page.locator("td:first-child", { hasText: /^JIMENG_BROWSER_TRANSPORT$/ }),
      });
      assert.match(await configRow.innerText(), /always/);

      await card.getByRole("button", {
        name: "Reset the route of /mweb/v1/aigc_draft/generate",
      }).click();
      await page.getByText("Routes reset: they go direct again").waitFor();
      await card.getByText("None learned").waitFor();
      assert.deepEqual(stack.server.page.routes(), []);
      await shot("browser-settings-changed");

      await page.goto(`${stack.url}/`);
      const summary = page.locator("section.browser-summary");
      await summary.getByRole("heading", { name: "Browser transport" }).waitFor();
      await summary.getByText("Always").waitFor();
      await summary.getByText("Running").waitFor();
      await summary.getByText("1 ok · 0 failed").waitFor();
      await shot("browser-overview");

      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${stack.url}/settings`);
      await card.getByRole("heading", { name: "Browser transport" }).waitFor();
      await shot("browser-settings-phone");
      // The card itself, at phone size, to look at.
      await card.screenshot({ path: new URL("browser-card-phone.png", ARTIFACTS_DIR).pathname });
    },
  );
});

Deno.test("the settings card says when the environment sets the mode and why Chromium is missing", async () => {
  await withFlow(
    {
      env: { ...QUIET, CHROMIUM_PATH: "/nonexistent/chromium", JIMENG_BROWSER_TRANSPORT: "off" },
      browser: { locale: "zh-CN" },
    },
    async ({ stack, page, shot }) => {
      await page.goto(`${stack.url}/settings`);
      const card = page.locator("section.browser-card");
      await card.getByRole("heading", { name: "浏览器通道" }).waitFor();
      await card.getByText("由服务器环境变量 JIMENG_BROWSER_TRANSPORT 设置").waitFor();
      assert.equal(
        await card.getByRole("group").count(),
        0,
        "no mode switch when the environment wins",
      );
      await card.getByText(/CHROMIUM_PATH "\/nonexistent\/chromium" is not an executable file/)
        .waitFor();
      await card.getByText("未运行").waitFor();
      await shot("browser-settings-env-zh");
      await card.screenshot({ path: new URL("browser-card-env-zh.png", ARTIFACTS_DIR).pathname });
    },
  );
});

/**
 * Issue 15, items 15 and 16, in Chromium: every runtime setting is edited
 * from the console (an environment value shown as such and locked, secrets
 * write-only); the theme switch (system, light, dark) is remembered and
 * applied before the console's code runs; configuration descriptions are in
 * Chinese; long URLs break between their parts; on a phone the settings are
 * cards showing every column. Screenshots: `test-artifacts/console/issue15-settings-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import { RUNTIME_SETTINGS } from "../../src/config.ts";
import { findModel } from "../../src/jimeng/models.ts";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { ALL_LOOKS, PHONE, showIn } from "../helpers/console_looks.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

// The page's globals, typed just enough for the checks run inside it.
declare const document: {
  documentElement: { dataset: Record<string, string | undefined> };
  body: unknown;
  querySelectorAll(selector: string): ArrayLike<{ getClientRects(): { length: number } }>;
};
declare const localStorage: { getItem(key: string): string | null };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

type SettingJson = { env: string; value: string | null; source: string };

const SECRET = `whsec_${btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => i * 7)))}`;

Deno.test("console settings: runtime settings are edited here, the environment's are locked, secrets are write-only", async () => {
  await withFlow({
    env: { JIMENG_SESSIONS: GOOD_SESSION, WEBHOOK_LOW_CREDITS: "5" },
  }, async ({ stack, browser, page, shot }) => {
    const admin = await loginAdmin(stack);
    const config = async (env: string) =>
      (await admin.json<{ settings: SettingJson[] }>("GET", "/config")).settings
        .find((s) => s.env === env)!;
    await page.goto(`${stack.url}/settings`);
    const rowOf = (env: string) => page.locator(`.config-table tr[data-env="${env}"]`);
    await rowOf("MODEL_MAP").waitFor();

    // Every runtime setting has an edit button; the others do not.
    const editable = await page.locator(".config-table tr").filter({
      has: page.getByRole("button", { name: /^Edit / }),
    }).evaluateAll((rows) => rows.map((row) => (row as unknown as HTMLElementLike).dataset.env));
    assert.deepEqual(
      editable.sort(),
      Object.values(RUNTIME_SETTINGS).map((setting) => setting.env).sort(),
    );
    // Set in the environment: shown as such, not editable here.
    const low = rowOf("WEBHOOK_LOW_CREDITS");
    assert.match(await low.locator(".value-cell").innerText(), /^5\nEnvironment/);
    assert.equal(
      await low.getByRole("button", { name: "Edit WEBHOOK_LOW_CREDITS" }).isDisabled(),
      true,
    );

    // MODEL_MAP from the console: refused when wrong (the server's message), then working.
    browser.expect("PUT", "/api/admin/settings/MODEL_MAP", 400);
    await rowOf("MODEL_MAP").getByRole("button", { name: "Edit MODEL_MAP" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit MODEL_MAP" });
    await dialog.getByLabel("MODEL_MAP").fill("painter");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByRole("alert").getByText(/expected name=model/).waitFor();
    await dialog.getByLabel("MODEL_MAP").fill("painter=jimeng-image-4.0");
    await shot("issue15-settings-edit");
    await dialog.getByRole("button", { name: "Save" }).click();
    await page.getByText("MODEL_MAP saved").waitFor();
    await rowOf("MODEL_MAP").locator(".badge", { hasText: "Console" }).waitFor();
    const stored = await config("MODEL_MAP");
    assert.deepEqual([stored.value, stored.source], ["painter=jimeng-image-4.0", "console"]);
    await stack.openai().images.generate({ model: "painter", prompt: "a windmill" });
    assert.equal(stack.fake.records()[0].model, findModel("jimeng-image-4.0")!.reqKey);

    // Back to the default: the name is unknown again.
    await rowOf("MODEL_MAP").getByRole("button", { name: "Edit MODEL_MAP" }).click();
    await dialog.getByRole("button", { name: "Use the default" }).click();
    await dialog.waitFor({ state: "detached" });
    await rowOf("MODEL_MAP").locator(".badge").waitFor({ state: "detached" });
    assert.equal((await config("MODEL_MAP")).source, "default");
    await assert.rejects(
      stack.openai().images.generate({ model: "painter", prompt: "a windmill" }),
      (error: { status?: number }) => error.status === 404,
    );

    // A secret is written, never read back: not in the page, not in the dialog.
    await rowOf("WEBHOOK_SECRET").getByRole("button", { name: "Edit WEBHOOK_SECRET" }).click();
    const secretDialog = page.getByRole("dialog", { name: "Edit WEBHOOK_SECRET" });
    const input = secretDialog.getByLabel("WEBHOOK_SECRET");
    assert.equal(await input.getAttribute("type"), "password");
    await input.fill(SECRET);
    await secretDialog.getByRole("button", { name: "Save" }).click();
    await page.getByText("WEBHOOK_SECRET saved").waitFor();
    assert.equal(stack.server.settings.get(RUNTIME_SETTINGS.webhookSecret), SECRET);
    assert.match(await rowOf("WEBHOOK_SECRET").locator(".value-cell").innerText(), /^\(set\)/);
    await rowOf("WEBHOOK_SECRET").getByRole("button", { name: "Edit WEBHOOK_SECRET" }).click();
    assert.equal(await input.inputValue(), "");
    await secretDialog.getByText("A value is set and stays hidden").waitFor();
    assert.ok(!(await page.content()).includes(SECRET.slice(6)), "the secret is not in the page");
    await shot("issue15-settings-secret");
    await secretDialog.getByRole("button", { name: "Use the default" }).click();
    await rowOf("WEBHOOK_SECRET").locator(".badge").waitFor({ state: "detached" });
    assert.equal(stack.server.settings.get(RUNTIME_SETTINGS.webhookSecret), null);

    for (const look of ALL_LOOKS) {
      await showIn(page, look, `${stack.url}/settings`);
      await rowOf("MODEL_MAP").waitFor();
      await shot(`issue15-settings-${look.name}`);
    }
  });
});

/** An element's `dataset`, as the page has it. */
type HTMLElementLike = { dataset: Record<string, string> };

Deno.test("console settings: descriptions in Chinese, URLs that break between their parts, cards on a phone", async () => {
  await withFlow({ env: { JIMENG_SESSIONS: GOOD_SESSION } }, async ({ stack, page, shot }) => {
    const zh = ALL_LOOKS.find((look) => look.name === "phone-zh-dark")!;
    await showIn(page, zh, `${stack.url}/settings`);
    const row = (env: string) => page.locator(`.config-table tr[data-env="${env}"]`);
    await row("PORT").waitFor();
    const description = (env: string) => row(env).locator('td[data-label="说明"]').innerText();
    assert.equal(await description("PORT"), "HTTP 端口");
    assert.match(
      await description("MODEL_MAP"),
      /^把客户端的模型名映射到本服务器的模型，name=model 对/,
    );
    // On a phone each setting is a card: the header row is hidden, every cell labelled.
    assert.equal(await page.locator(".config-table thead").isVisible(), false);
    for (const label of ["变量", "值", "说明"]) {
      assert.ok(await row("JIMENG_PAGE_URL").locator(`td[data-label="${label}"]`).isVisible());
    }
    // A long URL wraps only between its parts (after "/", before "." or "-"), never inside one.
    const url = row("JIMENG_PAGE_URL").locator(".value-cell code").first();
    assert.match(await url.innerText(), /^http:\/\/127\.0\.0\.1:\d+\/ai-tool\/video\/generate$/);
    assert.ok(await url.locator("wbr").count() >= 4);
    const wrapped = await page.evaluate(() =>
      Array.from(document.querySelectorAll('tr[data-env="JIMENG_PAGE_URL"] .run')).map((run) =>
        run.getClientRects().length
      )
    );
    assert.ok(wrapped.length > 4 && wrapped.every((lines) => lines === 1), String(wrapped));
    assert.equal((await page.viewportSize())?.width, PHONE.width);
    await row("JIMENG_PAGE_URL").scrollIntoViewIfNeeded();
    await shot("issue15-settings-phone-urls");
  });
});

Deno.test("console theme switch: system, light, dark, remembered and applied before the console runs", async () => {
  await withFlow({}, async ({ stack, browser, page, shot }) => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const LIGHT_BG = "rgb(245, 246, 250)";
    const DARK_BG = "rgb(13, 16, 23)";
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${stack.url}/overview`);
    const button = page.getByRole("button", { name: /^Theme: / });
    await button.waitFor();
    // System: the browser's dark.
    assert.equal(await button.getAttribute("aria-label"), "Theme: System");
    assert.equal(await background(), DARK_BG);
    await button.click();
    assert.equal(await button.getAttribute("aria-label"), "Theme: Light");
    assert.equal(await background(), LIGHT_BG, "light wins over the system's dark");
    await shot("issue15-theme-light-over-dark");
    await button.click();
    assert.equal(await button.getAttribute("aria-label"), "Theme: Dark");
    await page.emulateMedia({ colorScheme: "light" });
    assert.equal(await background(), DARK_BG, "dark wins over the system's light");
    assert.equal(await page.evaluate(() => localStorage.getItem("jimeng-console.theme")), "dark");
    await shot("issue15-theme-dark-over-light");

    // A new tab with the console's code held back: the stored theme is already applied, by
    // the boot script alone, before anything of the console runs.
    const fresh = await browser.context.newPage();
    try {
      await fresh.route("**/static/app.js", (route) => route.abort());
      await fresh.goto(`${stack.url}/overview`, { waitUntil: "domcontentloaded" });
      assert.equal(await fresh.evaluate(() => document.documentElement.dataset.theme), "dark");
      assert.equal(
        await fresh.evaluate(() => getComputedStyle(document.body).backgroundColor),
        DARK_BG,
      );
    } finally {
      await fresh.close();
    }

    // Back to system: nothing stored, the browser decides again.
    await button.click();
    assert.equal(await button.getAttribute("aria-label"), "Theme: System");
    assert.equal(await page.evaluate(() => localStorage.getItem("jimeng-console.theme")), null);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
    assert.equal(await background(), LIGHT_BG);
  });
});

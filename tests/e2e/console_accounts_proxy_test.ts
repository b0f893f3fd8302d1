/**
 * The console's account dialogs in Chromium: cookies pasted from the browser
 * become a working account behind its proxy; the edit dialog changes the
 * proxy, refuses a bad one, sets `direct`, removes it; a refusing proxy shows
 * as "Proxy error". Screenshots go to `test-artifacts/console/flow-accounts-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { AccountJson } from "../../src/dashboard/accounts_routes.ts";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { startHttpProxy } from "../helpers/proxies.ts";

// The page's globals, typed just enough for the checks run inside it.
declare const document: { body: { innerText: string } };

const SID = "4d5e6f708192a3b4c5d6e7f8091a2b3c";
const WEB_ID = "7463728190564738291";
const UID = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
const PASSWORD = "console-proxy-pw";
const COOKIE_HEADER =
  `Cookie: _tea_web_id=${WEB_ID}; is_staff_user=false; uid_tt=${UID}; sid_tt=${SID}; sessionid=${SID}; sessionid_ss=${SID}`;

async function assertNotOnPage(page: Page, secrets: string[], when: string): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText);
  const markup = await page.content();
  for (const secret of secrets) {
    assert.ok(!text.includes(secret) && !markup.includes(secret), `${when}: a secret is shown`);
  }
}

Deno.test("console accounts: pasted cookies with a proxy add a working account; the edit dialog changes the proxy", async () => {
  const proxy = startHttpProxy({ auth: { username: "console", password: PASSWORD } });
  try {
    await withFlow({ env: { DAILY_CLAIM: "false" } }, async ({ stack, page, browser, shot }) => {
      stack.fake.addSession(SID, { credits: 80 });
      await page.goto(`${stack.url}/accounts`);
      await page.getByText("No accounts yet").waitFor();
      await page.getByRole("button", { name: "Add accounts" }).first().click();
      const dialog = page.getByRole("dialog", { name: "Add accounts" });
      await dialog.getByLabel("Session IDs").fill(COOKIE_HEADER);
      await dialog.getByLabel("Proxy (optional)").fill(proxy.url);
      await shot("flow-accounts-import-cookies");
      await dialog.getByRole("button", { name: "Import cookies" }).click();
      await page.getByText("1 added, 0 already known").waitFor();
      await dialog.waitFor({ state: "detached" });

      // The background check went through the proxy; the row says how the account connects.
      const row = page.locator("tbody tr").filter({ hasText: "4d5e…2b3c" });
      await row.getByText("Healthy").waitFor();
      const meta = row.locator(".account-meta");
      assert.equal(
        await meta.innerText(),
        `via http://co…:****@127.0.0.1:${proxy.port} · 6 cookies`,
      );
      assert.ok(proxy.requests.length > 0, "the check went through the proxy");
      await assertNotOnPage(page, [SID, UID, PASSWORD], "after the import");
      await shot("flow-accounts-proxy");

      // The account works from the API, with the browser's webId, through its proxy.
      const relayed = proxy.requests.length;
      const result = await stack.openai(SID).images.generate({ prompt: "a kite over hills" });
      assert.ok(result.data![0].url);
      assert.ok(proxy.requests.length > relayed);
      assert.deepEqual(stack.fake.session(SID).webIds, [WEB_ID]);

      // Edit: a bad proxy is refused in the field; "direct" is saved; then removed.
      const admin = await loginAdmin(stack);
      const [stored] = (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data;
      browser.expect("PATCH", `/api/admin/accounts/${stored.id}`, 400);
      await row.getByRole("button", { name: "Edit 4d5e…2b3c" }).click();
      const edit = page.getByRole("dialog", { name: "Edit 4d5e…2b3c" });
      assert.equal(
        await edit.getByTestId("current-proxy").innerText(),
        `http://co…:****@127.0.0.1:${proxy.port}`,
      );
      await edit.getByLabel("Proxy", { exact: true }).fill("ftp://files.example:21");
      await edit.getByRole("button", { name: "Save" }).click();
      await edit.getByRole("alert").getByText(/not supported/).waitFor();
      await shot("flow-accounts-edit-refused");
      await edit.getByLabel("Proxy", { exact: true }).fill("direct");
      await edit.getByRole("button", { name: "Save" }).click();
      await page.getByText("Proxy saved").waitFor();
      await edit.waitFor({ state: "detached" });
      assert.equal(await meta.innerText(), "direct · 6 cookies");
      await row.getByRole("button", { name: "Edit 4d5e…2b3c" }).click();
      await edit.getByRole("button", { name: "Remove proxy" }).click();
      await page.getByText("Proxy removed").waitFor();
      assert.equal(await meta.innerText(), "6 cookies");

      // A proxy that refuses the credentials shows as a proxy error at the next check.
      const wrong = proxy.url.replace(PASSWORD, "not-the-password");
      await row.getByRole("button", { name: "Edit 4d5e…2b3c" }).click();
      await edit.getByLabel("Proxy", { exact: true }).fill(wrong);
      await edit.getByRole("button", { name: "Save" }).click();
      await edit.waitFor({ state: "detached" });
      await row.getByRole("button", { name: "Check" }).click();
      await row.getByText("Proxy error").waitFor();
      // The row names the proxy once (its column); under the badge, what went wrong.
      assert.equal(
        await row.locator(".check-error").innerText(),
        "it refused the credentials (HTTP 407)",
      );
      const [failed] = (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data;
      assert.match(failed.lastCheckError!, /^The account's proxy http:\/\/co…:\*\*\*\*@127/);
      await assertNotOnPage(page, [SID, UID, PASSWORD, "not-the-password"], "at the end");
      await shot("flow-accounts-proxy-error");
    });
  } finally {
    await proxy.close();
  }
});

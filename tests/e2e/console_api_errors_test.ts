/**
 * The console tells its own session's 401 from an API error: the playground
 * with no stored account shows the server's 503 `no_account_available`, and
 * with an expired account Jimeng's 401, without signing the admin out.
 * Screenshots: `test-artifacts/console/flow-playground-no-account.png`,
 * `flow-playground-expired-account.png`.
 * @module
 */
import assert from "node:assert/strict";
import { withFlow } from "../helpers/console_flow.ts";

const OLD = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";

Deno.test("console playground with no stored account shows no_account_available and stays signed in", async () => {
  await withFlow({}, async ({ stack, browser, page, shot }) => {
    browser.expect("POST", "/v1/images/generations", 503);
    await page.goto(`${stack.url}/playground`);
    await page.getByLabel("Prompt").fill("a lighthouse in the fog");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByRole("alert").filter({ hasText: "No Jimeng account is available" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/playground");
    assert.equal(await page.getByRole("button", { name: "Sign in" }).count(), 0);
    await shot("flow-playground-no-account");
    // Still signed in: another page of the console loads its data.
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
  });
});

Deno.test("console playground shows an expired account's 401 from Jimeng without signing out", async () => {
  await withFlow(
    { env: { JIMENG_SESSIONS: OLD, ACCOUNT_CHECK_INTERVAL_MIN: "0", DAILY_CLAIM: "false" } },
    async ({ stack, browser, page, shot }) => {
      stack.fake.addSession(OLD, { expired: true });
      browser.expect("POST", "/v1/images/generations", 401);
      await page.goto(`${stack.url}/playground`);
      await page.getByLabel("Prompt").fill("a lighthouse in the fog");
      await page.getByRole("button", { name: "Generate" }).click();
      await page.getByRole("alert").filter({ hasText: "expired" }).waitFor();
      assert.equal(new URL(page.url()).pathname, "/playground");
      assert.equal(await page.getByRole("button", { name: "Sign in" }).count(), 0);
      await shot("flow-playground-expired-account");
    },
  );
});

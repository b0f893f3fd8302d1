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

// The page's globals, typed just enough for the checks run inside it.
declare const document: { body: { innerText: string } };
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
      "",
    ].join("\n");
    await dialog.getByLabel("Session IDs").fill(pasted);
    await dialog.getByRole("button", { name: "Add 4" }).click();
    // Three went in; the line that is no sessionid is named (masked) with the reason.
    await page.getByText("3 added, 0 already known").waitFor();
    const refusal = dialog.getByRole("alert");
    assert.equal(await refusal.innerText(), "1 line was refused:");
    assert.deepEqual(await dialog.locator(".refused-list li").allInnerTexts(), [
      "http…com/\nis not a sessionid (letters, digits, - and _ only)",
    ]);
    await assertNotOnPage(page, [RICH, BROKE, EXPIRED], "after adding");
    await shot("flow-accounts-add-refused");
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });

    // The background check of the new accounts shows up without a reload.
    const rich = accountRow(page, masked(RICH));
    const broke = accountRow(page, masked(BROKE));
    const expired = accountRow(page, `us-${masked(EXPIRED)}`);
    await cell(expired, "Health").getByText("Session expired").waitFor();
    await cell(rich, "Health").getByText("Healthy").waitFor();
    await cell(broke, "Health").getByText("Healthy").waitFor();
    assert.equal(await page.locator("tbody tr").count(), 3);
    assert.equal(await cell(rich, "Region").innerText(), "CN");
    assert.equal(await cell(expired, "Region").innerText(), "US");
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

type KeyJson = {
  id: number;
  name: string;
  prefix: string;
  quotaPerDay: number | null;
  ratePerMinute: number | null;
  usedToday: number;
  requestsToday: number;
  revokedAt: number | null;
};

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
      await shown.getByRole("button", { name: "Copy" }).click();
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

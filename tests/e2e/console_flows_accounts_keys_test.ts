/**
 * Issue 15, items 7 and 12, in Chromium: an account's health is what its last
 * check found and its region names its site; accounts get a name and a note;
 * a new key comes with the base URL to paste and takes an expiry, a model
 * allow-list and a credit cap; keys show errors today and credits used, and a
 * revoked key can be deleted. Screenshots: `test-artifacts/console/issue15-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import type { AccountJson } from "../../src/dashboard/accounts_routes.ts";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { LOOKS, showIn } from "../helpers/console_looks.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

// The page's globals, typed just enough for the checks run inside it.
declare const navigator: { clipboard: { readText(): Promise<string> } };

const DREAMINA = "4d5e6f708192a3b4c5d6e7f8091a2b3c";

/** A cell of a stacked table row, by its column label. */
function cell(row: Locator, label: string): Locator {
  return row.locator(`td[data-label="${label}"]`);
}

/** The table row showing `text`. */
function rowOf(page: Page, text: string): Locator {
  return page.locator("tbody tr").filter({ hasText: text });
}

Deno.test("console accounts: health is what the last check found, the region names the site, name and note are kept", async () => {
  await withFlow({
    env: { JIMENG_SESSIONS: GOOD_SESSION, DAILY_CLAIM: "false" },
  }, async ({ stack, page, shot }) => {
    stack.fake.addSession(DREAMINA, { region: "us", credits: 40 });
    const admin = await loginAdmin(stack);
    await admin.json("POST", "/accounts", { sessionids: `us-${DREAMINA}` }, 201);
    await stack.server.scheduler.idle();
    const accounts = async () =>
      (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data;
    const [jimeng, dreamina] = await accounts();
    assert.deepEqual([jimeng.health, dreamina.health], ["ok", "ok"]);

    // The Dreamina site stops answering its credit call: the check says so, and so does health.
    stack.fake.knobs.faults = { rate: 1, kinds: ["5xx"], pathPattern: /user_credit/ };
    const failed = await admin.json<AccountJson>("POST", `/accounts/${dreamina.id}/check`);
    stack.fake.knobs.faults = { rate: 0, kinds: [] };
    assert.equal(failed.health, "check_failed");
    assert.match(failed.lastCheckError!, /^Dreamina answered HTTP 50\d on \/commerce\//);

    await page.goto(`${stack.url}/accounts`);
    const cnRow = rowOf(page, jimeng.label);
    const usRow = rowOf(page, dreamina.label);
    await cell(usRow, "Health").getByText("Check failed").waitFor();
    assert.equal(await cell(cnRow, "Health").innerText(), "Healthy");
    assert.match(
      await usRow.locator(".check-error").innerText(),
      /^Dreamina answered HTTP 50\d on \/commerce\/v1\/benefits\/user_credit$/,
    );
    // Never "Healthy" beside what a check could not do.
    for (const row of await page.locator("tbody tr").all()) {
      if (await row.locator(".check-error").count()) {
        assert.notEqual(await cell(row, "Health").locator(".badge").innerText(), "Healthy");
      }
    }
    assert.match(await cell(cnRow, "Region").innerText(), /^Jimeng\s+CN$/);
    assert.match(await cell(usRow, "Region").innerText(), /^Dreamina\s+US$/);
    assert.doesNotMatch(await usRow.innerText(), /Jimeng/);
    for (const look of LOOKS) {
      await showIn(page, look, `${stack.url}/accounts`);
      await page.locator(".check-error").waitFor();
      await shot(`issue15-accounts-check-failed-${look.name}`);
    }
    await showIn(page, LOOKS[0], `${stack.url}/accounts`);

    // A check that reads the account again makes it healthy, the message gone.
    await usRow.getByRole("button", { name: "Check" }).click();
    await cell(usRow, "Health").getByText("Healthy").waitFor();
    assert.equal(await usRow.locator(".check-error").count(), 0);
    assert.equal((await accounts())[1].lastCheckError, null);

    // A name and a note, from the edit dialog: shown above the masked label.
    await cnRow.getByRole("button", { name: `Edit ${jimeng.label}` }).click();
    const edit = page.getByRole("dialog", { name: `Edit ${jimeng.label}` });
    await edit.getByLabel("Name").fill("Studio main");
    await edit.getByLabel("Note").fill("Paid plan, renews on the 3rd; shared with the design team");
    await shot("issue15-accounts-edit");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByText("Account saved").waitFor();
    const named = rowOf(page, "Studio main");
    assert.equal(await named.locator(".account-name").innerText(), "Studio main");
    assert.equal(await named.locator("code").first().innerText(), jimeng.label);
    assert.equal(
      await named.locator(".account-note").innerText(),
      "Paid plan, renews on the 3rd; shared with the design team",
    );
    const stored = (await accounts())[0];
    assert.deepEqual([stored.name, stored.note, stored.proxy], [
      "Studio main",
      "Paid plan, renews on the 3rd; shared with the design team",
      null,
    ]);
    for (const look of LOOKS) {
      await showIn(page, look, `${stack.url}/accounts`);
      await page.locator(".account-note").waitFor();
      await shot(`issue15-accounts-named-${look.name}`);
    }

    // Clearing the note keeps the name.
    await showIn(page, LOOKS[0], `${stack.url}/accounts`);
    await rowOf(page, "Studio main").getByRole("button", { name: `Edit ${jimeng.label}` }).click();
    await edit.getByLabel("Note").fill("");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await page.locator(".account-note").waitFor({ state: "detached" });
    assert.equal(await page.locator(".account-note").count(), 0);
    assert.deepEqual([(await accounts())[0].name, (await accounts())[0].note], [
      "Studio main",
      null,
    ]);
  });
});

/** `Date` as a `datetime-local` value in the browser's (and this process's) time zone. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${
    pad(date.getHours())
  }:${pad(date.getMinutes())}`;
}

Deno.test("console keys: the new key comes with its base URL; expiry, allowed models and a credit cap; errors and credits used; delete once revoked", async () => {
  await withFlow({ env: { JIMENG_SESSIONS: GOOD_SESSION } }, async ({
    stack,
    browser,
    page,
    shot,
  }) => {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: stack.url,
    });
    const admin = await loginAdmin(stack);
    const keys = async () => (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
    await page.goto(`${stack.url}/keys`);
    await page.getByRole("button", { name: "Create key" }).first().click();
    const form = page.getByRole("dialog", { name: "Create an API key" });
    await form.getByLabel("Name").fill("Cherry Studio");
    await form.getByLabel("Credit cap").fill("50");
    const expires = new Date(Date.now() + 30 * 86_400_000);
    expires.setSeconds(0, 0);
    await form.getByLabel("Expires").fill(localInput(expires));
    // The allow-list offers the models of the list, each once.
    await form.getByRole("checkbox", { name: "Any model" }).uncheck();
    const boxes = form.getByRole("group", { name: "Models" }).getByRole("checkbox");
    const offered = await boxes.evaluateAll((inputs) =>
      inputs.map((input) => (input as unknown as { value: string }).value)
    );
    assert.ok(offered.includes("jimeng-image-4.0") && offered.includes("jimeng-video-3.0"));
    assert.equal(new Set(offered).size, offered.length, "each model once");
    assert.ok(!offered.includes("jimeng-4.0"), "aliases are not offered as models");
    // None ticked is refused here, before the server.
    await form.getByRole("button", { name: "Create key" }).click();
    await form.getByText("Tick at least one model, or allow any model").waitFor();
    await form.getByRole("checkbox", { name: /\(jimeng-image-4\.0\)$/ }).check();
    await shot("issue15-keys-create");
    await form.getByRole("button", { name: "Create key" }).click();

    // The secret and the base URL to paste, each with its copy button.
    const shown = page.getByRole("dialog", { name: "Your new API key" });
    const secret = await shown.getByTestId("key-secret").innerText();
    assert.equal(await shown.getByTestId("key-base-url").innerText(), `${stack.url}/v1`);
    await shown.getByRole("button", { name: "Copy base URL" }).click();
    await shown.getByRole("button", { name: "Copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${stack.url}/v1`);
    await shot("issue15-keys-secret");
    await shown.getByRole("button", { name: "Done" }).click();

    const [created] = await keys();
    assert.deepEqual(
      [created.name, created.creditCap, created.models, created.expiresAt],
      ["Cherry Studio", 50, ["jimeng-image-4.0"], expires.getTime()],
    );

    // The key works where it may, is refused where it may not, and the page counts both.
    const client = stack.openai(secret);
    await client.images.generate({ model: "jimeng-image-4.0", prompt: "a lantern festival" });
    await assert.rejects(
      client.images.generate({ model: "jimeng-image-4.5", prompt: "a lantern festival" }),
      (error: { status?: number; code?: string }) =>
        error.status === 403 && error.code === "model_not_allowed",
    );
    await stack.server.deps.credits.idle();
    const [used] = await keys();
    assert.equal(used.errorsToday, 1);
    assert.ok(used.creditsUsed > 0);
    await page.getByRole("button", { name: "Refresh" }).click();
    const row = rowOf(page, "Cherry Studio");
    await cell(row, "Errors today").getByText("1", { exact: true }).waitFor();
    assert.equal(await cell(row, "Requests today").innerText(), "2");
    assert.equal(await cell(row, "Credits used").innerText(), `${used.creditsUsed} / 50 credits`);
    assert.equal(
      Number(
        await cell(row, "Credits used").getByRole("progressbar").getAttribute("aria-valuenow"),
      ),
      Math.round(used.creditsUsed / 50 * 100),
    );
    assert.match(
      await row.locator(".key-limits").innerText(),
      /^expires in 30 days · jimeng-image-4\.0$/,
    );
    for (const look of LOOKS) {
      await showIn(page, look, `${stack.url}/keys`);
      await rowOf(page, "Cherry Studio").waitFor();
      await shot(`issue15-keys-${look.name}`);
    }
    await showIn(page, LOOKS[0], `${stack.url}/keys`);

    // Editing shows the options as stored; a raised cap is saved, the expiry stays as it was.
    await row.getByRole("button", { name: "Edit" }).click();
    const editForm = page.getByRole("dialog", { name: "Edit API key" });
    assert.equal(await editForm.getByLabel("Credit cap").inputValue(), "50");
    assert.equal(await editForm.getByLabel("Expires").inputValue(), localInput(expires));
    assert.equal(await editForm.getByRole("checkbox", { name: "Any model" }).isChecked(), false);
    assert.equal(
      await editForm.getByRole("checkbox", { name: /\(jimeng-image-4\.0\)$/ }).isChecked(),
      true,
    );
    await editForm.getByLabel("Credit cap").fill("80");
    await editForm.getByRole("checkbox", { name: "Any model" }).check();
    await editForm.getByRole("button", { name: "Save" }).click();
    await page.getByText("Key saved").waitFor();
    const [edited] = await keys();
    assert.deepEqual([edited.creditCap, edited.models, edited.expiresAt], [
      80,
      null,
      expires.getTime(),
    ]);

    // Revoked, then deleted for good.
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("dialog", { name: "Revoke this key?" }).getByRole("button", {
      name: "Revoke",
    }).click();
    await cell(row, "Status").getByText("Revoked").waitFor();
    await row.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this key?" });
    assert.match(await confirm.innerText(), /"Cherry Studio" is removed from the list/);
    await shot("issue15-keys-delete");
    await confirm.getByRole("button", { name: "Delete" }).click();
    await page.getByText("Key deleted").waitFor();
    await page.getByText("No API keys yet").waitFor();
    assert.deepEqual(await keys(), []);
  });
});

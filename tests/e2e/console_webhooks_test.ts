/**
 * The console's webhooks in Chromium against the real server: set the URL
 * and a generated secret on the settings page, send a test event that a
 * loopback receiver verifies with the `openai` SDK, watch a failing delivery
 * wait for its retry and retry it now, and give an API key its own URL.
 * Screenshots go to `test-artifacts/console/webhooks-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import type { Page } from "playwright-core";
import { RUNTIME_SETTINGS } from "../../src/config.ts";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import { listStoredSettings } from "../../src/store/settings.ts";
import { listDeliveries } from "../../src/store/webhooks.ts";
import { loginAdmin } from "../helpers/admin.ts";
import { withFlow } from "../helpers/console_flow.ts";
import { startReceiver } from "../helpers/webhook_receiver.ts";

declare const document: { body: { innerText: string } };

/** Closes the toasts so the screenshot shows the table under them. */
async function dismissToasts(page: Page): Promise<void> {
  const buttons = page.locator(".toasts").getByRole("button", { name: "Dismiss" });
  // A toast may leave by itself meanwhile: then there is nothing to click.
  while (await buttons.count() > 0) await buttons.first().click({ timeout: 1000 }).catch(() => {});
}

async function until<T>(what: string, fn: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("console webhooks: URL and generated secret, test event verified, a failure retried now, a key's URL", async () => {
  const receiver = startReceiver();
  try {
    await withFlow({}, async ({ stack, page, shot }) => {
      await page.goto(`${stack.url}/settings`);
      const card = page.locator("section", {
        has: page.getByRole("heading", { name: "Webhooks" }),
      });
      await card.getByText("No deliveries yet").waitFor();
      await card.getByText("Not set: webhooks go out unsigned").waitFor();
      await shot("webhooks-empty");

      await card.getByLabel("Webhook URLs").fill(receiver.url);
      await card.getByRole("button", { name: "Generate" }).click();
      const secret = await card.getByLabel("Signing secret").inputValue();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      await card.getByLabel("Low-credit alert below").fill("25");
      await card.getByRole("button", { name: "Save", exact: true }).click();
      await page.getByText("Webhook settings saved").waitFor();
      await card.getByText("A secret is set").waitFor();
      assert.equal(await card.getByLabel("Signing secret").inputValue(), "");
      assert.equal(await card.getByLabel("Webhook URLs").inputValue(), receiver.url);
      await page.locator("tr", { hasText: "WEBHOOK_URL" }).getByText(receiver.url).waitFor();
      assert.deepEqual(stack.server.settings.get(RUNTIME_SETTINGS.webhookUrls), [receiver.url]);
      assert.equal(stack.server.settings.get(RUNTIME_SETTINGS.webhookSecret), secret);
      assert.equal(stack.server.settings.get(RUNTIME_SETTINGS.webhookLowCredits), 25);
      const stored = listStoredSettings(stack.server.db).find((row) =>
        row.name === "WEBHOOK_SECRET"
      )!;
      assert.equal(stored.sealed, true);
      assert.ok(!stored.value.includes(secret.slice(6)), "the secret is stored sealed");
      const text = await page.evaluate(() => document.body.innerText);
      assert.ok(!text.includes(secret.slice(6)), "the secret is not shown after saving");
      assert.ok(!(await page.content()).includes(secret.slice(6)));

      await card.getByRole("button", { name: "Send test event" }).click();
      await page.getByText("Test event queued for 1 URL(s)").waitFor();
      const [received] = await receiver.waitFor(1);
      const verifier = new OpenAI({ apiKey: "unused", webhookSecret: secret });
      const event = await verifier.webhooks.unwrap(received.body, received.headers) as unknown as {
        type: string;
      };
      assert.equal(event.type, "jimeng.webhook.test");
      await until(
        "the delivery to be recorded",
        () => listDeliveries(stack.server.db, 1)[0]?.status === "delivered" ? true : undefined,
      );
      await card.getByRole("button", { name: "Refresh" }).click();
      const row = card.locator("tbody tr").first();
      await row.getByText("Delivered").waitFor();
      await row.getByText("HTTP 200").waitFor();
      await dismissToasts(page);
      await shot("webhooks-delivered");

      receiver.answer(() => new Response("nope", { status: 500 }));
      await card.getByRole("button", { name: "Send test event" }).click();
      const [, failed] = await receiver.waitFor(2);
      await until(
        "the failed attempt to be recorded",
        () => listDeliveries(stack.server.db, 1)[0]?.attempts === 1 ? true : undefined,
      );
      await card.getByRole("button", { name: "Refresh" }).click();
      const failing = card.locator("tbody tr").first();
      await failing.getByText("Pending").waitFor();
      await failing.getByText("Answered HTTP 500").waitFor();
      await failing.getByText(/next try in \d+ s/).waitFor();
      await dismissToasts(page);
      await shot("webhooks-pending");

      receiver.answer(() => new Response("ok"));
      await failing.getByRole("button", { name: "Retry now" }).click();
      const [, , retried] = await receiver.waitFor(3);
      assert.equal(retried.headers["webhook-id"], failed.headers["webhook-id"]);
      assert.notEqual(failed.headers["webhook-id"], received.headers["webhook-id"]);
      await failing.getByText("Delivered").waitFor();

      await page.goto(`${stack.url}/keys`);
      await page.getByRole("button", { name: "Create key" }).first().click();
      const form = page.getByRole("dialog", { name: "Create an API key" });
      await form.getByLabel("Name").fill("workflow");
      await form.getByLabel("Webhook URL").fill(`${receiver.url}/key`);
      await shot("webhooks-key-dialog");
      await form.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("dialog", { name: "Your new API key" }).getByRole("button", {
        name: "Done",
      }).click();
      const admin = await loginAdmin(stack);
      const keys = (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
      assert.equal(keys[0].webhookUrl, `${receiver.url}/key`);
    });
  } finally {
    await receiver.close();
  }
});

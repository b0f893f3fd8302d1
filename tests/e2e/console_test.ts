/**
 * The console in a real browser (Debian's Chromium through playwright-core)
 * against the real server and the fake upstream.
 *
 * These cover what a visitor sees before signing in (setup, login, language,
 * dark mode, phone width); `console_flows_test.ts` drives the signed-in pages.
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  type BrowserOptions,
  type BrowserSession,
  openBrowser,
  screenshot,
} from "../helpers/browser.ts";
import { ADMIN_ENV } from "../helpers/admin.ts";
import { type Stack, startStack } from "../helpers/stack.ts";

// The page's globals, typed just enough for the checks run inside it.
interface Box {
  left: number;
  right: number;
  width: number;
}
declare const document: {
  body: object;
  documentElement: { scrollWidth: number };
  querySelector(selector: string): { getBoundingClientRect(): Box } | null;
};
declare function getComputedStyle(element: object): { backgroundColor: string; color: string };

/** Runs `body` with a server and a browser, closing both whatever happens. */
async function withConsole(
  options: BrowserOptions & { setupNeeded: boolean },
  body: (context: { stack: Stack; browser: BrowserSession; page: Page }) => Promise<void>,
): Promise<void> {
  // A fresh server needs setup; one with ADMIN_USER/ADMIN_PASSWORD goes to the login page.
  const stack = await startStack({ env: options.setupNeeded ? {} : ADMIN_ENV });
  try {
    const browser = await openBrowser(options);
    try {
      browser.expect("GET", "/api/admin/session", 401);
      await body({ stack, browser, page: browser.page });
    } finally {
      await browser.close();
    }
  } finally {
    await stack.close();
  }
}

/** Relative luminance of a CSS `rgb()` colour, 0 (black) to 1 (white). */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => Number(v) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

Deno.test("console /setup renders the setup form with no console errors or failed requests", async () => {
  await withConsole({ setupNeeded: true }, async ({ stack, browser, page }) => {
    const vendor: { url: string; status: number; cache: string; type: string }[] = [];
    page.on("response", (response) => {
      if (!new URL(response.url()).pathname.startsWith("/vendor/")) return;
      const headers = response.headers();
      vendor.push({
        url: response.url(),
        status: response.status(),
        cache: headers["cache-control"],
        type: headers["content-type"],
      });
    });
    const response = await page.goto(`${stack.url}/setup?token=one-time-token`);
    assert.equal(response?.status(), 200);
    assert.match(response!.headers()["content-security-policy"], /script-src 'self' 'sha256-/);
    await page.getByRole("heading", { name: "Create the administrator" }).waitFor();
    assert.ok(await page.getByText("The setup token was taken from the link").isVisible());
    assert.equal(await page.getByLabel("Username").inputValue(), "admin");
    assert.ok(await page.getByLabel("Password", { exact: true }).isVisible());
    assert.ok(await page.getByLabel("Confirm password").isVisible());
    await page.waitForLoadState("networkidle");
    assert.deepEqual(browser.problems, []);
    assert.equal(vendor.length, 3, JSON.stringify(vendor));
    for (const file of vendor) {
      assert.equal(file.status, 200);
      assert.equal(file.cache, "public, max-age=31536000, immutable");
      assert.equal(file.type, "text/javascript; charset=utf-8");
      assert.match(new URL(file.url).pathname, /^\/vendor\/[0-9a-f]{12}\/[\w-]+\.mjs$/);
    }
    await screenshot(page, "setup-en");
  });
});

Deno.test("console /setup checks the password before it sends anything", async () => {
  await withConsole({ setupNeeded: true }, async ({ stack, browser, page }) => {
    const posts: string[] = [];
    page.on("request", (request) => {
      if (request.method() !== "GET") posts.push(request.url());
    });
    await page.goto(`${stack.url}/setup?token=one-time-token`);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Confirm password").fill("shorter");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await page.getByText("The password needs at least 8 characters").waitFor();
    assert.ok(await page.getByText("The passwords do not match").isVisible());
    await page.getByLabel("Password", { exact: true }).fill("long enough");
    await page.getByLabel("Confirm password").fill("long enough");
    assert.equal(await page.getByText("The password needs at least 8 characters").count(), 0);
    assert.equal(await page.getByText("The passwords do not match").count(), 0);
    assert.deepEqual(posts, []);
    assert.deepEqual(browser.problems, []);
  });
});

Deno.test("console /setup without a token in the link asks for it", async () => {
  await withConsole({ setupNeeded: true }, async ({ stack, page }) => {
    await page.goto(`${stack.url}/overview`);
    await page.waitForURL(`${stack.url}/setup`);
    const token = page.getByLabel("Setup token");
    await token.waitFor();
    assert.equal(await token.inputValue(), "");
    await page.getByLabel("Password", { exact: true }).fill("long enough");
    await page.getByLabel("Confirm password").fill("long enough");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await page.getByText("Paste the setup token from the server's log").waitFor();
  });
});

Deno.test("console follows a Chinese browser and remembers the language switch", async () => {
  await withConsole({ setupNeeded: false, locale: "zh-CN" }, async ({ stack, browser, page }) => {
    await page.goto(`${stack.url}/accounts`);
    await page.waitForURL(`${stack.url}/login`);
    await page.getByRole("heading", { name: "登录" }).waitFor();
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    assert.ok(await page.getByLabel("用户名").isVisible());
    assert.ok(await page.getByRole("button", { name: "登录" }).isVisible());
    await screenshot(page, "login-zh");
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(await page.getAttribute("html", "lang"), "en-US");
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshot(page, "login-en");
    assert.deepEqual(browser.problems, []);
  });
});

Deno.test("console renders dark when the system prefers a dark scheme", async () => {
  await withConsole(
    { setupNeeded: false, colorScheme: "dark" },
    async ({ stack, browser, page }) => {
      await page.goto(`${stack.url}/login`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      const colors = await page.evaluate(() => {
        const card = document.querySelector(".auth-card")!;
        return {
          body: getComputedStyle(document.body).backgroundColor,
          card: getComputedStyle(card).backgroundColor,
          text: getComputedStyle(document.body).color,
        };
      });
      assert.ok(luminance(colors.body) < 0.1, `dark background, got ${colors.body}`);
      assert.ok(luminance(colors.card) < 0.15, `dark card, got ${colors.card}`);
      assert.ok(luminance(colors.text) > 0.8, `light text, got ${colors.text}`);
      await screenshot(page, "login-dark");
      assert.deepEqual(browser.problems, []);
    },
  );
});

Deno.test("console fits a phone's width without sideways scrolling", async () => {
  await withConsole(
    { setupNeeded: true, viewport: { width: 375, height: 740 } },
    async ({ stack, browser, page }) => {
      await page.goto(`${stack.url}/setup?token=one-time-token`);
      await page.getByRole("heading", { name: "Create the administrator" }).waitFor();
      const layout = await page.evaluate(() => {
        const card = document.querySelector(".auth-card")!.getBoundingClientRect();
        const button = document.querySelector("button[type=submit]")!.getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          card: { left: card.left, right: card.right },
          button: button.width,
        };
      });
      assert.ok(layout.scrollWidth <= 375, `page is ${layout.scrollWidth}px wide`);
      assert.ok(layout.card.left >= 0 && layout.card.right <= 375, JSON.stringify(layout));
      assert.ok(layout.button > 250, `full-width button, got ${layout.button}px`);
      await screenshot(page, "setup-phone");
      assert.deepEqual(browser.problems, []);
    },
  );
});

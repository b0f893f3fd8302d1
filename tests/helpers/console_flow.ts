/**
 * One signed-in console scenario: a real server with the fake upstream, a
 * fresh Chromium, and at the end the check that the page had no unexpected
 * problem (console errors, failed requests, HTTP errors not declared with
 * `browser.expect`). Everything is closed whatever happens.
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { type BrowserOptions, type BrowserSession, openBrowser, screenshot } from "./browser.ts";
import { ADMIN, ADMIN_ENV, loginAdmin } from "./admin.ts";
import { type Stack, type StackOptions, startStack } from "./stack.ts";

// The page's globals, typed just enough for the checks run inside it.
declare const document: {
  images: ArrayLike<{ complete: boolean; naturalWidth: number; src: string }>;
  documentElement: { scrollWidth: number; clientWidth: number };
};

/** What a scenario gets. */
export interface Flow {
  stack: Stack;
  browser: BrowserSession;
  page: Page;
  /**
   * Waits for the page's images, checks it does not scroll sideways, and
   * saves a full-page screenshot as `test-artifacts/console/<name>.png`.
   */
  shot(name: string): Promise<void>;
}

/** Options of {@linkcode withFlow}. */
export interface FlowOptions extends StackOptions {
  /** Start with no administrator (the setup page). @default false */
  setup?: boolean;
  /** Put a session cookie of {@linkcode ADMIN} in the browser first. @default true */
  signedIn?: boolean;
  browser?: BrowserOptions;
}

/** Runs `body` with a stack and a browser, then asserts `browser.problems` is empty. */
export async function withFlow(
  options: FlowOptions,
  body: (flow: Flow) => Promise<void>,
): Promise<void> {
  const { setup = false, signedIn = !setup, browser: browserOptions, ...stackOptions } = options;
  const stack = await startStack({
    ...stackOptions,
    env: { ...(setup ? {} : ADMIN_ENV), ...stackOptions.env },
  });
  try {
    const browser = await openBrowser(browserOptions);
    try {
      if (signedIn) {
        const admin = await loginAdmin(stack);
        const [name, value] = admin.cookie.split("=");
        await browser.context.addCookies([{
          name,
          value,
          url: stack.url,
          httpOnly: true,
          sameSite: "Strict",
        }]);
      }
      const page = browser.page;
      const shot = async (name: string) => {
        await page.waitForFunction(() =>
          Array.from(document.images).every((image) => image.complete && image.naturalWidth > 0)
        );
        const width = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
        }));
        assert.ok(
          width.scroll <= width.client,
          `${name} scrolls sideways: ${JSON.stringify(width)}`,
        );
        await screenshot(page, name);
      };
      try {
        await body({ stack, browser, page, shot });
      } catch (error) {
        // What the page showed when it went wrong, to look at.
        await screenshot(page, "flow-failure").catch(() => {});
        throw error;
      }
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  } finally {
    await stack.close();
  }
}

/** Signs in through the login form and waits for the overview. */
export async function signIn(
  page: Page,
  credentials: { username: string; password: string } = ADMIN,
): Promise<void> {
  await page.getByLabel("Username").fill(credentials.username);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
}

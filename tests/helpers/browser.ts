/**
 * Drives Debian's Chromium headless through `playwright-core` for the
 * console's browser tests: a fresh profile per launch, everything closed and
 * removed afterwards, and a record of what went wrong on the page (console
 * errors, uncaught exceptions, failed or erroring requests).
 * @module
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { chromiumArgs } from "../../src/jimeng/chromium.ts";

/** The browser: `CHROMIUM_PATH`, else where Debian's `chromium` package puts it. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium";

/** Git-ignored folder for screenshots. */
export const ARTIFACTS_DIR = new URL("../../test-artifacts/console/", import.meta.url);

/** Options of {@linkcode openBrowser}. */
export interface BrowserOptions {
  /** `navigator.language` and `Accept-Language`. @default "en-US" */
  locale?: string;
  /** `prefers-color-scheme`. @default "light" */
  colorScheme?: "light" | "dark";
  /** @default { width: 1360, height: 900 } */
  viewport?: { width: number; height: number };
}

/** A running browser with one page. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, failed requests and HTTP errors, in order. */
  problems: string[];
  /** Requests whose HTTP errors are expected (e.g. `GET /api/admin/session 401`). */
  expect(method: string, path: string, status: number): void;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh `--user-data-dir`. */
export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const profile = await Deno.makeTempDir({ prefix: "jimeng-chromium-" });
  let context: BrowserContext;
  try {
    // launchPersistentContext is how Playwright takes a user-data-dir of our own.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      // The server's own flags for a closed machine (no sandbox, no GPU, nothing that calls home).
      args: chromiumArgs([]),
      locale: options.locale ?? "en-US",
      colorScheme: options.colorScheme ?? "light",
      viewport: options.viewport ?? { width: 1360, height: 900 },
      deviceScaleFactor: 1,
      timeout: 30_000,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw error;
  }
  const page = context.pages()[0] ?? await context.newPage();
  const problems: string[] = [];
  const expected = new Set<string>();
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Chromium also logs each HTTP error as "Failed to load resource"; expected ones are not problems.
    const status = /^Failed to load resource: .* status of (\d+)/.exec(message.text())?.[1];
    const url = message.location().url;
    if (
      status && url &&
      [...expected].some((key) => key.endsWith(` ${new URL(url).pathname} ${status}`))
    ) {
      return;
    }
    problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // A <video> cancels its own range requests once it has what it wants (or gives up on the
    // bytes): that is how media elements load, not a failure of the server.
    if (request.resourceType() === "media" && request.failure()?.errorText === "net::ERR_ABORTED") {
      return;
    }
    problems.push(
      `request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`,
    );
  });
  page.on("response", (response) => {
    if (response.status() < 400) return;
    const url = new URL(response.url());
    const key = `${response.request().method()} ${url.pathname} ${response.status()}`;
    if (!expected.has(key)) problems.push(`HTTP error: ${key}`);
  });
  return {
    context,
    page,
    problems,
    expect(method, path, status) {
      expected.add(`${method} ${path} ${status}`);
    },
    async close() {
      try {
        await context.close();
      } finally {
        await Deno.remove(profile, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** Saves a full-page screenshot as `test-artifacts/console/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = new URL(`${name}.png`, ARTIFACTS_DIR).pathname;
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
  return path;
}

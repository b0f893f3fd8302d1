/**
 * The looks a console page is checked in: desktop or phone size, English or
 * Chinese, light or dark. One browser goes through them by resizing, setting
 * the colour scheme and choosing the language with the console's own switch.
 * @module
 */
import type { Page } from "playwright-core";

/** One look. */
export interface Look {
  name: string;
  viewport: { width: number; height: number };
  language: "en" | "zh";
  scheme: "light" | "dark";
}

export const DESKTOP = { width: 1360, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Desktop in English and light, phone in Chinese and dark: each size, language and scheme once. */
export const LOOKS: readonly Look[] = [
  { name: "desktop-en-light", viewport: DESKTOP, language: "en", scheme: "light" },
  { name: "phone-zh-dark", viewport: PHONE, language: "zh", scheme: "dark" },
];

/** All four corners, for the pages that are about looks. */
export const ALL_LOOKS: readonly Look[] = [
  ...LOOKS,
  { name: "desktop-zh-dark", viewport: DESKTOP, language: "zh", scheme: "dark" },
  { name: "phone-en-light", viewport: PHONE, language: "en", scheme: "light" },
];

/**
 * Puts the page in a look: opens `url` (inside the console as its own links
 * do, so no request in flight is cut), sizes the viewport, sets the colour
 * scheme and switches the language with the top bar's language button, as a
 * user does.
 */
export async function showIn(page: Page, look: Look, url: string): Promise<void> {
  await page.setViewportSize(look.viewport);
  await page.emulateMedia({ colorScheme: look.scheme });
  const target = new URL(url);
  const here = page.url() ? new URL(page.url()) : null;
  if (here?.origin !== target.origin) await page.goto(url);
  else if (here.pathname + here.search !== target.pathname + target.search) {
    await page.evaluate((path) => {
      history.pushState(null, "", path);
      dispatchEvent(new PopStateEvent("popstate"));
    }, target.pathname + target.search);
  }
  // `lang` is "zh-CN", or "en" / "en-US".
  const lang = await page.locator("html").getAttribute("lang");
  if (!lang?.startsWith(look.language)) {
    await page.locator(".topbar-tools .chip-button").click();
    await page.locator(`html[lang^="${look.language}"]`).waitFor({ state: "attached" });
  }
}

// The page's globals, typed just enough for the code run inside it.
declare const history: { pushState(state: null, title: string, url: string): void };
declare function dispatchEvent(event: unknown): void;
declare class PopStateEvent {
  constructor(type: string);
}

/**
 * The looks a console page is checked in: desktop or phone size, English or
 * Chinese, light or dark. One browser goes through them by resizing, setting
 * the colour scheme and choosing the language as a user does (kept in
 * localStorage), then reloading.
 * @module
 */
import type { Page } from "playwright-core";

// The page's globals, typed just enough for the code run inside it.
declare const localStorage: { setItem(key: string, value: string): void };

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

/** Puts the page in a look and loads `url` (the console's language is read at load). */
export async function showIn(page: Page, look: Look, url: string): Promise<void> {
  await page.setViewportSize(look.viewport);
  await page.emulateMedia({ colorScheme: look.scheme });
  // The language is stored by the page's origin: set it there, then load the page in it.
  if (!page.url().startsWith(new URL(url).origin)) await page.goto(url);
  await page.evaluate(
    (language) => localStorage.setItem("jimeng-console.lang", language),
    look.language,
  );
  await page.goto(url);
}

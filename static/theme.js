/**
 * The colour theme: `system` follows the browser's `prefers-color-scheme`,
 * `light` and `dark` override it. The choice is kept in localStorage and set
 * as `data-theme` on `<html>`; `theme_boot.js` applies it again before the
 * first paint of the next visit.
 * @module
 */

/** @typedef {"system" | "light" | "dark"} Theme */

const STORAGE_KEY = "jimeng-console.theme";

/** The themes in the order the switch offers them. @type {Theme[]} */
export const THEMES = ["system", "light", "dark"];

/** The chosen theme. @returns {Theme} */
export function getTheme() {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "light" || saved === "dark") return saved;
  } catch {
    // Storage can be disabled: the system's theme applies.
  }
  return "system";
}

/**
 * Applies and remembers a theme.
 * @param {Theme} theme
 */
export function setTheme(theme) {
  const root = globalThis.document?.documentElement;
  if (theme === "light" || theme === "dark") {
    if (root) root.dataset.theme = theme;
  } else if (root) delete root.dataset.theme;
  try {
    if (theme === "light" || theme === "dark") globalThis.localStorage?.setItem(STORAGE_KEY, theme);
    else globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Applied, not remembered.
  }
}

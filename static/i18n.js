/**
 * Text of the console in English and Chinese. `t(key)` looks the key up in
 * the current language, falls back to English, then to the key itself.
 * The language follows the browser until the user picks one, which is kept
 * in localStorage.
 * @module
 */
import { EN } from "./lang/en.js";
import { ZH, ZH_SETTINGS } from "./lang/zh.js";

/** @typedef {"en" | "zh"} Language */

/** @type {Record<Language, Record<string, string>>} */
const DICTIONARIES = { en: EN, zh: ZH };

/** Languages offered by the switch, each named in itself. */
export const LANGUAGES = [
  { code: "en", label: "English", short: "EN" },
  { code: "zh", label: "中文", short: "中" },
];

const STORAGE_KEY = "jimeng-console.lang";

/** @returns {Language} */
function detectLanguage() {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "zh") return saved;
  } catch {
    // Storage can be disabled; the browser's language still applies.
  }
  const preferred = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? "en"];
  for (const tag of preferred) {
    const code = String(tag).toLowerCase();
    if (code.startsWith("zh")) return "zh";
    if (code.startsWith("en")) return "en";
  }
  return "en";
}

let current = detectLanguage();

/** The current language. @returns {Language} */
export function getLanguage() {
  return current;
}

/** A BCP 47 tag for `Intl` formatting in the current language. */
export function getLocale() {
  return current === "zh" ? "zh-CN" : "en-US";
}

/**
 * Switches the language and remembers the choice.
 * @param {Language} code
 */
export function setLanguage(code) {
  current = code === "zh" ? "zh" : "en";
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, current);
  } catch {
    // Not remembered, still switched.
  }
  if (globalThis.document) document.documentElement.lang = getLocale();
}

/**
 * The text for `key`, with `{name}` placeholders filled from `params`.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t(key, params) {
  const text = DICTIONARIES[current][key] ?? EN[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (all, name) => name in params ? String(params[name]) : all);
}

/**
 * A configuration setting's description in the current language: the
 * server's English text, or its translation.
 * @param {string} env the setting's environment variable
 * @param {string} description the server's description
 */
export function settingDescription(env, description) {
  if (current === "zh") {
    return /** @type {Record<string, string>} */ (ZH_SETTINGS)[env] ?? description;
  }
  return description;
}

import assert from "node:assert/strict";
import { EN } from "../../static/lang/en.js";
import { ZH, ZH_SETTINGS } from "../../static/lang/zh.js";
import { describeSettings, loadConfig } from "../../src/config.ts";

const STATIC_DIR = new URL("../../static/", import.meta.url);

async function sources(dir: URL): Promise<string[]> {
  const texts: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
    if (entry.isDirectory && entry.name !== "lang") texts.push(...await sources(url));
    else if (entry.name.endsWith(".js")) texts.push(await Deno.readTextFile(url));
  }
  return texts;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

Deno.test("the zh and en dictionaries have the same keys and placeholders", () => {
  assert.deepEqual(Object.keys(ZH).sort(), Object.keys(EN).sort());
  for (const [key, text] of Object.entries(EN)) {
    assert.deepEqual(placeholders((ZH as Record<string, string>)[key]), placeholders(text), key);
    assert.ok(text.trim().length > 0, key);
  }
});

Deno.test("every t() key in the console exists in the English dictionary", async () => {
  const used = new Set<string>();
  for (const text of await sources(STATIC_DIR)) {
    for (const match of text.matchAll(/\bt\(\s*"([\w.]+)"/g)) used.add(match[1]);
    for (const match of text.matchAll(/key: "(nav\.\w+)"/g)) used.add(match[1]);
  }
  assert.ok(used.size > 100, `found only ${used.size} keys`);
  const missing = [...used].filter((key) => !(key in EN));
  assert.deepEqual(missing, []);
  // Keys built from data: account health and job status.
  for (
    const health of [
      "ok",
      "expired",
      "proxy_error",
      "check_failed",
      "cooling",
      "disabled",
      "unknown",
    ]
  ) {
    assert.ok(`health.${health}` in EN, health);
  }
  for (const status of ["queued", "in_progress", "completed", "failed"]) {
    assert.ok(`jobs.state.${status}` in EN, status);
  }
  // Usage outcomes, themes, and the defaults that are words.
  for (const outcome of ["ok", "error", "client_closed"]) {
    assert.ok(`usage.outcome.${outcome}` in EN, outcome);
  }
  for (const theme of ["system", "light", "dark"]) assert.ok(`theme.${theme}` in EN, theme);
  for (const word of ["unset", "empty", "none"]) {
    assert.ok(`settings.placeholder.${word}` in EN, word);
  }
});

/** The `backticked` names of a description, sorted. */
const codeNames = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();

Deno.test("ZH_SETTINGS translates every configuration description, keeping its code names", () => {
  const settings = describeSettings(loadConfig({}));
  const translations = ZH_SETTINGS as Record<string, string>;
  const missing = settings.filter((s) => !translations[s.env]?.trim()).map((s) => s.env);
  assert.deepEqual(missing, [], "settings without a Chinese description");
  const known = new Set(settings.map((s) => s.env));
  assert.deepEqual(Object.keys(translations).filter((env) => !known.has(env)), [], "stale keys");
  for (const setting of settings) {
    const zh = translations[setting.env];
    assert.deepEqual(codeNames(zh), codeNames(setting.description), setting.env);
    assert.match(zh, /[\u4e00-\u9fff]/, `${setting.env} is not Chinese`);
  }
});

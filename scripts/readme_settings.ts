/**
 * Writes the README's configuration table from `src/config.ts`, the one
 * source of every setting's name, default and meaning:
 * `deno task readme` (then `deno fmt README.md` aligns it).
 * @module
 */
import { listSettings } from "../src/config.ts";

const START = "<!-- settings:start -->";
const END = "<!-- settings:end -->";

/** The markdown table of every setting. */
export function settingsTable(): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const rows = listSettings().map((s) => {
    const meaning = s.runtime ? `${s.description}. Changeable in the console` : s.description;
    const fallback = /^\(.*\)$/.test(s.default) ? s.default : `\`${s.default}\``;
    return `| \`${s.env}\` | ${cell(fallback)} | ${cell(meaning)} |`;
  });
  return ["| Variable | Default | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** `readme` with its table replaced. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error("README.md has no settings markers");
  return `${readme.slice(0, start + START.length)}\n\n${settingsTable()}\n\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  await Deno.writeTextFile(path, withSettingsTable(await Deno.readTextFile(path)));
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", path.pathname] })
    .output();
  if (!fmt.success) throw new Error(new TextDecoder().decode(fmt.stderr));
}

import assert from "node:assert/strict";
import { listSettings } from "../../src/config.ts";

const README = new URL("../../README.md", import.meta.url);

Deno.test("README documents every setting with its default, and nothing else", async () => {
  const text = await Deno.readTextFile(README);
  const start = text.indexOf("<!-- settings:start -->");
  const end = text.indexOf("<!-- settings:end -->");
  assert.ok(start > 0 && end > start, "the README has a settings table");
  const rows = text.slice(start, end).split("\n").filter((line) => /^\| `[A-Z_]+` +\|/.test(line));
  const documented = new Map(rows.map((row) => {
    const cells = row.split(/(?<!\\)\|/).map((cell) => cell.trim());
    return [cells[1].replaceAll("`", ""), {
      fallback: cells[2].replaceAll("`", ""),
      meaning: cells[3],
    }];
  }));
  for (const setting of listSettings()) {
    const row = documented.get(setting.env);
    assert.equal(row?.fallback, setting.default, `README row for ${setting.env}`);
    // `deno task readme` writes the table from src/config.ts.
    assert.ok(
      row.meaning.replaceAll("\\|", "|").startsWith(setting.description),
      `README meaning of ${setting.env} is config.ts's; run deno task readme`,
    );
  }
  assert.deepEqual([...documented.keys()].sort(), listSettings().map((s) => s.env).sort());
});

Deno.test("README's two commands are the ones deno.json and .ci/run use", async () => {
  const text = await Deno.readTextFile(README);
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.ok(text.includes("deno task start"));
  assert.ok(text.includes("deno task test"));
  assert.ok(config.tasks.start && config.tasks.test);
  const ci = await Deno.readTextFile(new URL("../../.ci/run", import.meta.url));
  assert.ok(ci.includes("deno task test"));
  const pinned = /DENO_VERSION=(\S+)/.exec(ci)![1];
  assert.ok(text.includes(`deno@${pinned}`), "README pins the Deno version CI installs");
});

import assert from "node:assert/strict";
import { chromiumPlan, DEFAULT_CHROMIUM } from "../../scripts/ensure_chromium.ts";
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

Deno.test("chromiumPlan() uses CHROMIUM_PATH or Debian's Chromium, installs as root, else says what to do", () => {
  const has = (...paths: string[]) => (path: string) => paths.includes(path);
  const facts = { chromiumPath: undefined, exists: has(), isRoot: false, hasAptGet: true };
  assert.deepEqual(chromiumPlan({ ...facts, exists: has(DEFAULT_CHROMIUM) }), {
    action: "ready",
    path: DEFAULT_CHROMIUM,
  });
  assert.deepEqual(chromiumPlan({ ...facts, chromiumPath: "/opt/c", exists: has("/opt/c") }), {
    action: "ready",
    path: "/opt/c",
  });
  assert.deepEqual(chromiumPlan({ ...facts, isRoot: true }), { action: "install" });
  const stop = chromiumPlan(facts);
  assert.equal(stop.action, "stop");
  assert.match((stop as { message: string }).message, /apt-get install -y chromium.*CHROMIUM_PATH/);
  assert.equal(chromiumPlan({ ...facts, isRoot: true, hasAptGet: false }).action, "stop");
  assert.match(
    (chromiumPlan({ ...facts, chromiumPath: "/nope" }) as { message: string }).message,
    /CHROMIUM_PATH is \/nope, which does not exist/,
  );
});

Deno.test("the README's test command installs what the browser tests need first", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.match(config.tasks.test, /^deno run [^&]*scripts\/ensure_chromium\.ts && deno test /);
});

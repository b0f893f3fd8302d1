import assert from "node:assert/strict";
import { compileArgs, TARGETS } from "../../scripts/compile.ts";
import { PLAYWRIGHT_MODULE } from "../../src/jimeng/playwright.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("compileArgs() grants the permissions of deno task start and embeds playwright-core", async () => {
  const args = compileArgs({ output: "dist/x" });
  assert.equal(args[0], "compile");
  assert.ok(args.includes("--frozen"));
  assert.ok(args.includes("--exclude-unused-npm"));
  assert.ok(!args.some((a) => /^(-A|--allow-all|--allow-ffi)/.test(a)));
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    tasks: { start: string };
    imports: Record<string, string>;
  };
  const permissions = (list: string[]) => list.filter((a) => a.startsWith("--allow-")).sort();
  assert.deepEqual(permissions(args), permissions(config.tasks.start.split(" ")));
  // Imported through a variable (no start-up cost), so it must be included by name.
  assert.equal(args[args.indexOf("--include") + 1], PLAYWRIGHT_MODULE);
  assert.equal(PLAYWRIGHT_MODULE, config.imports["playwright-core"]);
  assert.deepEqual(args.slice(-3), ["--output", "dist/x", "main.ts"]);
});

Deno.test("compileArgs() passes the target; the workflow builds every target", async () => {
  const args = compileArgs({ target: TARGETS[1], output: "dist/y" });
  assert.equal(args[args.indexOf("--target") + 1], "aarch64-unknown-linux-gnu");
  const workflow = await Deno.readTextFile(
    new URL("../../.github/workflows/release.yml", import.meta.url),
  );
  for (const target of TARGETS) assert.ok(workflow.includes(`- ${target}`), target);
  assert.ok(workflow.includes("deno task compile --target"));
});

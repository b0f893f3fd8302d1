import assert from "node:assert/strict";
import { listSettings } from "../../src/config.ts";
import { compileArgs, RUNTIME_ENV, TARGETS } from "../../scripts/compile.ts";

Deno.test("compileArgs() grants network, files, sys and exactly the settings' variables", () => {
  const args = compileArgs({ output: "dist/x" });
  assert.equal(args[0], "compile");
  assert.ok(args.includes("--frozen"));
  assert.ok(args.includes("--exclude-unused-npm"));
  assert.ok(args.includes("--allow-net"));
  assert.ok(!args.some((a) => /^(-A|--allow-all|--allow-run|--allow-ffi)/.test(a)));
  const env = args.find((a) => a.startsWith("--allow-env="))!.slice("--allow-env=".length);
  assert.deepEqual(
    env.split(",").sort(),
    [...listSettings().map((s) => s.env), ...RUNTIME_ENV].sort(),
  );
  assert.ok(args.includes("--allow-sys"), "the CA certificates need sys access");
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

/**
 * Every module the server imports at start stays in its memory for good, so
 * idle memory (issue 12: at most 70 MiB) depends on what `main.ts` imports
 * statically. The parts loaded on first use must stay out of that graph — and
 * stay in the graph through their dynamic imports, so that `deno compile` and
 * `deno bundle` carry them.
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** Loaded on first use: the console's files and API, MCP, the browser transport, references. */
const LAZY_MODULES = [
  "src/dashboard/static.ts",
  "src/dashboard/admin.ts",
  "src/accounts/cookie_import.ts",
  "src/mcp/routes.ts",
  "src/jimeng/browser_transport.ts",
  "src/api/video_materials.ts",
  "src/media/av_probe.ts",
  "src/jobs/omni_job.ts",
  "src/jimeng/upload.ts",
  "src/jimeng/vod_upload.ts",
  "src/media/image_check.ts",
  "src/net/safe_fetch.ts",
];
const LAZY_PACKAGES = ["@modelcontextprotocol/sdk", "playwright-core"];

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface GraphModule {
  specifier: string;
  dependencies?: Dependency[];
}

/** The local modules and npm packages `main.ts` reaches, with or without dynamic imports. */
async function reach(dynamic: boolean): Promise<{ modules: Set<string>; packages: Set<string> }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: GraphModule[];
  };
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const modules = new Set<string>();
  const packages = new Set<string>();
  const pending = [...graph.roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (modules.has(specifier)) continue;
    modules.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (!target || (dependency.isDynamic && !dynamic)) continue;
      const npm = /^npm:\/?((?:@[^/]+\/)?[^@/]+)/.exec(target);
      if (npm) packages.add(npm[1]);
      else if (target.startsWith("file:")) pending.push(target);
    }
  }
  const local = new Set([...modules].map((s) => s.slice(ROOT.href.length)));
  return { modules: local, packages };
}

Deno.test("main.ts imports at start none of what the server loads on first use", async () => {
  const atStart = await reach(false);
  assert.ok(atStart.modules.has("src/server.ts"));
  for (const path of LAZY_MODULES) assert.ok(!atStart.modules.has(path), path);
  for (const name of LAZY_PACKAGES) assert.ok(!atStart.packages.has(name), name);
});

Deno.test("what the server loads on first use stays in its graph through dynamic imports", async () => {
  const all = await reach(true);
  for (const path of LAZY_MODULES) assert.ok(all.modules.has(path), path);
  // playwright-core is imported through a variable; `deno compile` includes it by name.
  assert.ok(all.packages.has("@modelcontextprotocol/sdk"));
});

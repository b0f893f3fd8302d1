import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import preactSource from "preact" with { type: "text" };
import { CONSOLE_PAGES } from "../../src/dashboard/console_pages.ts";
import { buildConsoleAssets, consoleRoutes } from "../../src/dashboard/static.ts";

const STATIC_DIR = new URL("../../static/", import.meta.url);

async function listStatic(dir: URL, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      names.push(...await listStatic(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    } else names.push(`${prefix}${entry.name}`);
  }
  return names;
}

function importMapOf(html: string): { text: string; imports: Record<string, string> } {
  const text = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1];
  return { text, imports: JSON.parse(text).imports };
}

Deno.test("buildConsoleAssets() serves every file under static/ and nothing else", async () => {
  const assets = buildConsoleAssets();
  const onDisk = (await listStatic(STATIC_DIR)).filter((name) => name !== "index.html").sort();
  const served = [...assets.app.keys()].map((path) => path.replace(/^\/static\//, "")).sort();
  assert.deepEqual(served, onDisk);
  for (const name of onDisk) {
    const text = await Deno.readTextFile(new URL(name, STATIC_DIR));
    assert.equal(assets.app.get(`/static/${name}`)!.body, text, name);
  }
});

Deno.test("buildConsoleAssets() versions vendor URLs by content and allows the import map by hash", () => {
  const assets = buildConsoleAssets();
  const { text, imports } = importMapOf(assets.index.body);
  assert.deepEqual(Object.keys(imports).sort(), ["htm", "preact", "preact/hooks"]);
  for (const url of Object.values(imports)) {
    const file = assets.vendor.get(url);
    assert.ok(file, url);
    const hash = createHash("sha256").update(file.body).digest("hex").slice(0, 12);
    assert.equal(url.split("/")[2], hash);
  }
  const preact = assets.vendor.get(imports.preact)!;
  assert.ok(preactSource.includes(preact.body.trim()));
  assert.ok(!preact.body.includes("sourceMappingURL"));
  const digest = createHash("sha256").update(text).digest("base64");
  assert.ok(assets.csp.includes(`script-src 'self' 'sha256-${digest}'`), assets.csp);
  assert.ok(assets.csp.includes("frame-ancestors 'none'"));
  assert.ok(!assets.csp.includes("unsafe-inline"));
});

Deno.test("buildConsoleAssets() refuses an import map naming a file that is not vendored", () => {
  assert.throws(
    () =>
      buildConsoleAssets({
        index: `<script type="importmap">{"imports":{"x":"/vendor/x.mjs"}}</script>`,
        app: {},
        vendor: {},
      }),
    /"\/vendor\/x.mjs", which is not vendored/,
  );
});

Deno.test("consoleRoutes() answers each console page with index.html and its security headers", async () => {
  const app = consoleRoutes();
  for (const path of CONSOLE_PAGES) {
    const response = await app.request(path);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.match(response.headers.get("content-security-policy")!, /^default-src 'none'; /);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    const body = await response.text();
    assert.ok(body.includes('<div id="app">'));
    assert.ok(body.includes('<script type="module" src="/static/app.js"></script>'));
  }
});

Deno.test("consoleRoutes() serves vendor modules as immutable JavaScript", async () => {
  const assets = buildConsoleAssets();
  const app = consoleRoutes(assets);
  for (const [path, file] of assets.vendor) {
    const response = await app.request(path);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(await response.text(), file.body);
  }
});

Deno.test("consoleRoutes() revalidates app files by ETag", async () => {
  const app = consoleRoutes();
  const first = await app.request("/static/app.js");
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(first.headers.get("cache-control"), "no-cache");
  const etag = first.headers.get("etag")!;
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  await first.body?.cancel();
  const again = await app.request("/static/app.js", { headers: { "If-None-Match": etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), "");
  const css = await app.request("/static/style.css", { headers: { "If-None-Match": '"stale"' } });
  assert.equal(css.status, 200);
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  await css.body?.cancel();
});

Deno.test("consoleRoutes() answers unknown or traversing paths with a JSON 404", async () => {
  const app = consoleRoutes();
  for (
    const path of [
      "/static/nope.js",
      "/static/%2e%2e/deno.json",
      "/static/..%2fsrc%2fconfig.ts",
      "/static/",
      "/vendor/preact.mjs",
      "/vendor/000000000000/preact.mjs",
      "/vendor/../static/app.js/..",
    ]
  ) {
    const response = await app.request(path);
    assert.equal(response.status, 404, path);
    // URL parsing resolves dot segments first; what lands outside the console is not its answer.
    if (!/^\/(static|vendor)\//.test(new URL(path, "http://localhost").pathname)) {
      await response.body?.cancel();
      continue;
    }
    assert.equal(response.headers.get("content-type"), "application/json", path);
    const body = await response.json();
    assert.equal(body.error.code, "not_found", path);
    assert.equal(body.error.type, "invalid_request_error");
  }
});

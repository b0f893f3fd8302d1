/**
 * `deno bundle` embeds everything: the bundled server, run from an empty
 * folder with exactly the permissions `deno task compile` grants, serves the
 * console and its vendor files, completes the one-time setup in a real
 * browser and generates an image; what the server imports on first use (the
 * console's files and API, MCP, video materials, the browser transport) comes
 * along through the bundled dynamic imports.
 * @module
 */
import assert from "node:assert/strict";
import OpenAI, { type APIError, toFile } from "openai";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { encodePng } from "../fake_upstream/media.ts";
import { buildPng } from "../helpers/image_files.ts";
import { compileArgs } from "../../scripts/compile.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { openBrowser, screenshot } from "../helpers/browser.ts";
import { processEnv, spawnServer } from "../helpers/server_process.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const US_SESSION = "5b5b6c6c5b5b6c6c5b5b6c6c5b5b6c6c";

Deno.test("the bundle runs from an empty folder with the binary's permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jimeng-bundle-" });
  const fake = await startFakeUpstream();
  fake.addSession(GOOD_SESSION);
  try {
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "--frozen", "-o", `${dir}/jimeng-api.js`, "main.ts"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(bundled.code, 0, new TextDecoder().decode(bundled.stderr));
    const permissions = compileArgs({ output: "x" }).filter((arg) => arg.startsWith("--allow-"));
    const server = await spawnServer({
      entry: "jimeng-api.js",
      cwd: dir,
      permissions,
      env: processEnv(fake.url, `${dir}/data`),
    });
    try {
      const index = await fetch(`${server.url}/`);
      assert.equal(index.status, 200);
      const html = await index.text();
      const imports: Record<string, string> = JSON.parse(
        /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1],
      ).imports;
      assert.ok(Object.values(imports).every((path) => path.startsWith("/vendor/")));
      for (const path of [...Object.values(imports), "/static/app.js", "/static/style.css"]) {
        const response = await fetch(`${server.url}${path}`);
        assert.equal(response.status, 200, path);
        assert.ok((await response.text()).length > 100, path);
      }

      const link = await server.waitForLine(/\/setup\?token=/);
      const setupUrl = /(http:\/\/\S+\/setup\?token=[\w-]+)/.exec(link)![1];
      const browser = await openBrowser();
      try {
        browser.expect("GET", "/api/admin/session", 401);
        await browser.page.goto(setupUrl);
        await browser.page.getByRole("heading", { name: "Create the administrator" }).waitFor();
        await screenshot(browser.page, "bundle-setup");
        await browser.page.getByLabel("Password", { exact: true }).fill("bundle password");
        await browser.page.getByLabel("Confirm password").fill("bundle password");
        await browser.page.getByRole("button", { name: "Create administrator" }).click();
        await browser.page.waitForURL(`${server.url}/overview`);
        await screenshot(browser.page, "bundle-overview");
        assert.deepEqual(browser.problems, []);
      } finally {
        await browser.close();
      }

      const client = new OpenAI({
        apiKey: GOOD_SESSION,
        baseURL: `${server.url}/v1`,
        maxRetries: 0,
      });
      const image = await client.images.generate({ prompt: "from the bundle" });
      assert.ok(image.data?.[0].url?.startsWith(`${server.url}/media/`), image.data?.[0].url);

      // The MCP SDK, imported on the first /mcp request, is in the bundle too.
      const mcp = new Client({ name: "bundle-test", version: "1" });
      await mcp.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${GOOD_SESSION}` } },
        }),
      );
      try {
        const made = await mcp.callTool({
          name: "generate_image",
          arguments: { prompt: "from the bundle, over MCP" },
        }) as { content: { type: string }[]; isError?: boolean };
        assert.equal(made.isError, undefined);
        assert.equal(made.content.filter((c) => c.type === "image").length, 1);
      } finally {
        await mcp.close();
      }
      // A body over 1 MiB is parsed by the JSON worker, whose program the bundle carries.
      const pixels = crypto.getRandomValues(new Uint8Array(60_000));
      const reference = buildPng({
        width: 700,
        height: 700,
        pixels: Uint8Array.from({ length: 700 * 2101 }, (_, i) => pixels[i % pixels.length]),
      });
      const uploads = fake.stats.uploads;
      const edited = await client.images.generate({
        prompt: "like this",
        filePath: `data:image/png;base64,${reference.toBase64()}`,
      } as OpenAI.ImageGenerateParamsNonStreaming);
      assert.ok(edited.data?.[0].url?.startsWith(`${server.url}/media/`), edited.data?.[0].url);
      assert.equal(fake.stats.uploads, uploads + 1);
      // Loaded on first use too: a video's materials (sniffing, container probes)…
      const framed = await client.videos.create({
        model: "jimeng-video-3.0",
        prompt: "from a first frame",
        input_reference: await toFile(
          encodePng({ width: 64, height: 48, color: [200, 40, 40] }),
          "first.png",
          { type: "image/png" },
        ),
      });
      assert.equal(framed.status, "queued");
      // …and the browser transport: without Chromium, a refused Dreamina call says what to do.
      fake.addSession(US_SESSION, { region: "us" });
      const dreamina = new OpenAI({
        apiKey: `us-${US_SESSION}`,
        baseURL: `${server.url}/v1`,
        maxRetries: 0,
      });
      await assert.rejects(
        dreamina.images.generate({ model: "jimeng-image-3.0", prompt: "needs the page" }),
        (error: APIError) => {
          assert.equal(error.status, 403);
          assert.match(error.message, /needs Chromium, and it was not found/);
          return true;
        },
      );
      const entries = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
      assert.deepEqual(entries, ["data", "jimeng-api.js"], "nothing else was needed or written");
    } finally {
      await server.stop();
    }
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

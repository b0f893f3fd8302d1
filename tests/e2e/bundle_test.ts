/**
 * `deno bundle` embeds the console: the bundled server, run from a folder
 * with no `static/` beside it, serves every console file and the page renders.
 * @module
 */
import assert from "node:assert/strict";
import { answerAsFreshServer, openBrowser, screenshot } from "../helpers/browser.ts";
import { upstreamEnv } from "../helpers/stack.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
}

/** Reads the child's stdout until the server says where it listens; keeps draining after. */
async function listeningUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const lines = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`The bundled server exited before listening:\n${text}`);
    text += value;
    const match = /Listening on (http:\/\/[\d.:]+)/.exec(text);
    if (match) {
      (async () => {
        while (!(await lines.read()).done) { /* drain */ }
      })();
      return match[1];
    }
  }
}

Deno.test("the bundled server serves the console with nothing read from static/", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jimeng-bundle-" });
  const fake = await startFakeUpstream();
  let child: Deno.ChildProcess | undefined;
  try {
    await run(
      ["bundle", "--platform", "deno", "--frozen", "-o", `${dir}/server.js`, "main.ts"],
      ROOT,
    );
    child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "server.js"],
      cwd: dir,
      env: upstreamEnv(fake.url, `${dir}/data`),
      clearEnv: true,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const url = await listeningUrl(child.stdout);

    const index = await fetch(`${url}/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    const imports: Record<string, string> = JSON.parse(
      /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1],
    ).imports;
    for (const path of [...Object.values(imports), "/static/app.js", "/static/style.css"]) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 200, path);
      assert.ok((await response.text()).length > 100, path);
    }

    const browser = await openBrowser();
    try {
      await answerAsFreshServer(browser, true);
      await browser.page.goto(`${url}/setup?token=from-the-log`);
      await browser.page.getByRole("heading", { name: "Create the administrator" }).waitFor();
      await screenshot(browser.page, "bundle-setup");
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  } finally {
    if (child) {
      child.kill("SIGTERM");
      await child.status;
    }
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The Dockerfile cannot be built here (no engine), so what can go wrong in it
 * without a build is checked: a module the server imports that the image does
 * not copy, and a command that differs from `deno task start`.
 * @module
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { START_PERMISSIONS } from "../helpers/server_process.ts";

const ROOT = new URL("../../", import.meta.url);

async function dockerfile(): Promise<string[]> {
  const text = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  return text.split("\n").filter((line) => line.trim() && !line.trimStart().startsWith("#"));
}

Deno.test("the image copies every local file of main.ts's module graph", async () => {
  const copied = (await dockerfile()).filter((line) => line.startsWith("COPY "))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: fromFileUrl(ROOT),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(success, "deno info failed");
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  const local = info.modules.map((m) => m.specifier).filter((s) => s.startsWith("file:"))
    .map((s) => relative(fromFileUrl(ROOT), fromFileUrl(s)));
  assert.ok(local.length > 50, `only ${local.length} local modules`);
  assert.ok(local.some((path) => path.startsWith("static/")), "the console is not in the graph");
  const missing = local.filter((path) =>
    !copied.some((source) => path === source || path.startsWith(`${source.replace(/\/$/, "")}/`))
  );
  assert.deepEqual(missing, []);
  assert.ok(copied.includes("deno.json") && copied.includes("deno.lock"));
});

Deno.test("the image runs the server directly with the permissions of deno task start", async () => {
  const cmd = (await dockerfile()).find((line) => line.startsWith("CMD "));
  assert.ok(cmd, "no CMD");
  const args = JSON.parse(cmd.slice(4)) as string[];
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    tasks: { start: string };
  };
  const start = config.tasks.start.split(" ");
  assert.equal(start[0], "deno");
  const permissions = (list: string[]) => list.filter((a) => a.startsWith("--allow-")).sort();
  assert.equal(args[0], "run");
  assert.equal(args.at(-1), "main.ts");
  assert.deepEqual(permissions(args), permissions(start));
  assert.deepEqual(
    permissions(START_PERMISSIONS),
    permissions(start),
    "the tests' server processes",
  );
  assert.ok(args.includes("--frozen"));
});

Deno.test("WITH_CHROMIUM=true adds Debian's Chromium, as root, before the server's user takes over", async () => {
  const lines = await dockerfile();
  const arg = lines.findIndex((line) => /^ARG WITH_CHROMIUM=false$/.test(line));
  assert.ok(arg > 0, "no ARG WITH_CHROMIUM=false after FROM");
  const install = lines.findIndex((line) => line.includes("apt-get install"));
  assert.ok(install > arg, "Chromium is not installed after the ARG");
  const block = lines.slice(arg, install + 2).join("\n");
  assert.match(block, /if \[ "\$WITH_CHROMIUM" = "true" \]/);
  assert.match(block, /--no-install-recommends chromium\b/);
  assert.match(block, /rm -rf \/var\/lib\/apt\/lists/);
  const user = lines.findIndex((line) => line.startsWith("USER "));
  assert.ok(install < user, "apt-get must run before USER deno");
  // Chromium lands in /usr/bin, on the image's PATH, where the transport looks for it.
  assert.ok(!lines.some((line) => line.includes("CHROMIUM_PATH")));
});

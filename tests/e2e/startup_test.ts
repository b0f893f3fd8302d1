/**
 * What the operator sees at start: where the server listens and where the
 * console is, the one-time setup link on its own line (readable text with
 * LOG_FORMAT=text or on a terminal, JSON lines otherwise); and a taken port
 * is said plainly, with a non-zero exit and nothing created.
 * @module
 */
import assert from "node:assert/strict";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { processEnv, spawnServer } from "../helpers/server_process.ts";

const ROOT = new URL("../..", import.meta.url);

/** The first-start snippet of the README, line by line, times as `TIME`. */
async function readmeFirstStart(): Promise<string[]> {
  const text = await Deno.readTextFile(new URL("README.md", ROOT));
  const block = /<!-- first-start:start -->\s*```\n([\s\S]*?)```/.exec(text)![1];
  return block.trimEnd().split("\n").map((line) => line.replace(/^\d\d:\d\d:\d\d /, "TIME "));
}

/** Real output as the README shows it: default host, port and data directory; no token. */
function asReadme(lines: string[], real: { port: string; dataDir: string }): string[] {
  return lines.map((line) =>
    line.replace(/^\d\d:\d\d:\d\d /, "TIME ")
      .replace(
        `127.0.0.1:${real.port} (this machine only)`,
        "0.0.0.0:8000 (every network interface)",
      )
      .replaceAll(`http://127.0.0.1:${real.port}/`, "http://localhost:8000/")
      .replace(real.dataDir, "./data")
      .replace(/token=[\w-]+/, "token=…")
  );
}

Deno.test("a first start says where it listens, where the console is, and gives the setup link its own line", async () => {
  const fake = await startFakeUpstream();
  const dir = await Deno.makeTempDir({ prefix: "jimeng-start-" });
  try {
    for (const format of ["text", "json"] as const) {
      const server = await spawnServer({
        env: processEnv(
          fake.url,
          `${dir}/${format}`,
          format === "text" ? { LOG_FORMAT: "text" } : {},
        ),
      });
      try {
        const port = new URL(server.url).port;
        await server.waitForLine(/setup\?token=/);
        const lines = server.lines();
        if (format === "text") {
          const time = "\\d\\d:\\d\\d:\\d\\d";
          assert.ok(
            lines.some((l) =>
              new RegExp(
                `^${time} INFO  Listening on 127\\.0\\.0\\.1:${port} \\(this machine only\\)`,
              ).test(l)
            ),
            lines.join("\n"),
          );
          assert.ok(
            lines.some((l) =>
              new RegExp(`^${time} INFO  Console: http://127\\.0\\.0\\.1:${port}/$`).test(l)
            ),
          );
          const notice = lines.findIndex((l) =>
            l.endsWith("Open this one-time link to create one:")
          );
          assert.ok(notice > 0);
          assert.equal(lines[notice + 1], "");
          assert.match(
            lines[notice + 2],
            new RegExp(`^    http://127\\.0\\.0\\.1:${port}/setup\\?token=[\\w-]+$`),
          );
          assert.ok(!lines.some((l) => l.startsWith("{")), "no JSON lines");
          assert.deepEqual(
            asReadme(lines.slice(0, notice + 3), { port, dataDir: `${dir}/${format}` }),
            await readmeFirstStart(),
            "the README shows the real first start",
          );
        } else {
          // Not a terminal: one JSON object per line.
          const parsed = lines.filter((l) => l.trim()).map((l) => JSON.parse(l));
          assert.ok(
            parsed.some((p) => p.msg === `Listening on 127.0.0.1:${port} (this machine only)`),
          );
          assert.ok(parsed.some((p) => p.msg === `Console: http://127.0.0.1:${port}/`));
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a taken port is said plainly: which one, exit code 1, no stack trace, nothing created", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const dir = await Deno.makeTempDir({ prefix: "jimeng-port-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--frozen",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "main.ts",
      ],
      cwd: ROOT,
      env: { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: `${dir}/data`, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, text);
    assert.match(text, new RegExp(`Port ${port} is already in use on 127\\.0\\.0\\.1`));
    assert.match(text, new RegExp(`--port ${port + 1}`));
    assert.ok(!/\n\s+at /.test(text), `no stack trace: ${text}`);
    assert.ok(!/encryption key/.test(text), text);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "no data directory, no key file");
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * HTTPS reference images behind a corporate CA (NODE_EXTRA_CA_CERTS), under
 * exactly the permissions the server runs with: `deno task start`, the
 * Dockerfile's command and the compiled binary's. The image comes from a
 * loopback HTTPS server whose certificate a throw-away CA signed; the fetch is
 * allowed by FETCH_ALLOWLIST.
 * @module
 */
import assert from "node:assert/strict";
import { compileArgs } from "../../scripts/compile.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { buildPng } from "../helpers/image_files.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { createTestCa } from "../helpers/tls_certs.ts";

const ROOT = new URL("../../", import.meta.url);
const allows = (args: string[]) => args.filter((arg) => arg.startsWith("--allow-"));

/** The permission flags of each way the server is run. */
async function permissionSets(): Promise<[string, string[]][]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const docker = (await Deno.readTextFile(new URL("Dockerfile", ROOT))).split("\n")
    .find((line) => line.startsWith("CMD "))!;
  return [
    ["deno task start", allows(config.tasks.start.split(" "))],
    ["Dockerfile", allows(JSON.parse(docker.slice(4)))],
    ["compiled binary", allows(compileArgs({ output: "unused" }))],
  ];
}

Deno.test("HTTPS reference URLs work with NODE_EXTRA_CA_CERTS under every way of running", async () => {
  const ca = await createTestCa();
  const trusted = await ca.issueServerCert();
  const stranger = await (await createTestCa("not trusted")).issueServerCert();
  const png = buildPng({ width: 24, height: 24 });
  const serve = (pair: { cert: string; key: string }) =>
    Deno.serve(
      { hostname: "127.0.0.1", port: 0, ...pair, onListen() {} },
      () => new Response(png, { headers: { "content-type": "image/png" } }),
    );
  const good = serve(trusted);
  const bad = serve(stranger);
  const fake = await startFakeUpstream();
  fake.addSession(GOOD_SESSION);
  const dir = await Deno.makeTempDir({ prefix: "jimeng-ca-" });
  const caFile = `${dir}/corporate-ca.pem`;
  await Deno.writeTextFile(caFile, ca.caCert);
  try {
    for (const [how, permissions] of await permissionSets()) {
      let server: ServerProcess | undefined;
      try {
        server = await spawnServer({
          permissions,
          env: processEnv(fake.url, `${dir}/${how.replaceAll(" ", "-")}`, {
            NODE_EXTRA_CA_CERTS: caFile,
            FETCH_ALLOWLIST: `127.0.0.1:${good.addr.port},127.0.0.1:${bad.addr.port}`,
          }),
        });
        const generate = async (port: number) => {
          const response = await fetch(`${server!.url}/v1/images/generations`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${GOOD_SESSION}`,
              "content-type": "application/json",
            },
            body: JSON.stringify({
              prompt: "like this",
              filePath: `https://127.0.0.1:${port}/ref.png`,
            }),
          });
          return { status: response.status, body: await response.json() };
        };
        const uploads = fake.stats.uploads;
        const ok = await generate(good.addr.port);
        assert.equal(ok.status, 200, `${how}: ${JSON.stringify(ok.body)}`);
        assert.equal(fake.stats.uploads, uploads + 1, `${how}: the image was uploaded`);
        // Verification stays on: a certificate the CA did not sign is refused.
        const refused = await generate(bad.addr.port);
        assert.equal(refused.status, 400, `${how}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.message, "Could not download the image from the URL");
        // The operator's log says why; the client's answer does not.
        await server.waitForLine(/Reference image \(filePath\) could not be downloaded/, 5000);
        assert.ok(server.running(), `${how}: the server is still up`);
        assert.ok(
          !server.lines().some((line) => /NotCapable|Requires sys access/.test(line)),
          `${how}: ${server.lines().join("\n")}`,
        );
      } finally {
        await server?.stop();
      }
    }
  } finally {
    await good.shutdown();
    await bad.shutdown();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

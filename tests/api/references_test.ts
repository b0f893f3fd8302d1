/**
 * Reference images from hostile places: local paths outside LOCAL_FILES_DIR
 * (absolute, `..`, symlinks), and URLs into this machine's own network —
 * refused before any connection. Only loopback is ever contacted: a canary
 * listener proves nothing reached it, and an injected resolver stands in for
 * DNS names that resolve to private or metadata addresses.
 * @module
 */
import assert from "node:assert/strict";
import type { ResolvedAddress } from "../../src/net/safe_fetch.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { startCanary } from "../helpers/canary.ts";

const PNG = encodePng({ width: 32, height: 32, color: [10, 200, 10] });

async function generate(stack: Stack, filePath: string) {
  const response = await fetch(`${stack.url}/v1/images/generations`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "with a reference", filePath }),
  });
  return { status: response.status, json: await response.json() };
}

Deno.test("local paths are refused without LOCAL_FILES_DIR", async () => {
  const stack = await startStack();
  try {
    for (const path of ["/etc/passwd", "../../etc/hosts", "file:///etc/passwd", "data/jimeng.db"]) {
      const answer = await generate(stack, path);
      assert.equal(answer.status, 400, path);
      assert.equal(answer.json.error.param, "filePath");
      assert.match(answer.json.error.message, /LOCAL_FILES_DIR/);
    }
    assert.equal(stack.fake.stats.uploads, 0);
  } finally {
    await stack.close();
  }
});

Deno.test("LOCAL_FILES_DIR lets files inside it in, and nothing outside it", async () => {
  const root = await Deno.makeTempDir({ prefix: "jimeng-local-" });
  const inside = `${root}/allowed`;
  await Deno.mkdir(`${inside}/sub`, { recursive: true });
  await Deno.writeFile(`${inside}/ref.png`, PNG);
  await Deno.writeFile(`${inside}/sub/nested.png`, PNG);
  await Deno.writeFile(`${root}/outside.png`, PNG);
  await Deno.symlink(`${root}/outside.png`, `${inside}/escape.png`);
  await Deno.symlink(root, `${inside}/parent`);
  const stack = await startStack({ env: { LOCAL_FILES_DIR: inside } });
  try {
    for (const path of ["ref.png", `${inside}/sub/nested.png`, `file://${inside}/ref.png`]) {
      const answer = await generate(stack, path);
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.json)}`);
    }
    for (
      const path of [
        "../outside.png",
        `${root}/outside.png`,
        "escape.png",
        "parent/outside.png",
        "sub/../../outside.png",
        "/etc/passwd",
        "sub",
        "missing.png",
      ]
    ) {
      const answer = await generate(stack, path);
      assert.equal(answer.status, 400, `${path}: ${JSON.stringify(answer.json)}`);
      assert.equal(answer.json.error.code, "invalid_image", path);
    }
    assert.equal(stack.fake.records().length, 3);
  } finally {
    await stack.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("URLs into loopback, private, link-local or metadata addresses are never fetched", async () => {
  const target = startCanary();
  // DNS answers for names that point inside the network (no real lookup leaves the machine).
  const table: Record<string, string> = {
    "intranet.example": "10.1.2.3",
    "router.example": "192.168.1.1",
    "metadata.example": "169.254.169.254",
    "v6.example": "fd00::1",
    "sneaky.example": "127.0.0.1",
  };
  const resolver = (host: string): Promise<ResolvedAddress[]> =>
    table[host]
      ? Promise.resolve([{ address: table[host], family: table[host].includes(":") ? 6 : 4 }])
      : Promise.reject(new Error("NXDOMAIN"));
  const stack = await startStack({ overrides: { resolver } });
  try {
    const urls = [
      `http://127.0.0.1:${target.port}/x.png`,
      `http://localhost:${target.port}/x.png`,
      `http://[::1]:${target.port}/x.png`,
      `http://2130706433:${target.port}/x.png`,
      `http://0x7f.0.0.1:${target.port}/x.png`,
      `http://0177.0.0.1:${target.port}/x.png`,
      `http://[::ffff:127.0.0.1]:${target.port}/x.png`,
      `http://sneaky.example:${target.port}/x.png`,
      "http://intranet.example/x.png",
      "http://router.example/x.png",
      "http://metadata.example/latest/meta-data/",
      "http://169.254.169.254/latest/meta-data/",
      "http://v6.example/x.png",
      "http://[fe80::1]/x.png",
      "http://0.0.0.0/x.png",
      `http://user:secret@127.0.0.1:${target.port}/x.png`,
    ];
    for (const url of urls) {
      const answer = await generate(stack, url);
      assert.equal(answer.status, 400, `${url}: ${JSON.stringify(answer.json)}`);
      assert.equal(answer.json.error.param, "filePath", url);
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(target.connections(), 0, "no connection reached the canary");
    assert.equal(stack.fake.records().length, 0);
  } finally {
    await stack.close();
    target.close();
  }
});

Deno.test("a redirect from an allowed host into the local network is refused", async () => {
  const target = startCanary();
  const redirector = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(null, {
        status: 302,
        headers: { location: `http://127.0.0.1:${target.port}/secret.png` },
      }),
  );
  const resolver = (host: string): Promise<ResolvedAddress[]> =>
    host === "images.example"
      ? Promise.resolve([{ address: "127.0.0.1", family: 4 }])
      : Promise.reject(new Error("NXDOMAIN"));
  const stack = await startStack({
    env: { FETCH_ALLOWLIST: `images.example:${redirector.addr.port}` },
    overrides: { resolver },
  });
  try {
    const answer = await generate(stack, `http://images.example:${redirector.addr.port}/a.png`);
    assert.equal(answer.status, 400, JSON.stringify(answer.json));
    assert.match(answer.json.error.message, /loopback/);
    assert.equal(target.connections(), 0);
  } finally {
    await stack.close();
    await redirector.shutdown();
    target.close();
  }
});

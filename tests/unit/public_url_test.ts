import assert from "node:assert/strict";
import { Hono } from "hono";
import { publicBaseUrl, validHost } from "../../src/api/public_url.ts";

Deno.test("validHost() accepts host names, addresses and ports, and nothing else", () => {
  for (const host of ["localhost:8000", "Img.Example.COM", "10.0.0.5:443", "[::1]:8000", "a-b.c"]) {
    assert.equal(validHost(host), host.toLowerCase(), host);
  }
  for (
    const host of [
      undefined,
      "",
      "evil.com/path",
      "user@evil.com",
      "a b",
      "host:0",
      "host:99999",
      "-bad.com",
      "x".repeat(300),
      "host:80:81",
      "[zz::1]",
      "example.com?x",
      "example.com#f",
      "ex\u00e4mple.com",
    ]
  ) {
    assert.equal(validHost(host), null, String(host));
  }
});

async function baseOf(
  headers: Record<string, string>,
  config: Parameters<typeof publicBaseUrl>[1],
): Promise<string> {
  const app = new Hono();
  app.get("/", (c) => c.text(String(publicBaseUrl(c, config))));
  return await (await app.request("http://internal:8000/", { headers })).text();
}

Deno.test("publicBaseUrl() prefers PUBLIC_BASE_URL, else Host; forwarded headers only when trusted", async () => {
  const open = { publicBaseUrl: null, trustProxy: false };
  const proxied = { publicBaseUrl: null, trustProxy: true };
  const forwarded = { "X-Forwarded-Host": "img.example.com, inner", "X-Forwarded-Proto": "https" };
  assert.equal(await baseOf({ Host: "gw.local:8000" }, open), "http://gw.local:8000");
  assert.equal(await baseOf({ Host: "gw.local:8000", ...forwarded }, open), "http://gw.local:8000");
  assert.equal(
    await baseOf({ Host: "gw.local", ...forwarded }, proxied),
    "https://img.example.com",
  );
  assert.equal(
    await baseOf({ Host: "gw.local", "X-Forwarded-Proto": "gopher" }, proxied),
    "http://gw.local",
  );
  assert.equal(await baseOf({ Host: "bad host" }, open), "null");
  assert.equal(
    await baseOf({ Host: "gw.local" }, {
      publicBaseUrl: "https://fixed.example",
      trustProxy: true,
    }),
    "https://fixed.example",
  );
});

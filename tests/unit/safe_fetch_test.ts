import assert from "node:assert/strict";
import {
  classifyAddress,
  FetchRefusedError,
  fetchUntrusted,
  type Resolver,
  vetTarget,
} from "../../src/net/safe_fetch.ts";
import { startCanary } from "../helpers/canary.ts";

Deno.test("classifyAddress() knows loopback, private, link-local and metadata addresses", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.1.2", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.169.254", "link_local"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["8.8.8.8", "public"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link_local"],
    ["[::1]", "loopback"],
    ["fe80::1%eth0", "link_local"],
    ["fc00::1", "private"],
    ["fd00:ec2::254", "private"],
    ["64:ff9b::a9fe:a9fe", "link_local"],
    ["2002:7f00:1::", "loopback"],
    ["2001:4860:4860::8888", "public"],
    ["not-an-ip", "reserved"],
  ];
  for (const [ip, kind] of cases) assert.equal(classifyAddress(ip), kind, ip);
});

const resolverOf = (table: Record<string, string[]>): Resolver => (host) => {
  const addresses = table[host];
  if (!addresses) return Promise.reject(new Error("NXDOMAIN"));
  return Promise.resolve(addresses.map((address) => ({
    address,
    family: address.includes(":") ? 6 as const : 4 as const,
  })));
};

Deno.test("vetTarget() refuses names resolving to private or metadata addresses", async () => {
  const resolver = resolverOf({
    "metadata.google.internal": ["169.254.169.254"],
    "intranet.example": ["10.0.0.5"],
    "mixed.example": ["93.184.216.34", "192.168.0.10"],
    "v6local.example": ["::1"],
    "public.example": ["93.184.216.34"],
  });
  for (
    const host of [
      "metadata.google.internal",
      "intranet.example",
      "mixed.example",
      "v6local.example",
    ]
  ) {
    await assert.rejects(
      vetTarget(new URL(`http://${host}/x.png`), resolver, []),
      FetchRefusedError,
      host,
    );
  }
  const ok = await vetTarget(new URL("https://public.example/x.png"), resolver, []);
  assert.equal(ok.address, "93.184.216.34");
});

Deno.test("vetTarget() sees through decimal, octal, hex and IPv6 spellings of loopback", async () => {
  const resolver = resolverOf({});
  for (
    const url of [
      "http://2130706433/",
      "http://0177.0.0.1/",
      "http://0x7f.0.0.1/",
      "http://127.1/",
      "http://[::ffff:127.0.0.1]/",
      "http://[0:0:0:0:0:0:0:1]/",
      "http://0/",
      "http://169.254.169.254/latest/meta-data/",
    ]
  ) {
    await assert.rejects(vetTarget(new URL(url), resolver, []), FetchRefusedError, url);
  }
});

Deno.test("vetTarget() refuses other schemes and credentials, honours the allowlist", async () => {
  const resolver = resolverOf({ "images.lan": ["192.168.1.20"] });
  await assert.rejects(vetTarget(new URL("ftp://x/"), resolver, []), /Only http and https/);
  await assert.rejects(vetTarget(new URL("http://u:p@images.lan/"), resolver, []), /credentials/);
  const allowed = await vetTarget(new URL("http://images.lan/a.png"), resolver, ["images.lan"]);
  assert.equal(allowed.address, "192.168.1.20");
  await assert.rejects(
    vetTarget(new URL("http://images.lan:8080/a.png"), resolver, ["images.lan:80"]),
    FetchRefusedError,
  );
});

Deno.test("fetchUntrusted() never connects to a refused loopback target", async () => {
  const target = startCanary();
  try {
    const resolver = resolverOf({ "evil.example": ["127.0.0.1"] });
    for (
      const url of [
        `http://127.0.0.1:${target.port}/a.png`,
        `http://evil.example:${target.port}/a.png`,
        `http://2130706433:${target.port}/a.png`,
        `http://[::ffff:127.0.0.1]:${target.port}/a.png`,
      ]
    ) {
      await assert.rejects(
        fetchUntrusted(url, { resolver, maxBytes: 1024, timeoutMs: 2000 }),
        FetchRefusedError,
        url,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(target.connections(), 0);
  } finally {
    target.close();
  }
});

Deno.test("fetchUntrusted() re-checks redirects and pins the checked address", async () => {
  const target = startCanary();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/redirect") {
      return new Response(null, {
        status: 302,
        headers: { location: `http://127.0.0.1:${target.port}/secret.png` },
      });
    }
    if (url.pathname === "/big") return new Response(new Uint8Array(5000));
    return new Response(new Uint8Array([1, 2, 3]), { headers: { "content-type": "image/png" } });
  });
  try {
    // "images.example" is allowed by the allowlist and pinned to the server's loopback port;
    // the canary's loopback address is not allowlisted.
    const resolver = resolverOf({ "images.example": ["127.0.0.1"] });
    const allow = [`images.example:${server.addr.port}`];
    const ok = await fetchUntrusted(`http://images.example:${server.addr.port}/a.png`, {
      resolver,
      allowlist: allow,
      maxBytes: 1024,
      timeoutMs: 2000,
    });
    assert.deepEqual([...ok.bytes], [1, 2, 3]);
    await assert.rejects(
      fetchUntrusted(`http://images.example:${server.addr.port}/redirect`, {
        resolver,
        allowlist: allow,
        maxBytes: 1024,
        timeoutMs: 2000,
      }),
      /loopback/,
    );
    await assert.rejects(
      fetchUntrusted(`http://images.example:${server.addr.port}/big`, {
        resolver,
        allowlist: allow,
        maxBytes: 1024,
        timeoutMs: 2000,
      }),
      /larger than 1024 bytes/,
    );
    assert.equal(target.connections(), 0);
  } finally {
    target.close();
    await server.shutdown();
  }
});

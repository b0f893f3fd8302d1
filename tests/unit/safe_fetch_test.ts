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

/** One address from every IANA special-purpose range (IPv4 and IPv6), and what it is. */
const SPECIAL_PURPOSE: [string, string][] = [
  ["0.1.2.3", "unspecified"],
  ["10.255.0.1", "private"],
  ["100.127.255.254", "private"],
  ["127.0.0.53", "loopback"],
  ["169.254.0.1", "link_local"],
  ["172.20.1.1", "private"],
  ["192.0.0.8", "reserved"],
  ["192.0.0.170", "reserved"],
  ["192.0.2.10", "reserved"],
  ["192.31.196.1", "reserved"],
  ["192.52.193.1", "reserved"],
  ["192.88.99.1", "reserved"],
  ["192.168.255.255", "private"],
  ["192.175.48.6", "reserved"],
  ["198.19.255.1", "reserved"],
  ["198.51.100.7", "reserved"],
  ["203.0.113.9", "reserved"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "reserved"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:0:127.0.0.1", "loopback"], // IPv4-translated
  ["::ffff:0:a9fe:a9fe", "link_local"],
  ["::ffff:0:0:0", "unspecified"],
  ["::127.0.0.1", "loopback"], // deprecated IPv4-compatible
  ["::8.8.8.8", "reserved"],
  ["64:ff9b::10.1.1.1", "private"], // NAT64 with a private address inside
  ["64:ff9b::7f00:1", "loopback"],
  ["64:ff9b:1::8.8.8.8", "private"], // local-use translation
  ["100::1", "reserved"],
  ["100:0:0:1::1", "reserved"],
  ["2001::1", "unspecified"], // Teredo with server 0.0.0.0
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
  ["2001:0:a00:1::1", "private"], // Teredo server 10.0.0.1
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"], // Teredo client 127.0.0.1
  ["2001:1::1", "reserved"],
  ["2001:2::1", "reserved"],
  ["2001:3::1", "reserved"],
  ["2001:4:112::1", "reserved"],
  ["2001:10::1", "reserved"],
  ["2001:20::1", "reserved"],
  ["2001:30::1", "reserved"],
  ["2001:db8::1", "reserved"],
  ["2002:a00:1::1", "private"], // 6to4 of 10.0.0.1
  ["2002:c0a8:101::", "private"],
  ["2620:4f:8000::1", "reserved"],
  ["3fff::1", "reserved"],
  ["5f00::1", "reserved"],
  ["fc00::1", "private"],
  ["fdff:ffff::1", "private"],
  ["fe80::1", "link_local"],
  ["febf::1", "link_local"],
  ["fec0::1", "private"],
  ["ff02::1", "multicast"],
  ["4000::1", "reserved"], // outside global unicast: unassigned
  ["::2", "unspecified"], // IPv4-compatible 0.0.0.2
];

/** Public addresses, some in ranges that embed a public IPv4 address. */
const PUBLIC: string[] = [
  "8.8.8.8",
  "1.1.1.1",
  "100.63.255.255",
  "100.128.0.0",
  "172.15.255.255",
  "198.17.255.255",
  "198.20.0.1",
  "223.255.255.255",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "2002:808:808::1",
  "2001:4860:4860::8888",
  "2001:200::1",
  "2600::1",
  "3ffe::1",
];

Deno.test("classifyAddress() knows every IANA special-purpose range", () => {
  for (const [ip, kind] of SPECIAL_PURPOSE) assert.equal(classifyAddress(ip), kind, ip);
  for (const ip of PUBLIC) assert.equal(classifyAddress(ip), "public", ip);
});

Deno.test("vetTarget() refuses names resolving into every special-purpose range", async () => {
  const table: Record<string, string[]> = {};
  SPECIAL_PURPOSE.forEach(([ip], i) => (table[`special-${i}.example`] = [ip]));
  PUBLIC.forEach((ip, i) => (table[`public-${i}.example`] = [ip]));
  const resolver = resolverOf(table);
  for (const [index, [ip]] of SPECIAL_PURPOSE.entries()) {
    await assert.rejects(
      vetTarget(new URL(`https://special-${index}.example/x.png`), resolver, []),
      /Refusing to fetch/,
      ip,
    );
    const literal = ip.includes(":") ? `[${ip}]` : ip;
    await assert.rejects(
      vetTarget(new URL(`http://${literal}:8080/x.png`), resolver, []),
      FetchRefusedError,
      literal,
    );
  }
  for (const [index, ip] of PUBLIC.entries()) {
    const target = await vetTarget(new URL(`https://public-${index}.example/`), resolver, []);
    assert.equal(target.address, ip);
  }
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

Deno.test("fetchUntrusted() never tells the client the network error behind a failure", async () => {
  const hangUp = startCanary(); // accepts, then closes: "socket hang up"
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close(); // nothing listens: "connection refused"
  try {
    const messages = new Set<string>();
    for (const port of [hangUp.port, closedPort]) {
      const error = await fetchUntrusted(`http://127.0.0.1:${port}/a.png`, {
        maxBytes: 1024,
        timeoutMs: 5000,
        allowlist: [`127.0.0.1:${port}`],
      }).then(() => undefined, (error: unknown) => error);
      assert.ok(error instanceof FetchRefusedError, String(error));
      assert.doesNotMatch(error.message, /refused|hang up|reset|ECONN|socket|127\.0\.0\.1/i);
      messages.add(error.message);
    }
    assert.deepEqual([...messages], ["Could not download the image from the URL"]);
  } finally {
    hangUp.close();
  }
});

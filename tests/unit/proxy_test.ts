import assert from "node:assert/strict";
import { createEgress } from "../../src/jimeng/egress.ts";
import { JimengError } from "../../src/jimeng/errors.ts";
import { createSession } from "../../src/jimeng/http.ts";
import {
  browserProxy,
  parseAccountProxy,
  parseProxyUrl,
  ProxyUrlError,
  splitProxyToken,
} from "../../src/net/proxy.ts";
import { createProxyClients } from "../../src/net/proxy_clients.ts";
import { redact } from "../../src/redact.ts";
import { startHttpProxy, startSocksProxy } from "../helpers/proxies.ts";

// A CA and a certificate for 127.0.0.1 signed by it, made for these tests only.
const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);
const tls = {
  ca: Deno.readTextFileSync(new URL("ca.pem", TLS_DIR)),
  cert: Deno.readTextFileSync(new URL("cert.pem", TLS_DIR)),
  key: Deno.readTextFileSync(new URL("key.pem", TLS_DIR)),
};

Deno.test("parseProxyUrl() accepts the four schemes, defaults and credentials", () => {
  const socks = parseProxyUrl("socks5://alice:p%40ss@127.0.0.1:1080");
  assert.equal(socks.scheme, "socks5");
  assert.equal(socks.host, "127.0.0.1");
  assert.equal(socks.port, 1080);
  assert.equal(socks.username, "alice");
  assert.equal(socks.password, "p@ss");
  assert.equal(socks.server, "socks5://127.0.0.1:1080");
  assert.equal(socks.label, "al…:****@127.0.0.1:1080".replace(/^/, "socks5://"));
  assert.equal(
    parseProxyUrl("SOCKS5H://Proxy.Example:9050").server,
    "socks5h://proxy.example:9050",
  );
  assert.equal(parseProxyUrl("http://proxy.example").port, 80);
  assert.equal(parseProxyUrl("https://proxy.example").port, 443);
  assert.equal(parseProxyUrl("socks5://[::1]").server, "socks5://[::1]:1080");
  // No scheme is http, as in DAM's per-account field.
  assert.equal(parseProxyUrl("10.0.0.1:3128").server, "http://10.0.0.1:3128");
  // A password with a raw "@": the last one ends the credentials.
  assert.equal(parseProxyUrl("http://bob:a@b@h.example:8080").password, "a@b");
});

Deno.test("parseProxyUrl() refuses what no proxy is, without echoing the credentials", () => {
  for (
    const bad of [
      "",
      "ftp://h.example:21",
      "socks4://h.example:1080",
      "http://h.example:8080/path",
      "http://h.example:8080?q=1",
      "http://:secretpw@h.example:1",
      "http://h ex:1",
      `http://${"a".repeat(2100)}.example`,
      "http://h.example:99999",
    ]
  ) {
    assert.throws(() => parseProxyUrl(bad), ProxyUrlError, bad);
  }
  try {
    parseProxyUrl("gopher://user:hunter22secret@h.example:70");
    assert.fail("accepted gopher");
  } catch (error) {
    assert.ok(!(error as Error).message.includes("hunter22secret"));
  }
});

Deno.test("splitProxyToken() splits at the last @ and parseAccountProxy() knows direct", () => {
  const split = splitProxyToken("http://user:pa@ss@127.0.0.1:8080@hk-0123456789abcdef");
  assert.equal(split.token, "hk-0123456789abcdef");
  assert.equal((split.proxy as { password: string }).password, "pa@ss");
  assert.deepEqual(splitProxyToken("direct@0123456789abcdef").proxy, "direct");
  assert.deepEqual(splitProxyToken("0123456789abcdef"), { proxy: null, token: "0123456789abcdef" });
  assert.throws(() => splitProxyToken("ftp://x:1@0123456789abcdef"), ProxyUrlError);
  assert.equal(parseAccountProxy(" Direct "), "direct");
  assert.equal((parseAccountProxy("socks5h://h:1") as { scheme: string }).scheme, "socks5h");
});

Deno.test("browserProxy() gives Playwright's form; SOCKS5 with a password is refused", () => {
  assert.deepEqual(browserProxy(parseProxyUrl("http://u:p@127.0.0.1:3128")), {
    server: "http://127.0.0.1:3128",
    username: "u",
    password: "p",
  });
  assert.deepEqual(browserProxy(parseProxyUrl("socks5h://127.0.0.1:1080")), {
    server: "socks5://127.0.0.1:1080",
  });
  assert.throws(() => browserProxy(parseProxyUrl("socks5://u:p@127.0.0.1:1080")), ProxyUrlError);
});

Deno.test("redact() masks credentials in proxy URLs", () => {
  const text = redact("via socks5://someone:verysecret@127.0.0.1:1080 and http://a.example/x@y");
  assert.ok(!text.includes("verysecret"), text);
  assert.ok(text.includes("socks5://so…:****@127.0.0.1:1080"), text);
  assert.ok(text.includes("http://a.example/x@y"), text);
});

/** A loopback HTTP target that counts what it serves. */
function startTarget(options: { tls?: boolean } = {}) {
  const seen: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...(options.tls ? { cert: tls.cert, key: tls.key } : {}),
  }, (req) => {
    seen.push(new URL(req.url).pathname);
    return new Response(`served ${new URL(req.url).pathname}`);
  });
  const scheme = options.tls ? "https" : "http";
  return { url: `${scheme}://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test("egress sends a proxied session's requests through its HTTP or SOCKS5 proxy, with credentials", async () => {
  const target = startTarget();
  const auth = { username: "jimeng", password: "s3cret-proxy-pw" };
  const http = startHttpProxy({ auth });
  const socks = startSocksProxy({ auth });
  const clients = createProxyClients();
  const egress = createEgress({ clients, defaultProxy: () => null });
  try {
    const viaHttp = egress.fetchFor(
      createSession("0123456789abcdef01", { proxy: parseProxyUrl(http.url) }),
      fetch,
    );
    const viaSocks = egress.fetchFor(
      createSession("0123456789abcdef02", { proxy: parseProxyUrl(socks.url) }),
      fetch,
    );
    const direct = egress.fetchFor(createSession("0123456789abcdef03"), fetch);
    assert.equal(await (await viaHttp(`${target.url}/a`)).text(), "served /a");
    assert.equal(
      await (await viaHttp(`${target.url}/b`, { method: "POST", body: "x".repeat(5000) }))
        .text(),
      "served /b",
    );
    assert.equal(await (await viaSocks(`${target.url}/c`)).text(), "served /c");
    assert.equal(
      await (await viaSocks(`${target.url}/d`, { method: "POST", body: "{}" })).text(),
      "served /d",
    );
    assert.equal(await (await direct(`${target.url}/e`)).text(), "served /e");
    assert.deepEqual(http.requests.map((r) => `${r.via} ${r.method} ${r.path}`), [
      "forward GET /a",
      "forward POST /b",
    ]);
    assert.deepEqual(socks.requests.map((r) => `${r.via} ${r.method} ${r.path}`), [
      "socks GET /c",
      "socks POST /d",
    ]);
    assert.deepEqual(target.seen, ["/a", "/b", "/c", "/d", "/e"]);
    assert.equal(http.refused + socks.refused, 0);
    assert.equal(clients.size(), 2);
  } finally {
    egress.close();
    await Promise.all([http.close(), socks.close(), target.close()]);
  }
});

Deno.test("egress tunnels https through CONNECT and uses the default proxy for sessions without one", async () => {
  const target = startTarget({ tls: true });
  const proxy = startHttpProxy({ auth: { username: "u", password: "tunnel-pw" } });
  const clients = createProxyClients({ caCerts: [tls.ca] });
  const egress = createEgress({ clients, defaultProxy: () => parseProxyUrl(proxy.url) });
  try {
    const fetchVia = egress.fetchFor(createSession("0123456789abcdef04"), fetch);
    assert.equal(await (await fetchVia(`${target.url}/tls`)).text(), "served /tls");
    assert.equal(proxy.tunnels.length, 1);
    assert.equal(proxy.tunnels[0], target.url.replace("https://", ""));
    // TLS inside the tunnel is not readable by the proxy.
    assert.deepEqual(proxy.requests, []);
    assert.deepEqual(target.seen, ["/tls"]);
    // "direct" keeps an account off the default proxy.
    assert.equal(egress.proxyOf(createSession("0123456789abcdef05", { proxy: "direct" })), null);
    assert.equal(
      egress.proxyOf(createSession("0123456789abcdef06"))?.server,
      proxy.url.replace("u:tunnel-pw@", ""),
    );
  } finally {
    egress.close();
    await Promise.all([proxy.close(), target.close()]);
  }
});

Deno.test("egress turns proxy failures into proxy_error without the password", async () => {
  const target = startTarget();
  const http = startHttpProxy({ auth: { username: "u", password: "right-password" } });
  const socks = startSocksProxy({ auth: { username: "u", password: "right-password" } });
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const egress = createEgress({ clients: createProxyClients(), defaultProxy: () => null });
  const attempt = async (proxyUrl: string) => {
    const session = createSession("0123456789abcdef07", { proxy: parseProxyUrl(proxyUrl) });
    try {
      await egress.fetchFor(session, fetch)(`${target.url}/x`);
    } catch (error) {
      return error;
    }
    assert.fail(`${proxyUrl} let the request through`);
  };
  try {
    const cases = [
      `http://u:wrong-password@127.0.0.1:${http.port}`,
      `socks5://u:wrong-password@127.0.0.1:${socks.port}`,
      `socks5://u:wrong-password@127.0.0.1:${deadPort}`,
      `http://u:wrong-password@127.0.0.1:${deadPort}`,
    ];
    for (const proxyUrl of cases) {
      const error = await attempt(proxyUrl);
      assert.ok(error instanceof JimengError, String(error));
      assert.equal(error.kind, "proxy_error");
      assert.ok(error.retriable);
      assert.ok(!error.message.includes("wrong-password"), error.message);
      assert.match(
        error.message,
        /^The account's proxy (http|socks5):\/\/u…:\*\*\*\*@127\.0\.0\.1:\d+ failed: .+/,
      );
    }
    assert.equal(http.refused, 1);
    assert.equal(socks.refused, 1);
    assert.deepEqual(target.seen, []);
  } finally {
    egress.close();
    await Promise.all([http.close(), socks.close(), target.close()]);
  }
});

Deno.test("the test proxies refuse targets that are not loopback", async () => {
  const http = startHttpProxy();
  const socks = startSocksProxy();
  const egress = createEgress({ clients: createProxyClients(), defaultProxy: () => null });
  try {
    for (const proxy of [http, socks]) {
      const session = createSession("0123456789abcdef08", { proxy: parseProxyUrl(proxy.url) });
      // 192.0.2.1 is TEST-NET-1: the proxies refuse it before any connection is made.
      const error = await egress.fetchFor(session, fetch)("http://192.0.2.1/").then(
        (r) => r.body?.cancel().then(() => r.status),
        (e) => e,
      );
      assert.ok(error === 403 || (error instanceof JimengError && error.kind === "proxy_error"));
    }
    assert.deepEqual(http.blocked, ["192.0.2.1:80"]);
    assert.deepEqual(socks.blocked, ["192.0.2.1:80"]);
  } finally {
    egress.close();
    await Promise.all([http.close(), socks.close()]);
  }
});

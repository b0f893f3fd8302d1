import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { cidrContains, clientNetwork, formatIp, parseCidr, parseIp } from "../../src/net/cidr.ts";
import {
  type ClientAddressOptions,
  parseCidrList,
  resolveClientAddress,
} from "../../src/net/client_address.ts";

Deno.test("parseIp() reads IPv4, IPv6, mapped, bracketed and zoned forms; refuses junk", () => {
  assert.equal(formatIp(parseIp("1.2.3.4")!), "1.2.3.4");
  assert.equal(formatIp(parseIp("::ffff:1.2.3.4")!), "1.2.3.4");
  assert.equal(formatIp(parseIp("[::1]")!), "0:0:0:0:0:0:0:1");
  assert.equal(formatIp(parseIp("FE80::1%eth0")!), "fe80:0:0:0:0:0:0:1");
  assert.equal(formatIp(parseIp("2001:db8::1.2.3.4")!), "2001:db8:0:0:0:0:102:304");
  for (
    const junk of [
      "",
      "1.2.3",
      "1.2.3.256",
      "01234.1.1.1",
      "1::2::3",
      "g::1",
      "1:2:3:4:5:6:7:8:9",
      "unknown",
    ]
  ) {
    assert.equal(parseIp(junk), undefined, junk);
  }
});

Deno.test("parseCidr() matches ranges of both families and refuses bad prefixes", () => {
  const ten = parseCidr("10.1.2.3/8");
  assert.equal(ten.text, "10.0.0.0/8");
  assert.ok(cidrContains(ten, parseIp("10.255.0.1")!));
  assert.ok(!cidrContains(ten, parseIp("11.0.0.1")!));
  assert.ok(cidrContains(parseCidr("172.16.0.0/12"), parseIp("172.31.255.255")!));
  assert.ok(!cidrContains(parseCidr("172.16.0.0/12"), parseIp("172.32.0.0")!));
  assert.ok(cidrContains(parseCidr("::1"), parseIp("::1")!));
  assert.ok(!cidrContains(parseCidr("::1"), parseIp("::2")!));
  assert.ok(cidrContains(parseCidr("fc00::/7"), parseIp("fd12::1")!));
  assert.ok(cidrContains(parseCidr("0.0.0.0/0"), parseIp("8.8.8.8")!));
  assert.ok(!cidrContains(parseCidr("0.0.0.0/0"), parseIp("2001:db8::1")!), "IPv4 /0 is IPv4 only");
  for (
    const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "example.com", "1.2.3.4/8/8"]
  ) {
    assert.throws(() => parseCidr(bad), RangeError, bad);
  }
});

Deno.test("clientNetwork() keeps IPv4 addresses and groups IPv6 ones by /64", () => {
  assert.equal(clientNetwork("203.0.113.5"), "203.0.113.5");
  assert.equal(clientNetwork("::ffff:203.0.113.5"), "203.0.113.5");
  assert.equal(clientNetwork("2001:db8:1:2:aaaa::1"), "2001:db8:1:2:0:0:0:0/64");
  assert.equal(clientNetwork("2001:db8:1:2::ffff"), clientNetwork("2001:db8:1:2:aaaa::1"));
  assert.equal(clientNetwork("unknown"), "unknown");
});

Deno.test("resolveClientAddress() takes the right-most entry that is no trusted proxy", () => {
  const behind: ClientAddressOptions = {
    trustProxy: true,
    trustedProxies: parseCidrList("127.0.0.1, 10.0.0.0/8"),
  };
  // The client wrote the left part; the proxies appended the rest.
  assert.equal(resolveClientAddress("127.0.0.1", "6.6.6.6, 203.0.113.9", behind), "203.0.113.9");
  assert.equal(
    resolveClientAddress("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1", behind),
    "203.0.113.9",
  );
  assert.equal(
    resolveClientAddress("127.0.0.1", "[2001:db8::5]:443", behind),
    "2001:db8:0:0:0:0:0:5",
  );
  assert.equal(resolveClientAddress("127.0.0.1", "203.0.113.9:5678", behind), "203.0.113.9");
  assert.equal(resolveClientAddress("127.0.0.1", "10.0.0.9, 10.0.0.8", behind), "10.0.0.9");
  assert.equal(resolveClientAddress("127.0.0.1", "junk, unknown", behind), "unknown");
  assert.equal(resolveClientAddress("127.0.0.1", " , ", behind), "127.0.0.1");
  assert.equal(resolveClientAddress("::ffff:127.0.0.1", "203.0.113.9", behind), "203.0.113.9");
  // A peer that is no trusted proxy: its header is ignored, and reported.
  const reported: string[] = [];
  const direct = resolveClientAddress("192.0.2.1", "203.0.113.9", {
    ...behind,
    onUntrustedForwarder: (peer) => reported.push(peer),
  });
  assert.equal(direct, "192.0.2.1");
  assert.deepEqual(reported, ["192.0.2.1"]);
  // Without TRUST_PROXY the header means nothing.
  assert.equal(
    resolveClientAddress("192.0.2.1", "203.0.113.9", { ...behind, trustProxy: false }),
    "192.0.2.1",
  );
  // A huge header is read from its right end only.
  const long = `${Array(10_000).fill("6.6.6.6").join(",")}, 203.0.113.9`;
  assert.equal(resolveClientAddress("127.0.0.1", long, behind), "203.0.113.9");
});

Deno.test("loadConfig() reads TRUSTED_PROXIES, defaulting to this machine, and names a bad entry", () => {
  const defaults = loadConfig({}).trustedProxies.map((r) => r.text);
  assert.deepEqual(defaults, ["127.0.0.0/8", "0:0:0:0:0:0:0:1/128"]);
  const set = loadConfig({ TRUSTED_PROXIES: "172.16.0.0/12, 192.168.1.10" }).trustedProxies;
  assert.deepEqual(set.map((r) => r.text), ["172.16.0.0/12", "192.168.1.10/32"]);
  assert.throws(
    () => loadConfig({ TRUSTED_PROXIES: "10.0.0.0/8, proxy.local" }),
    /Invalid TRUSTED_PROXIES: "proxy.local" is not an IP address or CIDR range/,
  );
});

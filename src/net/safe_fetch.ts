/**
 * Fetching user-supplied URLs (reference images) without letting them reach
 * the server's own network: every target address is classified after DNS
 * resolution and on every redirect, and the connection is pinned to the
 * checked address (the HTTP client's own lookup is replaced), so a DNS answer
 * that changes between check and connect cannot slip through.
 * @module
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";

/** An address a hostname resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to all its addresses. Injected in tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** What an address is, for the purpose of refusing it. */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "unspecified"
  | "multicast"
  | "reserved";

/** Why a fetch was refused or failed; `reason` is safe to show to the client. */
export class FetchRefusedError extends Error {
  override name = "FetchRefusedError";
  /** `cause`: the network error behind a failed download, for the operator's log only. */
  constructor(message: string, readonly status: 400 | 413 | 504 = 400, options?: ErrorOptions) {
    super(message, options);
  }
}

function parseIpv4(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? bytes : undefined;
}

/** A range of one family: the address's leading `bits` must equal `prefix`'s. */
interface Range {
  prefix: bigint;
  bits: number;
  kind: AddressClass;
}

const v4 = (cidr: string, kind: AddressClass): Range => {
  const [ip, bits] = cidr.split("/");
  return { prefix: v4Value(parseIpv4(ip)!), bits: Number(bits), kind };
};

function v4Value(bytes: readonly number[]): bigint {
  return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

function inRange(value: bigint, width: number, range: Range): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.prefix >> shift;
}

/**
 * The IANA IPv4 Special-Purpose Address Registry (RFC 6890 and later), plus
 * multicast. Anything special is refused, even the few globally reachable
 * anycast services in it: no reference image lives there.
 */
const IPV4_RANGES: readonly Range[] = [
  v4("0.0.0.0/8", "unspecified"), // "this network"
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "private"), // shared address space (carrier-grade NAT)
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link_local"), // includes cloud metadata 169.254.169.254
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "reserved"), // IETF protocol assignments (DS-Lite, NAT64 discovery, …)
  v4("192.0.2.0/24", "reserved"), // TEST-NET-1
  v4("192.31.196.0/24", "reserved"), // AS112-v4
  v4("192.52.193.0/24", "reserved"), // AMT
  v4("192.88.99.0/24", "reserved"), // deprecated 6to4 relay anycast
  v4("192.168.0.0/16", "private"),
  v4("192.175.48.0/24", "reserved"), // direct delegation AS112 service
  v4("198.18.0.0/15", "reserved"), // benchmarking
  v4("198.51.100.0/24", "reserved"), // TEST-NET-2
  v4("203.0.113.0/24", "reserved"), // TEST-NET-3
  v4("224.0.0.0/4", "multicast"),
  v4("240.0.0.0/4", "reserved"), // reserved, and 255.255.255.255 (limited broadcast)
];

function classifyIpv4(bytes: readonly number[]): AddressClass {
  const value = v4Value(bytes);
  return IPV4_RANGES.find((range) => inRange(value, 32, range))?.kind ?? "public";
}

/** Expands an IPv6 address into 8 groups; `undefined` if it is not one. */
function parseIpv6(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(":");
  if (lastColon === -1) return undefined;
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
    const quad = parseIpv4(last);
    if (!quad) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(quad[0], quad[1])}:${hex(quad[2], quad[3])}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const toGroups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = toGroups(halves[0]);
  const rest = halves.length === 2 ? toGroups(halves[1]) : [];
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (head.length + rest.length > (halves.length === 2 ? 7 : 8)) return undefined;
  const groups = [...head, ...Array(8 - head.length - rest.length).fill("0"), ...rest];
  const numbers = groups.map((g: string) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return numbers.some(Number.isNaN) ? undefined : numbers;
}

/** An IPv6 range: `prefix` in the usual notation. */
const v6 = (cidr: string, kind: AddressClass): Range => {
  const [ip, bits] = cidr.split("/");
  return { prefix: v6Value(parseIpv6(ip)!), bits: Number(bits), kind };
};

function v6Value(groups: readonly number[]): bigint {
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** The IPv4 address in bits `offset`…`offset + 31` of an IPv6 address. */
function embeddedV4(value: bigint, offset: number): number[] {
  const bits = Number((value >> BigInt(96 - offset)) & 0xffffffffn);
  return [bits >>> 24, (bits >>> 16) & 255, (bits >>> 8) & 255, bits & 255];
}

/**
 * IPv6 ranges that carry an IPv4 address: they are what the IPv4 address is
 * (a translator or relay would take the connection there).
 */
const IPV6_EMBEDDING: readonly (Range & { offset: number })[] = [
  { ...v6("::ffff:0:0/96", "reserved"), offset: 96 }, // IPv4-mapped
  { ...v6("::ffff:0:0:0/96", "reserved"), offset: 96 }, // IPv4-translated (SIIT)
  { ...v6("64:ff9b::/96", "reserved"), offset: 96 }, // NAT64, well-known prefix
  { ...v6("2002::/16", "reserved"), offset: 16 }, // 6to4
];

/**
 * The IANA IPv6 Special-Purpose Address Registry, multicast and the
 * deprecated site-local range, most specific first. Addresses outside
 * 2000::/3 (global unicast) and these ranges are unassigned: reserved.
 */
const IPV6_RANGES: readonly Range[] = [
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  v6("64:ff9b:1::/48", "private"), // local-use IPv4/IPv6 translation
  v6("100::/64", "reserved"), // discard-only
  v6("100:0:0:1::/64", "reserved"), // dummy IPv6 prefix
  v6("2001::/23", "reserved"), // IETF protocol assignments: ORCHID, AMT, AS112, benchmarking, …
  v6("2001:db8::/32", "reserved"), // documentation
  v6("2620:4f:8000::/48", "reserved"), // direct delegation AS112 service
  v6("3fff::/20", "reserved"), // documentation
  v6("5f00::/16", "reserved"), // segment routing (SRv6) SIDs
  v6("fc00::/7", "private"), // unique local, incl. fd00:ec2::254 (cloud metadata)
  v6("fe80::/10", "link_local"),
  v6("fec0::/10", "private"), // deprecated site-local
  v6("ff00::/8", "multicast"),
];

const TEREDO = v6("2001::/32", "reserved");
const IPV4_COMPATIBLE = v6("::/96", "reserved");
const GLOBAL_UNICAST = v6("2000::/3", "public");

function classifyIpv6(groups: readonly number[]): AddressClass {
  const value = v6Value(groups);
  for (const range of IPV6_EMBEDDING) {
    if (inRange(value, 128, range)) return classifyIpv4(embeddedV4(value, range.offset));
  }
  if (inRange(value, 128, TEREDO)) {
    // Teredo: the server's IPv4 address, then the client's, inverted. A tunnel is never a
    // place for reference images; an embedded private address says what it really is.
    const client = embeddedV4(value ^ 0xffffffffn, 96);
    for (const inner of [embeddedV4(value, 32), client]) {
      const kind = classifyIpv4(inner);
      if (kind !== "public") return kind;
    }
    return "reserved";
  }
  const special = IPV6_RANGES.find((range) => inRange(value, 128, range));
  if (special) return special.kind;
  if (inRange(value, 128, IPV4_COMPATIBLE)) {
    // Deprecated IPv4-compatible form (::a.b.c.d): what it embeds if special, else reserved.
    const kind = classifyIpv4(embeddedV4(value, 96));
    return kind === "public" ? "reserved" : kind;
  }
  return inRange(value, 128, GLOBAL_UNICAST) ? "public" : "reserved";
}

/** Classifies an IP address literal; anything unparseable is "reserved". */
export function classifyAddress(ip: string): AddressClass {
  const quad = parseIpv4(ip);
  if (quad) return classifyIpv4(quad);
  const groups = parseIpv6(ip.replace(/^\[|\]$/g, ""));
  return groups ? classifyIpv6(groups) : "reserved";
}

/** The system resolver. */
export const systemResolver: Resolver = async (hostname) => {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

/** Options of {@linkcode fetchUntrusted}. */
export interface SafeFetchOptions {
  resolver?: Resolver;
  /** `host` or `host:port` entries (lower-case) allowed even when private. */
  allowlist?: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  /** @default 5 */
  maxRedirects?: number;
  signal?: AbortSignal;
}

/** A fetched body. */
export interface FetchedBody {
  bytes: Uint8Array;
  contentType: string;
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : "80");
}

/** Checks one URL's target and returns the address to connect to. */
export async function vetTarget(
  url: URL,
  resolver: Resolver,
  allowlist: readonly string[],
): Promise<ResolvedAddress> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchRefusedError(`Only http and https image URLs are accepted, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new FetchRefusedError("Image URLs must not carry credentials");
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const allowed = allowlist.includes(hostname) ||
    allowlist.includes(`${hostname}:${defaultPort(url)}`);
  let addresses: ResolvedAddress[];
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolver(hostname);
    } catch {
      throw new FetchRefusedError(`Could not resolve the image host "${hostname}"`);
    }
  }
  if (addresses.length === 0) {
    throw new FetchRefusedError(`Could not resolve the image host "${hostname}"`);
  }
  if (!allowed) {
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind !== "public") {
        throw new FetchRefusedError(
          `Refusing to fetch an image from "${hostname}": it resolves to a ${
            kind.replace("_", "-")
          } address`,
        );
      }
    }
  }
  return addresses[0];
}

function requestOnce(
  url: URL,
  target: ResolvedAddress,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const module = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = module.request(url, {
      method: "GET",
      signal,
      headers: { "User-Agent": "jimeng-api", "Accept": "image/*" },
      // Connect to the address that was checked, never to a fresh DNS answer.
      lookup:
        ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
          if (options?.all) callback(null, [target]);
          else callback(null, target.address, target.family);
        }) as unknown as typeof import("node:dns").lookup,
    }, resolve);
    request.on("error", reject);
    request.end();
  });
}

/**
 * Downloads a user-supplied URL with the SSRF guard, a size cap and a
 * timeout, following up to `maxRedirects` redirects (each re-checked).
 *
 * @throws {FetchRefusedError} with a message safe to return to the client
 */
export async function fetchUntrusted(
  rawUrl: string,
  options: SafeFetchOptions,
): Promise<FetchedBody> {
  const resolver = options.resolver ?? systemResolver;
  const allowlist = options.allowlist ?? [];
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new FetchRefusedError("The image URL is not a valid URL");
  }
  try {
    for (let hop = 0;; hop++) {
      const target = await vetTarget(url, resolver, allowlist);
      const response = await requestOnce(url, target, signal);
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        if (hop >= (options.maxRedirects ?? 5)) {
          throw new FetchRefusedError("The image URL redirects too many times");
        }
        url = new URL(response.headers.location, url);
        continue;
      }
      if (status !== 200) {
        response.resume();
        throw new FetchRefusedError(`The image URL answered HTTP ${status}`);
      }
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        response.destroy();
        throw new FetchRefusedError(
          `The image at the URL is larger than ${options.maxBytes} bytes`,
          413,
        );
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response) {
        size += (chunk as Uint8Array).length;
        if (size > options.maxBytes) {
          response.destroy();
          throw new FetchRefusedError(
            `The image at the URL is larger than ${options.maxBytes} bytes`,
            413,
          );
        }
        chunks.push(chunk as Uint8Array);
      }
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      return { bytes, contentType: String(response.headers["content-type"] ?? "") };
    }
  } catch (error) {
    if (error instanceof FetchRefusedError) throw error;
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted) {
      throw new FetchRefusedError(
        `The image URL did not answer within ${options.timeoutMs} ms`,
        504,
      );
    }
    // The cause ("connection refused", "socket hang up", a TLS alert…) stays here: told to the
    // client, it would make this server a port scanner.
    throw new FetchRefusedError("Could not download the image from the URL", 400, {
      cause: error,
    });
  }
}

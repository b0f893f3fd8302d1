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
  constructor(message: string, readonly status: 400 | 413 | 504 = 400) {
    super(message);
  }
}

function parseIpv4(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? bytes : undefined;
}

function classifyIpv4([a, b, c]: number[]): AddressClass {
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private"; // carrier-grade NAT
  if (a === 169 && b === 254) return "link_local"; // includes cloud metadata 169.254.169.254
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "reserved";
  if (a === 198 && (b === 18 || b === 19)) return "reserved";
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) {
    return "reserved";
  }
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved";
  return "public";
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
    const v4 = parseIpv4(last);
    if (!v4) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
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

function classifyIpv6(g: number[]): AddressClass {
  const embeddedV4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return classifyIpv4(embeddedV4(g[6], g[7]));
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) return classifyIpv4(embeddedV4(g[6], g[7])); // NAT64
  if (g[0] === 0x2002) return classifyIpv4(embeddedV4(g[1], g[2])); // 6to4
  if ((g[0] & 0xfe00) === 0xfc00) return "private"; // unique local, incl. fd00:ec2::254
  if ((g[0] & 0xffc0) === 0xfe80) return "link_local";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "reserved";
  if (g[0] === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return "reserved";
  return "public";
}

/** Classifies an IP address literal; anything unparseable is "reserved". */
export function classifyAddress(ip: string): AddressClass {
  const v4 = parseIpv4(ip);
  if (v4) return classifyIpv4(v4);
  const v6 = parseIpv6(ip.replace(/^\[|\]$/g, ""));
  return v6 ? classifyIpv6(v6) : "reserved";
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
    throw new FetchRefusedError(`Could not download the image: ${(error as Error).message}`);
  }
}

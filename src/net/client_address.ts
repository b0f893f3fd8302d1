/**
 * Who the client is, for per-address limits (login throttle, `/token/check`).
 * Without `TRUST_PROXY` it is the connection's peer. With it, and only when
 * the peer is one of `TRUSTED_PROXIES`, `X-Forwarded-For` is read from the
 * right: each proxy appends the address it saw, so the right-most entry that
 * is not a trusted proxy is the client; everything left of it was written by
 * the client and is ignored.
 * @module
 */
import type { Context } from "hono";
import { type Cidr, cidrContains, formatIp, parseCidr, parseIp } from "./cidr.ts";

/** The proxies trusted when `TRUSTED_PROXIES` is not set: this machine. */
export const DEFAULT_TRUSTED_PROXIES = "127.0.0.0/8,::1";

/** Entries of `X-Forwarded-For` looked at, from the right (a chain of proxies is short). */
const MAX_HOPS = 32;

/** How the client address is found. */
export interface ClientAddressOptions {
  trustProxy: boolean;
  trustedProxies: readonly Cidr[];
  /** Told (once per peer, up to a bound) when a peer outside the trusted list sent X-Forwarded-For. */
  onUntrustedForwarder?: (peer: string) => void;
}

/** Parses a comma list of addresses and CIDR ranges (`TRUSTED_PROXIES`). */
export function parseCidrList(raw: string): Cidr[] {
  return raw.split(",").map((item) => item.trim()).filter(Boolean).map(parseCidr);
}

/** An address without its port or brackets (`[::1]:80`, `1.2.3.4:5678`). */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4 ? v4[1] : entry;
}

/**
 * The client's address given the connection's peer and the
 * `X-Forwarded-For` header (all of its values, comma-joined).
 */
export function resolveClientAddress(
  peer: string,
  forwardedFor: string | undefined,
  options: ClientAddressOptions,
): string {
  const peerBytes = parseIp(peer);
  const peerText = peerBytes ? formatIp(peerBytes) : peer;
  if (!options.trustProxy || !forwardedFor) return peerText;
  const trusted = (bytes: Uint8Array) => options.trustedProxies.some((r) => cidrContains(r, bytes));
  if (!peerBytes || !trusted(peerBytes)) {
    options.onUntrustedForwarder?.(peerText);
    return peerText;
  }
  const entries = forwardedFor.split(",").map((e) => e.trim()).filter(Boolean).slice(-MAX_HOPS);
  for (let i = entries.length - 1; i >= 0; i--) {
    const bytes = parseIp(withoutPort(entries[i]));
    // Written by a trusted proxy, so not forged; but not an address either (e.g. "unknown").
    if (!bytes) return entries[i].slice(0, 64);
    if (!trusted(bytes)) return formatIp(bytes);
  }
  // Every hop is a trusted proxy: the farthest one is the client.
  const first = entries[0];
  const bytes = first === undefined ? undefined : parseIp(withoutPort(first));
  return bytes ? formatIp(bytes) : peerText;
}

/** Peers already reported to `onUntrustedForwarder`. */
const MAX_REPORTED = 100;

/** A function of the request giving its client address, per {@linkcode ClientAddressOptions}. */
export function clientAddressOf(options: ClientAddressOptions): (c: Context) => string {
  const reported = new Set<string>();
  const report = options.onUntrustedForwarder;
  const resolved: ClientAddressOptions = {
    ...options,
    onUntrustedForwarder: report &&
      ((peer) => {
        if (reported.has(peer) || reported.size >= MAX_REPORTED) return;
        reported.add(peer);
        report(peer);
      }),
  };
  return function clientAddress(c) {
    const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
    const peer = info?.remoteAddr?.hostname ?? "unknown";
    return resolveClientAddress(peer, c.req.header("x-forwarded-for"), resolved);
  };
}

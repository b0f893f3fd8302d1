/**
 * Outbound proxies of upstream accounts: parsing a proxy URL (`http://`,
 * `https://`, `socks5://`, `socks5h://`, optional `user:password@`), showing
 * it without its credentials, and the `proxy@[region-]sessionid` token
 * syntax of `JIMENG_SESSIONS` (and, when allowed, of Bearer tokens).
 * @module
 */
import { maskSecret, registerSecret } from "../redact.ts";

/** The proxy protocols Deno's HTTP client speaks. */
export type ProxyScheme = "http" | "https" | "socks5" | "socks5h";

/** A validated proxy. */
export interface ProxySpec {
  scheme: ProxyScheme;
  /** Host as in a URL (IPv6 in brackets). */
  host: string;
  port: number;
  /** Decoded credentials, `null` when none. */
  username: string | null;
  password: string | null;
  /** `scheme://host:port`, without credentials. */
  server: string;
  /** The normalized URL with credentials: what is stored and what identifies the proxy. */
  url: string;
  /** For display: the password hidden, the user name masked. */
  label: string;
}

/** A proxy value that cannot be used; the message never holds the credentials. */
export class ProxyUrlError extends TypeError {
  override name = "ProxyUrlError";
}

const DEFAULT_PORTS: Record<ProxyScheme, number> = {
  http: 80,
  https: 443,
  socks5: 1080,
  socks5h: 1080,
};

/** Longest proxy URL accepted. */
export const MAX_PROXY_URL = 2048;

/** Masks a proxy URL's credentials for display. */
function proxyLabel(server: string, username: string | null, password: string | null): string {
  if (username === null) return server;
  const [scheme, rest] = server.split("://");
  return `${scheme}://${maskSecret(username)}${password === null ? "" : ":****"}@${rest}`;
}

/**
 * Parses and validates a proxy URL. A value without a scheme is `http://`.
 *
 * @throws {ProxyUrlError} naming what is wrong, without echoing credentials
 */
export function parseProxyUrl(raw: string): ProxySpec {
  const text = raw.trim();
  if (text === "") throw new ProxyUrlError("The proxy URL is empty");
  if (text.length > MAX_PROXY_URL) {
    throw new ProxyUrlError(`The proxy URL is longer than ${MAX_PROXY_URL} characters`);
  }
  if (!/^[\x21-\x7e]+$/.test(text)) {
    throw new ProxyUrlError("The proxy URL contains spaces or characters a URL cannot hold");
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProxyUrlError(
      "The proxy is not a URL: write it as scheme://[user:password@]host:port",
    );
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!(scheme in DEFAULT_PORTS)) {
    throw new ProxyUrlError(
      `Proxies of scheme '${scheme}' are not supported: use http://, https://, socks5:// or socks5h://`,
    );
  }
  const host = url.hostname.toLowerCase();
  if (host === "") throw new ProxyUrlError("The proxy URL has no host");
  if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
    throw new ProxyUrlError("The proxy URL must be scheme://[user:password@]host:port, no path");
  }
  const port = url.port === "" ? DEFAULT_PORTS[scheme as ProxyScheme] : Number(url.port);
  let username: string | null = null;
  let password: string | null = null;
  try {
    if (url.username !== "") username = decodeURIComponent(url.username);
    if (url.password !== "") password = decodeURIComponent(url.password);
  } catch {
    throw new ProxyUrlError("The proxy URL's user name or password is not valid percent-encoding");
  }
  if (password !== null && username === null) {
    throw new ProxyUrlError("The proxy URL has a password but no user name");
  }
  // The password, not the user name: masking a common word ("admin") everywhere helps no one.
  if (password !== null) registerSecret(password);
  const server = `${scheme}://${host}:${port}`;
  const credentials = username === null
    ? ""
    : `${encodeURIComponent(username)}${
      password === null ? "" : `:${encodeURIComponent(password)}`
    }@`;
  const normalized = `${scheme}://${credentials}${host}:${port}`;
  if (username !== null) registerSecret(normalized);
  return {
    scheme: scheme as ProxyScheme,
    host,
    port,
    username,
    password,
    server,
    url: normalized,
    label: proxyLabel(server, username, password),
  };
}

/** Whether a token carries a proxy (`proxy@[region-]sessionid`): sessionids never hold `@`. */
export function hasTokenProxy(token: string): boolean {
  return token.includes("@");
}

/** A token split into its proxy (if any) and the `[region-]sessionid` after the last `@`. */
export interface ProxiedToken {
  proxy: AccountProxy | null;
  token: string;
}

/**
 * Splits `proxy@[region-]sessionid` at the last `@` (a proxy's password may
 * hold `@` too); the proxy may be `direct`. A token without `@` has no proxy.
 *
 * @throws {ProxyUrlError} when the proxy part is not a usable proxy
 */
export function splitProxyToken(raw: string): ProxiedToken {
  const at = raw.lastIndexOf("@");
  if (at === -1) return { proxy: null, token: raw };
  return { proxy: parseAccountProxy(raw.slice(0, at)), token: raw.slice(at + 1) };
}

/**
 * Proxy settings in Playwright's form, for a browser context. Chromium
 * resolves host names at a SOCKS5 proxy on its own (so `socks5h` is
 * `socks5` there) and cannot authenticate to a SOCKS5 proxy.
 *
 * @throws {ProxyUrlError} for a SOCKS5 proxy with credentials
 */
export function browserProxy(
  spec: ProxySpec,
): { server: string; username?: string; password?: string } {
  const socks = spec.scheme === "socks5" || spec.scheme === "socks5h";
  if (socks && spec.username !== null) {
    throw new ProxyUrlError(
      `Chromium cannot log in to a SOCKS5 proxy (${spec.label}): use an http:// proxy or one without a password for accounts that go through the browser`,
    );
  }
  const server = socks ? `socks5://${spec.host}:${spec.port}` : spec.server;
  if (spec.username === null) return { server };
  return { server, username: spec.username, password: spec.password ?? "" };
}

/** An account's own proxy setting: a proxy, or `direct` (never through a proxy). */
export type AccountProxy = ProxySpec | "direct";

/**
 * Parses an account's proxy setting: a proxy URL, or `direct` to keep the
 * account off the default proxy.
 *
 * @throws {ProxyUrlError} for anything else
 */
export function parseAccountProxy(raw: string): AccountProxy {
  return raw.trim().toLowerCase() === "direct" ? "direct" : parseProxyUrl(raw);
}

/** The stored text of an account's proxy setting (`parseAccountProxy` reads it back). */
export function accountProxyText(proxy: AccountProxy): string {
  return proxy === "direct" ? "direct" : proxy.url;
}

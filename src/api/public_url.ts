/**
 * The address clients reach this server at, for the links it hands out
 * (`/media/…`, the base URL shown with a new API key): `PUBLIC_BASE_URL`
 * when set, else the request's own `Host` — and, only with `TRUST_PROXY`,
 * `X-Forwarded-Host` / `X-Forwarded-Proto` from the reverse proxy. A header
 * that is not a plain host name or address with an optional port gives no
 * base (the caller falls back, e.g. to upstream links).
 * @module
 */
import type { Context } from "hono";

/** What the base URL depends on. */
export interface PublicUrlConfig {
  publicBaseUrl: string | null;
  trustProxy: boolean;
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST = new RegExp(
  `^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9a-f:.]{2,45}\\])(?::(\\d{1,5}))?$`,
  "i",
);

/** `host` or `host:port` as sent in `Host`, lower-cased, or `null` when it is not one. */
export function validHost(value: string | undefined): string | null {
  if (value === undefined) return null;
  const host = value.trim().toLowerCase();
  if (host.length === 0 || host.length > 261) return null;
  const match = HOST.exec(host);
  if (!match) return null;
  if (match[1] !== undefined) {
    const port = Number(match[1]);
    if (port < 1 || port > 65535) return null;
  }
  try {
    const parsed = new URL(`http://${host}/`);
    if (parsed.username || parsed.password || parsed.pathname !== "/") return null;
  } catch {
    return null;
  }
  return host;
}

/** The first value of a comma-separated forwarding header. */
function firstValue(header: string | undefined): string | undefined {
  const first = header?.split(",")[0]?.trim();
  return first ? first : undefined;
}

/** The public base URL (no trailing slash) for a request, or `null` when it cannot be told. */
export function publicBaseUrl(c: Context, config: PublicUrlConfig): string | null {
  if (config.publicBaseUrl) return config.publicBaseUrl;
  const forwardedHost = config.trustProxy
    ? firstValue(c.req.header("x-forwarded-host"))
    : undefined;
  const host = validHost(forwardedHost ?? c.req.header("host"));
  if (host === null) return null;
  const forwardedProto = config.trustProxy
    ? firstValue(c.req.header("x-forwarded-proto"))?.toLowerCase()
    : undefined;
  const scheme = forwardedProto === "https" || forwardedProto === "http"
    ? forwardedProto
    : new URL(c.req.url).protocol === "https:"
    ? "https"
    : "http";
  return `${scheme}://${host}`;
}

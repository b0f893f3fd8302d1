/**
 * Which `Host` a request may name, and which origin this server's own pages
 * have. A page of another site that rebinds its DNS name to this machine
 * reaches the server with its own name in `Host`: only IP addresses,
 * `localhost` names, PUBLIC_BASE_URL's host and the names in ALLOWED_HOSTS
 * are served (DNS-rebinding protection for local installs). The console's
 * state-changing calls must come from this server's origin — scheme, host
 * and port — which is PUBLIC_BASE_URL's when it is set, else the one the
 * request itself reached (its `Host`, checked above, on plain HTTP unless a
 * trusted proxy says HTTPS).
 * @module
 */
import { isIP } from "node:net";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "./errors.ts";

/** What the guard is configured with. */
export interface HostPolicy {
  /** ALLOWED_HOSTS entries, lower-case: `name`, `name:port`, `.suffix`, or `*`. */
  allowedHosts: readonly string[];
  /** PUBLIC_BASE_URL, if set. */
  publicBaseUrl: string | null;
  /** Whether X-Forwarded-Host/-Proto describe the client's request. */
  trustProxy: boolean;
}

/** Paths served whatever the `Host` (health checks name the container's address). */
const ANY_HOST_PATHS = new Set(["/ping"]);

/** The host (and port) the client addressed. */
export function requestHost(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy ? c.req.header("x-forwarded-host")?.split(",")[0].trim() : undefined;
  return (forwarded || c.req.header("host") || new URL(c.req.url).host).toLowerCase();
}

/** `host[:port]` split; IPv6 brackets removed, a trailing dot dropped. */
function splitHost(host: string): { name: string; port: string } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  if (!match) return { name: host, port: "" };
  return { name: match[1].replace(/^\[|\]$/g, "").replace(/\.$/, ""), port: match[2] ?? "" };
}

/** Whether a request naming `host` may be served. */
export function isAllowedHost(host: string, policy: HostPolicy): boolean {
  const { name, port } = splitHost(host.toLowerCase());
  if (name === "") return false;
  if (isIP(name) !== 0 || name === "localhost" || name.endsWith(".localhost")) return true;
  if (policy.publicBaseUrl && new URL(policy.publicBaseUrl).hostname === name) return true;
  return policy.allowedHosts.some((entry) => {
    if (entry === "*") return true;
    if (entry.startsWith(".")) return name.endsWith(entry) || name === entry.slice(1);
    const allowed = splitHost(entry);
    return allowed.name === name && (allowed.port === "" || allowed.port === port);
  });
}

function isLoopbackName(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost") || name === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * The origins this server's own pages have, for this request: PUBLIC_BASE_URL's
 * when set (and, for an administrator on the machine itself, a loopback
 * origin the request reached), else the origin the request reached.
 */
export function ownOrigins(c: Context, policy: HostPolicy): string[] {
  const host = requestHost(c, policy.trustProxy);
  const forwardedProto = policy.trustProxy
    ? c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase()
    : undefined;
  const scheme = forwardedProto === "https" || new URL(c.req.url).protocol === "https:"
    ? "https"
    : "http";
  let reached: string | undefined;
  try {
    reached = new URL(`${scheme}://${host}`).origin;
  } catch {
    reached = undefined;
  }
  if (!policy.publicBaseUrl) return reached ? [reached] : [];
  const origins = [new URL(policy.publicBaseUrl).origin];
  if (reached && isLoopbackName(splitHost(host).name)) origins.push(reached);
  return origins;
}

/** Whether `origin` (an `Origin` header) is one of this server's own, for this request. */
export function isOwnOrigin(c: Context, policy: HostPolicy, origin: string): boolean {
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return false;
  }
  return ownOrigins(c, policy).includes(given);
}

/** Context key of the policy, for the console's same-origin check. */
export const HOST_POLICY = "hostPolicy";

/**
 * Refuses requests whose `Host` is not allowed (400 `host_not_allowed`) and
 * leaves the policy in the context for the same-origin checks.
 */
export function guardHosts(policy: HostPolicy) {
  return createMiddleware(async function hostGuard(c, next) {
    const host = requestHost(c, policy.trustProxy);
    if (!ANY_HOST_PATHS.has(c.req.path) && !isAllowedHost(host, policy)) {
      throw new ApiError(
        400,
        `The host "${
          host.slice(0, 100)
        }" is not served here: add it to ALLOWED_HOSTS (names other than IP addresses, localhost and PUBLIC_BASE_URL's host are refused, against DNS rebinding)`,
        "invalid_request_error",
        "host_not_allowed",
      );
    }
    c.set(HOST_POLICY, policy);
    await next();
  });
}

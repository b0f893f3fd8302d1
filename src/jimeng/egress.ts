/**
 * Which way an account's upstream traffic leaves the server: through the
 * account's own proxy, else through `JIMENG_PROXY`, else directly. Every
 * upstream request of an account (API calls, uploads, result downloads)
 * takes its `fetchFor`, so one account's proxy never carries another's.
 * @module
 */
import type { ProxyClients } from "../net/proxy_clients.ts";
import type { ProxySpec } from "../net/proxy.ts";
import { JimengError } from "./errors.ts";
import type { Session } from "./http.ts";

/** What {@linkcode createEgress} needs. */
export interface EgressOptions {
  clients: ProxyClients;
  /** `JIMENG_PROXY`, read on every call so that a change in the console applies at once. */
  defaultProxy: () => ProxySpec | null;
}

/** The egress of every account. */
export interface Egress {
  /** The proxy a session's traffic takes; `null` = directly. `{}` = an account without its own. */
  proxyOf(session: Pick<Session, "proxy">): ProxySpec | null;
  /**
   * `base` bound to the session's egress. A failure of the proxy (unreachable,
   * credentials refused, tunnel refused) becomes a {@linkcode JimengError} of
   * kind `proxy_error`; aborts and timeouts pass through unchanged.
   */
  fetchFor(session: Pick<Session, "proxy">, base: typeof fetch): typeof fetch;
  /** Closes the proxies' clients. */
  close(): void;
}

/** The innermost message of an error chain, without the URL Deno puts in it. */
function failureDetail(error: unknown): string {
  let current = error as { message?: unknown; cause?: unknown } | undefined;
  let message = "";
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.message === "string" && current.message !== "") message = current.message;
    current = current.cause as typeof current;
  }
  const connect = /client error \(Connect\):\s*(.+)$/s.exec(message);
  const detail = connect ? connect[1] : message.replace(/\s*for url \([^)]*\)/, "");
  return detail.replace(/\s+/g, " ").trim() || "the connection failed";
}

/** The error of a failed proxy; `label` is already free of credentials. */
export function proxyError(proxy: ProxySpec, detail: string, cause?: unknown): JimengError {
  return new JimengError(
    "proxy_error",
    `The account's proxy ${proxy.label} failed: ${detail}`,
    { code: "proxy_error", retriable: true, cause },
  );
}

/** Creates the egress. */
export function createEgress(options: EgressOptions): Egress {
  function proxyOf(session: Pick<Session, "proxy">): ProxySpec | null {
    if (session.proxy === "direct") return null;
    return session.proxy ?? options.defaultProxy();
  }

  return {
    proxyOf,
    fetchFor(session, base) {
      const proxy = proxyOf(session);
      if (proxy === null) return base;
      return async function fetchThroughProxy(input, init) {
        const client = options.clients.clientFor(proxy);
        let response: Response;
        try {
          response = await base(input, { ...init, client });
        } catch (error) {
          if (error instanceof JimengError || !(error instanceof TypeError)) throw error;
          if (init?.signal?.aborted) throw error;
          throw proxyError(proxy, failureDetail(error), error);
        }
        // A forwarding proxy answers plain-HTTP requests itself when it refuses them.
        if (response.status === 407) {
          await response.body?.cancel();
          throw proxyError(proxy, "it refused the credentials (HTTP 407)");
        }
        return response;
      };
    },
    close: () => options.clients.close(),
  };
}

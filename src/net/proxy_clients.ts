/**
 * One Deno HTTP client per distinct proxy, created on first use and reused
 * (a client keeps its pooled connections to the proxy), closed on shutdown.
 * @module
 */
import type { ProxySpec } from "./proxy.ts";

/** Options of {@linkcode createProxyClients}. */
export interface ProxyClientsOptions {
  /** Clients kept at most; the least recently used one beyond is retired. @default 256 */
  max?: number;
  /** How long a retired client stays open for calls still using it. @default 300000 */
  retireMs?: number;
  /** Extra root certificates (PEM), e.g. a test's own CA. */
  caCerts?: string[];
}

/** The cache. */
export interface ProxyClients {
  /** The client that connects through `proxy`. */
  clientFor(proxy: ProxySpec): Deno.HttpClient;
  /** Clients open now. */
  size(): number;
  /** Closes every client; later calls create new ones. */
  close(): void;
}

/** Creates the cache. */
export function createProxyClients(options: ProxyClientsOptions = {}): ProxyClients {
  const max = options.max ?? 256;
  const retireMs = options.retireMs ?? 300_000;
  const clients = new Map<string, Deno.HttpClient>();
  const retiring = new Map<Deno.HttpClient, ReturnType<typeof setTimeout>>();

  function retire(client: Deno.HttpClient): void {
    // Calls may still be using it: close it once they are surely done.
    const timer = setTimeout(() => {
      retiring.delete(client);
      client.close();
    }, retireMs);
    Deno.unrefTimer(timer);
    retiring.set(client, timer);
  }

  return {
    clientFor(proxy) {
      const existing = clients.get(proxy.url);
      if (existing) {
        clients.delete(proxy.url);
        clients.set(proxy.url, existing);
        return existing;
      }
      const client = Deno.createHttpClient({
        caCerts: options.caCerts,
        proxy: {
          url: proxy.server,
          basicAuth: proxy.username === null
            ? undefined
            : { username: proxy.username, password: proxy.password ?? "" },
        },
      });
      clients.set(proxy.url, client);
      if (clients.size > max) {
        const [oldest, old] = clients.entries().next().value!;
        clients.delete(oldest);
        retire(old);
      }
      return client;
    },
    size: () => clients.size,
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
      for (const [client, timer] of retiring) {
        clearTimeout(timer);
        client.close();
      }
      retiring.clear();
    },
  };
}

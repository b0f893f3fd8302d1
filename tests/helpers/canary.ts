/**
 * A loopback listener that counts the TCP connections it receives: the proof
 * that a refused fetch never connected, without traffic leaving the machine.
 * @module
 */

/** A running canary. */
export interface Canary {
  port: number;
  /** `http://127.0.0.1:<port>/canary.png`. */
  url: string;
  connections(): number;
  close(): void;
}

/** Starts a canary on 127.0.0.1 and an ephemeral port. */
export function startCanary(): Canary {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/canary.png`,
    connections: () => connections,
    close: () => listener.close(),
  };
}

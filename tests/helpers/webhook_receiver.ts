/**
 * A loopback webhook receiver: records every POST (headers and raw body) and
 * answers as the test says, request by request.
 * @module
 */

/** One received request. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** How the receiver answers the n-th request (0-based); `signal` aborts when the sender gives up. */
export type Answer = (
  index: number,
  request: Received,
  signal: AbortSignal,
) => Response | Promise<Response>;

/** A running receiver. */
export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Changes how later requests are answered. */
  answer(fn: Answer): void;
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 answering 200 unless told otherwise. */
export function startReceiver(answer: Answer = () => new Response("ok")): WebhookReceiver {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let respond = answer;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const entry: Received = {
      path: new URL(req.url).pathname,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    };
    const index = received.push(entry) - 1;
    for (const waiter of waiters.filter((w) => received.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    return await respond(index, entry, req.signal);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    answer: (fn) => void (respond = fn),
    waitFor(count, timeoutMs = 20_000) {
      if (received.length >= count) return Promise.resolve(received.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`Timed out waiting for ${count} webhook(s); got ${received.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received.slice());
          },
        });
      });
    },
    close: () => server.shutdown(),
  };
}

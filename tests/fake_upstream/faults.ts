/**
 * Transport faults (`knobs.faults`): 5xx pages, hangs, mid-body resets,
 * truncated JSON, HTML error pages and slow answers, either before the
 * request takes effect or after it did (to catch clients that resubmit).
 * Every wait is tracked so `close()` can release it: no leaked timers.
 * @module
 */
import type { Reply } from "./reply.ts";
import type { FakeState, FaultKind } from "./state.ts";

/** Delay of a "slow" fault. */
export const SLOW_FAULT_MS = 2000;

/** Pending waits and hangs, released on close. */
export interface Lifetime {
  closed: boolean;
  pending: Set<() => void>;
}

/** A new lifetime. */
export function createLifetime(): Lifetime {
  return { closed: false, pending: new Set() };
}

/** Releases every pending wait (on close). */
export function releaseAll(lifetime: Lifetime): void {
  lifetime.closed = true;
  for (const release of [...lifetime.pending]) release();
}

/**
 * Resolves after `ms` (never when `ms` is infinite), when the client goes
 * away, or when the server closes, whichever comes first.
 */
export function wait(lifetime: Lifetime, ms: number, signal: AbortSignal): Promise<void> {
  if (lifetime.closed || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(release, ms) : undefined;
    function release() {
      clearTimeout(timer);
      signal.removeEventListener("abort", release);
      lifetime.pending.delete(release);
      resolve();
    }
    signal.addEventListener("abort", release, { once: true });
    lifetime.pending.add(release);
  });
}

/** The fault chosen for one request. */
export interface Fault {
  kind: FaultKind;
  afterProcessing: boolean;
}

/** Draws whether this request gets a fault (`key` is the stats key, `path` the URL path). */
export function pickFault(state: FakeState, key: string, path: string): Fault | undefined {
  const { rate, kinds, pathPattern, afterProcessing } = state.knobs.faults;
  if (!(rate > 0) || kinds.length === 0) return undefined;
  if (pathPattern) {
    pathPattern.lastIndex = 0;
    const matches = pathPattern.test(key);
    pathPattern.lastIndex = 0;
    if (!matches && !pathPattern.test(path)) return undefined;
  }
  if (state.random() >= rate) return undefined;
  const kind = kinds[Math.floor(state.random() * kinds.length)] ?? kinds[0];
  state.stats.faultsInjected++;
  return { kind, afterProcessing: afterProcessing === true };
}

const encoder = new TextEncoder();

/** What a truncated or reset answer cuts when the request never ran. */
const PLACEHOLDER = '{"ret":"0","errmsg":"success","systime":"0","logid":"0","data":{"result":{}}}';

function bodyBytes(reply: Reply | undefined): Uint8Array {
  const body = reply?.body ?? PLACEHOLDER;
  return typeof body === "string" ? encoder.encode(body) : body;
}

function htmlPage(status: number, title: string): Reply {
  return {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
    body: `<!DOCTYPE html><html><head><title>${title}</title></head>` +
      `<body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`,
  };
}

/** Turns a reply into a `Response`. */
export function toResponse(reply: Reply): Response {
  return new Response(reply.body as BodyInit | null, {
    status: reply.status,
    headers: reply.headers,
  });
}

/**
 * Answers `fault`. `run` performs the request; it is called first when the
 * fault comes after processing, and not at all for 5xx/hang/reset/truncated/
 * html faults that come before.
 */
export async function answerWithFault(
  state: FakeState,
  lifetime: Lifetime,
  fault: Fault,
  run: () => Promise<Reply>,
  signal: AbortSignal,
): Promise<Response> {
  if (fault.kind === "slow") {
    if (fault.afterProcessing) {
      const reply = await run();
      await wait(lifetime, SLOW_FAULT_MS, signal);
      return toResponse(reply);
    }
    await wait(lifetime, SLOW_FAULT_MS, signal);
    return toResponse(await run());
  }
  const done = fault.afterProcessing ? await run() : undefined;
  switch (fault.kind) {
    case "5xx": {
      const status = state.random() < 0.5 ? 502 : 503;
      if (state.random() < 0.5) return toResponse(htmlPage(status, `${status} Bad Gateway`));
      return Response.json({ code: status, message: "upstream unavailable" }, { status });
    }
    case "html":
      return toResponse(htmlPage(200, "系统繁忙，请稍后再试"));
    case "truncated": {
      const bytes = bodyBytes(done);
      return toResponse({
        status: 200,
        headers: done?.headers ?? { "content-type": "application/json; charset=utf-8" },
        body: bytes.slice(0, Math.floor(bytes.length / 2)),
      });
    }
    case "reset": {
      // Promise a full Content-Length, send half, end the stream: Deno then
      // drops the connection mid-body, which the client sees as a reset.
      const bytes = bodyBytes(done);
      const half = bytes.slice(0, Math.max(1, Math.floor(bytes.length / 2)));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(half);
          controller.close();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: {
          ...(done?.headers ?? { "content-type": "application/json; charset=utf-8" }),
          "content-length": String(bytes.length + 1),
        },
      });
    }
    case "hang":
      await wait(lifetime, Infinity, signal);
      return toResponse(htmlPage(503, "503 Service Unavailable"));
  }
}

/**
 * Server-sent events as OpenAI streams them: `data: <json>` events, SSE
 * comment lines to keep idle connections open, `data: [DONE]` at the end.
 * @module
 */

/** A writer for one event stream. */
export interface EventWriter {
  /** Sends one `data:` event with a JSON payload. */
  send(payload: unknown): void;
  /** Sends an SSE comment (ignored by clients, keeps proxies from timing out). */
  comment(text: string): void;
  /** Sends `data: [DONE]` and closes. */
  done(): void;
  /** Closes without `[DONE]` (after an error event). */
  close(): void;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

/** Options of {@linkcode eventStream}. */
export interface EventStreamOptions {
  /** Interval of keep-alive comments. @default 10000 */
  keepAliveMs?: number;
  /** The request's signal; its abort means the client went away. */
  signal?: AbortSignal;
}

const encoder = new TextEncoder();

/**
 * Creates a `text/event-stream` response and runs `body` with its writer.
 * Errors thrown by `body` must be handled by it (the status is already sent).
 */
export function eventStream(
  body: (writer: EventWriter) => Promise<void>,
  options: EventStreamOptions = {},
): Response {
  const abort = new AbortController();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  const write = (text: string) => {
    if (closed) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      finish();
    }
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    options.signal?.removeEventListener("abort", onClientAbort);
    try {
      controller.close();
    } catch {
      // Already closed by a cancelled reader.
    }
  };
  const onClientAbort = () => {
    abort.abort(new DOMException("The client disconnected", "AbortError"));
    finish();
  };
  const writer: EventWriter = {
    send: (payload) => write(`data: ${JSON.stringify(payload)}\n\n`),
    comment: (text) => write(`: ${text}\n\n`),
    done() {
      write("data: [DONE]\n\n");
      finish();
    },
    close: finish,
    signal: abort.signal,
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      options.signal?.addEventListener("abort", onClientAbort, { once: true });
      keepAlive = setInterval(() => writer.comment("keep-alive"), options.keepAliveMs ?? 10_000);
      body(writer).finally(finish);
    },
    cancel() {
      onClientAbort();
    },
  });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "Connection": "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
}

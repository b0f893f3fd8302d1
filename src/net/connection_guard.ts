/**
 * A TCP front for the HTTP server, because `Deno.serve` never closes a slow
 * client: the guard listens on the public address, relays every connection
 * to the real server on a loopback port, and follows the HTTP/1.x framing of
 * what clients send (request heads, `Content-Length` and chunked bodies) so it
 * can
 *
 * - close a connection whose request head is not complete within
 *   `headerTimeoutMs` (408 when nothing else is in flight on it), counted from
 *   the request's first byte, or from the moment a kept-alive connection fell
 *   idle;
 * - close one whose body stalls (no byte while the guard waits for one) for
 *   `bodyTimeoutMs` (408 when no response has started);
 * - refuse more than `maxConnectionsPerIp` connections from one address (429).
 *
 * A request head is held back until it is complete, so the server only ever
 * sees whole heads. The real server learns each client's address from
 * {@linkcode ConnectionGuard.track}: the guard's own loopback end of the relay
 * identifies the client, and a signal that aborts when the client's connection
 * ends: `Deno.serve` (2.9) does not abort a request whose client went away
 * once it had read a body of more than a few hundred bytes, the guard sees it
 * at once. HTTP/2 with prior knowledge, `Upgrade` and `CONNECT`
 * are relayed untouched after that point, closed only after `bodyTimeoutMs`
 * without traffic.
 * @module
 */

/** The client behind a relayed request. */
export interface TrackedClient {
  remoteAddr: Deno.NetAddr;
  /** Aborts when the client's connection ends (it closed it, or the guard did). */
  gone: AbortSignal;
}

/** Options of {@linkcode startConnectionGuard}. */
export interface ConnectionGuardOptions {
  hostname: string;
  port: number;
  /** The real server, on loopback. */
  target: Deno.NetAddr;
  /** 0 = no limit. */
  headerTimeoutMs: number;
  /** 0 = no limit. */
  bodyTimeoutMs: number;
  /** 0 = no limit. */
  maxConnectionsPerIp: number;
  /** Called with relay failures worth a log line (never for ordinary disconnects). */
  onError?: (error: unknown) => void;
}

/** The running guard. */
export interface ConnectionGuard {
  /** The public address. */
  readonly addr: Deno.NetAddr;
  /**
   * Called by the real server for each request with the peer address it saw:
   * returns the client's address and a signal that aborts when the client's
   * connection ends (undefined for a connection that did not come through the
   * guard), and watches the response until `completed`.
   */
  track(peer: Deno.NetAddr, completed: Promise<void>): TrackedClient | undefined;
  /** Open client connections. */
  connections(): number;
  /** Stops accepting new connections. */
  stopAccepting(): void;
  /**
   * Closes every connection: at once those that never reached the server,
   * the others once the server's answers went through (it closes its ends when
   * it shuts down), at most after `graceMs`.
   */
  close(graceMs?: number): Promise<void>;
}

const MAX_HEAD_BYTES = 65_536;
const MAX_CHUNK_LINE_BYTES = 4096;
const BUFFER_BYTES = 16_384;
const CR = 0x0d;
const LF = 0x0a;

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** An HTTP error the guard answers itself, then closes the connection. */
function errorResponse(status: number, reason: string, code: string, message: string): Uint8Array {
  const body = JSON.stringify({
    error: { message, type: "invalid_request_error", param: null, code },
  });
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
      `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`,
  );
}

/** The address an IPv4-mapped IPv6 peer really has. */
function ipOf(addr: Deno.NetAddr): string {
  return addr.hostname.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "").toLowerCase();
}

const keyOf = (addr: Deno.NetAddr) => `${addr.hostname}|${addr.port}`;

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

function closeQuietly(conn: Deno.Conn | undefined): void {
  try {
    conn?.close();
  } catch {
    // Already closed.
  }
}

/** Where a request's framing stands. */
type Framing =
  | { kind: "head" }
  | { kind: "length"; remaining: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; remaining: number }
  | { kind: "chunk-end"; remaining: number }
  | { kind: "trailers" }
  | { kind: "opaque" };

/** What a complete request head says about its body. */
type HeadVerdict =
  | { ok: true; framing: Framing }
  | { ok: false; response: Uint8Array };

const badRequest = (message: string) => ({
  ok: false as const,
  response: errorResponse(400, "Bad Request", "bad_request", message),
});

/** Reads the framing of a request head (the bytes up to and including its empty line). */
function judgeHead(head: Uint8Array): HeadVerdict {
  const lines = latin1.decode(head).split(/\r?\n/);
  const [method, , version] = lines[0].split(" ");
  if (lines[0] === "PRI * HTTP/2.0") return { ok: true, framing: { kind: "opaque" } };
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    return {
      ok: false,
      response: errorResponse(
        505,
        "HTTP Version Not Supported",
        "http_version_not_supported",
        "Only HTTP/1.0, HTTP/1.1 and HTTP/2 with prior knowledge are served",
      ),
    };
  }
  let lengths: string[] | undefined;
  let codings: string[] | undefined;
  let upgrade = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") lengths = [...(lengths ?? []), ...value.split(",")];
    else if (name === "transfer-encoding") {
      codings = [...(codings ?? []), ...value.split(",")].map((c) => c.trim().toLowerCase());
    } else if (name === "upgrade") upgrade = true;
  }
  if (method === "CONNECT" || upgrade) return { ok: true, framing: { kind: "opaque" } };
  if (codings !== undefined) {
    // Both, or a coding other than chunked last: the length is ambiguous (request smuggling).
    if (lengths !== undefined || codings.at(-1) !== "chunked") {
      return badRequest("The request's Transfer-Encoding and Content-Length do not frame its body");
    }
    return { ok: true, framing: { kind: "chunk-size" } };
  }
  if (lengths === undefined) return { ok: true, framing: { kind: "head" } };
  // One length, once: a list (even of equal values) is refused, as the server would.
  const value = lengths.length === 1 ? lengths[0].trim() : "";
  if (!/^\d{1,15}$/.test(value)) {
    return badRequest("The request's Content-Length is not one number");
  }
  const length = Number(value);
  return {
    ok: true,
    framing: length === 0 ? { kind: "head" } : { kind: "length", remaining: length },
  };
}

/** The end of a request head in `bytes` (after its empty line), or -1; searching from `from`. */
function headEnd(bytes: Uint8Array, from = 0): number {
  for (let at = bytes.indexOf(LF, from); at !== -1; at = bytes.indexOf(LF, at + 1)) {
    if (bytes[at + 1] === LF) return at + 2;
    if (bytes[at + 1] === CR && bytes[at + 2] === LF) return at + 3;
  }
  return -1;
}

/** A request head being received. */
interface HeadBuffer {
  readonly length: number;
  /** Appends `bytes`; returns the end of the head within the buffer, or -1. */
  append(bytes: Uint8Array): number;
  /** Takes everything out: the first `end` bytes, and the bytes after them. */
  take(end: number): { head: Uint8Array; rest: Uint8Array };
}

/**
 * Creates a head buffer: bytes are appended in place (a head trickled byte
 * by byte must not cost a copy of the whole head per byte), and only the new
 * bytes are searched for the head's end.
 */
function createHeadBuffer(): HeadBuffer {
  let bytes = new Uint8Array(1024);
  let length = 0;
  return {
    get length() {
      return length;
    },
    append(more) {
      const from = Math.max(0, length - 2);
      if (length + more.length > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, length + more.length));
        grown.set(bytes.subarray(0, length));
        bytes = grown;
      }
      bytes.set(more, length);
      length += more.length;
      return headEnd(bytes.subarray(0, length), from);
    },
    take(end) {
      const taken = { head: bytes.slice(0, end), rest: bytes.slice(end, length) };
      bytes = new Uint8Array(1024);
      length = 0;
      return taken;
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** What a relay needs from its guard. */
interface RelayContext {
  options: ConnectionGuardOptions;
  /** Registers the relay's end of its server connection, so `track` finds the client. */
  register(upstream: Deno.TcpConn, relay: Relay): () => void;
}

/** One client connection and its relay to the real server. */
interface Relay {
  readonly client: Deno.TcpConn;
  /** Aborts when the client's connection ends. */
  readonly gone: AbortSignal;
  /** A request of this connection entered the server; `completed` settles when answered. */
  requestEntered(completed: Promise<void>): void;
  /** Relays until either side is done. */
  run(): Promise<void>;
  /** Closes now if nothing was passed to the server; else lets the server's answer through. */
  drain(): void;
  close(): void;
}

function createRelay(client: Deno.TcpConn, context: RelayContext): Relay {
  const { options } = context;
  let upstream: Deno.TcpConn | undefined;
  let unregister = () => {};
  let pumping: Promise<void> = Promise.resolve();
  let framing: Framing = { kind: "head" };
  const head = createHeadBuffer();
  let pendingLine: Uint8Array = new Uint8Array(0);
  let inHandler = 0;
  let writingToClient = false;
  let readPending = false;
  /** Request heads passed on so far. */
  let heads = 0;
  /** When the request head now awaited started to count. */
  let headSince: number | undefined = performance.now();
  /** Last byte from the client (or, relayed opaquely, either way). */
  let lastActivity = performance.now();
  let responseBytes = 0;
  /** `responseBytes` when the request now being received was passed on. */
  let responseBytesAtRequest = 0;
  /** Set while the guard answers the client itself: the pump must not close under it. */
  let answering = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline = Infinity;
  const gone = new AbortController();
  const clientGone = () => {
    if (!gone.signal.aborted) {
      gone.abort(new DOMException("The client closed the connection", "AbortError"));
    }
  };

  /** Arms the one timer this connection needs now, if any. */
  function evaluate(): void {
    if (closed) return;
    const now = performance.now();
    const idle = inHandler === 0 && !writingToClient;
    let next = Infinity;
    if (framing.kind === "head") {
      if (head.length > 0 || idle) {
        headSince ??= now;
        if (options.headerTimeoutMs > 0) next = headSince + options.headerTimeoutMs;
      } else headSince = undefined;
    } else if (framing.kind === "opaque") {
      if (idle && options.bodyTimeoutMs > 0) next = lastActivity + options.bodyTimeoutMs;
    } else if (readPending && options.bodyTimeoutMs > 0) {
      next = lastActivity + options.bodyTimeoutMs;
    }
    if (next === deadline) return;
    deadline = next;
    clearTimeout(timer);
    timer = next === Infinity ? undefined : setTimeout(expire, Math.max(0, next - now));
  }

  /** Stops the server side, lets what it already answered through, then answers and closes. */
  async function answerAndClose(response: Uint8Array | undefined): Promise<void> {
    answering = true;
    closeQuietly(upstream);
    await pumping;
    if (response && !closed) await writeAll(client, response).catch(() => {});
    close();
  }

  /** A deadline passed: 408 when that cannot cut into a response, and close. */
  function expire(): void {
    if (closed || answering) return;
    const partialHead = framing.kind === "head" && head.length > 0;
    const stalledBody = framing.kind !== "head" && framing.kind !== "opaque";
    const quiet = !writingToClient &&
      ((partialHead && inHandler === 0) ||
        (stalledBody && inHandler <= 1 && responseBytes === responseBytesAtRequest));
    let response: Uint8Array | undefined;
    if (quiet) {
      response = partialHead
        ? errorResponse(
          408,
          "Request Timeout",
          "request_timeout",
          `The request head was not complete within ${options.headerTimeoutMs / 1000} s`,
        )
        : errorResponse(
          408,
          "Request Timeout",
          "request_timeout",
          `The request body stalled for ${options.bodyTimeoutMs / 1000} s`,
        );
    }
    answerAndClose(response);
  }

  function close(): void {
    if (closed) return;
    closed = true;
    clientGone();
    clearTimeout(timer);
    closeQuietly(client);
    closeQuietly(upstream);
    unregister();
  }

  async function connectUpstream(): Promise<Deno.TcpConn> {
    if (upstream) return upstream;
    const conn = await Deno.connect({
      hostname: options.target.hostname,
      port: options.target.port,
    });
    conn.setNoDelay(true);
    upstream = conn;
    unregister = context.register(conn, relay);
    pumping = pump(conn);
    return conn;
  }

  /** Server → client, untouched. */
  async function pump(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(BUFFER_BYTES);
    try {
      for (;;) {
        const read = await conn.read(buffer);
        if (read === null) break;
        writingToClient = true;
        evaluate();
        await writeAll(client, buffer.subarray(0, read));
        responseBytes += read;
        if (framing.kind === "opaque") lastActivity = performance.now();
        writingToClient = false;
        evaluate();
      }
    } catch {
      // A closed socket on either side ends the relay.
    } finally {
      writingToClient = false;
    }
    // The server closed its end: nothing more will be answered on this connection.
    if (!answering) close();
  }

  /**
   * Follows the framing through `bytes`; returns what may go to the server
   * now, or a response to refuse the request with.
   */
  function consume(bytes: Uint8Array): { forward: Uint8Array[]; refuse?: Uint8Array } {
    const forward: Uint8Array[] = [];
    let rest = bytes;
    while (rest.length > 0) {
      const state = framing;
      switch (state.kind) {
        case "opaque":
          forward.push(rest);
          return { forward };
        case "head": {
          if (head.length === 0) {
            // Empty lines before a request are allowed and mean nothing.
            let skip = 0;
            while (skip < rest.length && (rest[skip] === CR || rest[skip] === LF)) skip++;
            rest = rest.subarray(skip);
            if (rest.length === 0) return { forward };
            // A kept-alive connection's next request counts from its first byte.
            if (heads > 0) headSince = performance.now();
          }
          const end = head.append(rest);
          if (end === -1) {
            if (head.length <= MAX_HEAD_BYTES) return { forward };
            return {
              forward,
              refuse: errorResponse(
                431,
                "Request Header Fields Too Large",
                "headers_too_large",
                `The request head is larger than ${MAX_HEAD_BYTES} bytes`,
              ),
            };
          }
          const taken = head.take(end);
          const complete = taken.head;
          rest = taken.rest;
          headSince = undefined;
          const verdict = judgeHead(complete);
          if (!verdict.ok) return { forward, refuse: verdict.response };
          framing = verdict.framing;
          heads++;
          responseBytesAtRequest = responseBytes;
          forward.push(complete);
          break;
        }
        case "length": {
          const take = Math.min(state.remaining, rest.length);
          forward.push(rest.subarray(0, take));
          rest = rest.subarray(take);
          const remaining = state.remaining - take;
          framing = remaining === 0 ? { kind: "head" } : { kind: "length", remaining };
          break;
        }
        case "chunk-size":
        case "trailers": {
          const lf = rest.indexOf(LF);
          const take = lf === -1 ? rest.length : lf + 1;
          forward.push(rest.subarray(0, take));
          if (lf === -1) {
            pendingLine = concat(pendingLine, rest);
            if (pendingLine.length > MAX_CHUNK_LINE_BYTES) {
              return { forward, refuse: badRequest("A chunk line is too long").response };
            }
            return { forward };
          }
          const line = latin1.decode(concat(pendingLine, rest.subarray(0, lf))).trim();
          pendingLine = new Uint8Array(0);
          rest = rest.subarray(take);
          if (state.kind === "trailers") {
            // The body ends with the empty line after the last chunk's trailer fields.
            if (line === "") framing = { kind: "head" };
            break;
          }
          if (!/^[0-9a-f]{1,15}(?:;.*)?$/i.test(line)) {
            return { forward, refuse: badRequest("A chunk size is not a hex number").response };
          }
          const size = parseInt(line, 16);
          framing = size === 0 ? { kind: "trailers" } : { kind: "chunk-data", remaining: size };
          break;
        }
        case "chunk-data": {
          const take = Math.min(state.remaining, rest.length);
          forward.push(rest.subarray(0, take));
          rest = rest.subarray(take);
          const remaining = state.remaining - take;
          framing = remaining === 0
            ? { kind: "chunk-end", remaining: 2 }
            : { kind: "chunk-data", remaining };
          break;
        }
        case "chunk-end": {
          const take = Math.min(state.remaining, rest.length);
          forward.push(rest.subarray(0, take));
          rest = rest.subarray(take);
          const remaining = state.remaining - take;
          framing = remaining === 0 ? { kind: "chunk-size" } : { kind: "chunk-end", remaining };
          break;
        }
      }
    }
    return { forward };
  }

  /** Client → server, following the framing. */
  async function run(): Promise<void> {
    const buffer = new Uint8Array(BUFFER_BYTES);
    try {
      for (;;) {
        readPending = true;
        evaluate();
        let read: number | null;
        try {
          read = await client.read(buffer);
        } catch {
          read = null;
        }
        readPending = false;
        // HTTP clients do not half-close: the end of what it sends is the client leaving.
        if (read === null) clientGone();
        if (read === null || closed || answering) break;
        lastActivity = performance.now();
        const { forward, refuse } = consume(buffer.subarray(0, read));
        for (const part of forward) {
          if (part.length > 0) await writeAll(await connectUpstream(), part);
        }
        if (refuse) {
          // Only when nothing else is in flight can an answer not cut into another one.
          await answerAndClose(inHandler === 0 && !writingToClient ? refuse : undefined);
          return;
        }
      }
      // The client is done sending; the server may still answer what it has.
      if (!closed && !answering && upstream) {
        await upstream.closeWrite().catch(() => {});
        await pumping;
      }
    } catch (error) {
      if (!closed && !answering) options.onError?.(error);
    } finally {
      if (!answering) close();
    }
  }

  const relay: Relay = {
    client,
    gone: gone.signal,
    requestEntered(completed) {
      inHandler++;
      evaluate();
      completed.catch(() => {}).finally(() => {
        inHandler--;
        evaluate();
      });
    },
    run,
    drain() {
      if (!upstream) close();
    },
    close,
  };
  return relay;
}

/**
 * Answers 429 to a connection over the limit: after its first request head
 * (an answer before the request confuses clients), within 2 s, then closes.
 */
async function turnAway(client: Deno.TcpConn, limit: number): Promise<void> {
  const timer = setTimeout(() => closeQuietly(client), 2000);
  try {
    const head = createHeadBuffer();
    const buffer = new Uint8Array(4096);
    for (let end = -1; end === -1 && head.length < MAX_HEAD_BYTES;) {
      const read = await client.read(buffer);
      if (read === null) return;
      end = head.append(buffer.subarray(0, read));
    }
    await writeAll(
      client,
      errorResponse(
        429,
        "Too Many Requests",
        "too_many_connections",
        `More than ${limit} connections from your address are open; close some first`,
      ),
    );
    await client.closeWrite();
    // Draining what the client still sends keeps closing from resetting the answer away.
    while ((await client.read(buffer)) !== null) { /* discard */ }
  } catch {
    // The client went away.
  } finally {
    clearTimeout(timer);
    closeQuietly(client);
  }
}

/** Creates the guard and starts accepting. */
export function startConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const byIp = new Map<string, number>();
  const byUpstream = new Map<string, Relay>();
  const open = new Map<Relay, Promise<void>>();
  let accepting = true;

  const context: RelayContext = {
    options,
    register(upstream, relay) {
      const key = keyOf(upstream.localAddr);
      byUpstream.set(key, relay);
      return () => byUpstream.delete(key);
    },
  };

  async function handle(client: Deno.TcpConn): Promise<void> {
    const ip = ipOf(client.remoteAddr);
    const count = byIp.get(ip) ?? 0;
    if (options.maxConnectionsPerIp > 0 && count >= options.maxConnectionsPerIp) {
      await turnAway(client, options.maxConnectionsPerIp);
      return;
    }
    byIp.set(ip, count + 1);
    client.setNoDelay(true);
    const relay = createRelay(client, context);
    const running = relay.run();
    open.set(relay, running);
    try {
      await running;
    } finally {
      open.delete(relay);
      const left = (byIp.get(ip) ?? 1) - 1;
      if (left === 0) byIp.delete(ip);
      else byIp.set(ip, left);
    }
  }

  const accepting$ = (async () => {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept();
      } catch (error) {
        if (accepting) options.onError?.(error);
        return;
      }
      handle(client).catch((error) => options.onError?.(error));
    }
  })();

  const guard: ConnectionGuard = {
    addr: listener.addr as Deno.NetAddr,
    track(peer, completed) {
      const relay = byUpstream.get(keyOf(peer));
      if (!relay) return undefined;
      relay.requestEntered(completed);
      return { remoteAddr: relay.client.remoteAddr as Deno.NetAddr, gone: relay.gone };
    },
    connections: () => open.size,
    stopAccepting() {
      if (!accepting) return;
      accepting = false;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    },
    async close(graceMs = 2000) {
      guard.stopAccepting();
      await accepting$;
      for (const relay of open.keys()) relay.drain();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(open.values()),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      for (const relay of open.keys()) relay.close();
    },
  };
  return guard;
}

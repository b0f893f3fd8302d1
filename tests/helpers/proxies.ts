/**
 * Loopback proxies for tests: an HTTP proxy (plain-HTTP forwarding and
 * CONNECT tunnels) and a SOCKS5 proxy, each with optional user/password
 * authentication, each recording every request it relays. They connect only
 * to loopback targets; anything else is refused and counted.
 * @module
 */

/** One relayed HTTP request. */
export interface RelayedRequest {
  /** How it came: forwarded by the HTTP proxy, or seen inside a CONNECT or SOCKS5 tunnel. */
  via: "forward" | "connect" | "socks";
  method: string;
  /** `host:port` it went to. */
  target: string;
  /** Path and query. */
  path: string;
}

/** A running test proxy. */
export interface TestProxy {
  /** The proxy URL, with the credentials when it requires them. */
  url: string;
  port: number;
  /** Every HTTP request relayed (TLS inside a tunnel is not readable: see `tunnels`). */
  requests: RelayedRequest[];
  /** CONNECT / SOCKS5 tunnels opened, by target. */
  tunnels: string[];
  /** Clients refused for missing or wrong credentials. */
  refused: number;
  /** Targets refused for not being loopback. */
  blocked: string[];
  close(): Promise<void>;
}

/** Options of the proxies. */
export interface TestProxyOptions {
  /** Credentials the proxy requires; none = open. */
  auth?: { username: string; password: string };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlf2(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function indexOfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  return -1;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

/** Buffered reads of a connection. */
function bufferedReader(conn: Deno.Conn) {
  let buffer = new Uint8Array(0);
  const chunk = new Uint8Array(16384);
  async function fill(): Promise<boolean> {
    const n = await conn.read(chunk);
    if (n === null) return false;
    buffer = concat(buffer, chunk.subarray(0, n));
    return true;
  }
  return {
    /** The bytes up to the blank line of an HTTP head, or `null` at EOF. */
    async head(): Promise<string | null> {
      for (;;) {
        const end = indexOfCrlf2(buffer);
        if (end !== -1) {
          const head = decoder.decode(buffer.subarray(0, end));
          buffer = buffer.slice(end + 4);
          return head;
        }
        if (buffer.length > 65536 || !(await fill())) return null;
      }
    },
    async exactly(n: number): Promise<Uint8Array | null> {
      while (buffer.length < n) if (!(await fill())) return null;
      const out = buffer.slice(0, n);
      buffer = buffer.slice(n);
      return out;
    },
    /** What was read but not consumed. */
    rest(): Uint8Array {
      const out = buffer;
      buffer = new Uint8Array(0);
      return out;
    },
  };
}

/**
 * Follows a plain-HTTP request stream (heads, then bodies by Content-Length or
 * chunks) and reports each request; stops at once on anything else (TLS).
 */
function requestSniffer(onRequest: (method: string, path: string) => void) {
  let buffer = new Uint8Array(0);
  let state: "head" | "body" | "size" | "data" | "trailer" | "off" = "head";
  let remaining = 0;
  return (chunk: Uint8Array) => {
    if (state === "off") return;
    buffer = concat(buffer, chunk);
    for (;;) {
      if (state === "head") {
        if (buffer.length > 0 && (buffer[0] < 65 || buffer[0] > 90)) {
          state = "off";
          return;
        }
        const end = indexOfCrlf2(buffer);
        if (end === -1) return;
        const lines = decoder.decode(buffer.subarray(0, end)).split("\r\n");
        buffer = buffer.slice(end + 4);
        const [method, path] = lines[0].split(" ");
        onRequest(method, path);
        const header = (name: string) =>
          lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
        if (header("transfer-encoding")?.toLowerCase().includes("chunked")) state = "size";
        else {
          remaining = Number(header("content-length") ?? 0);
          state = remaining > 0 ? "body" : "head";
        }
      } else if (state === "body" || state === "data") {
        const take = Math.min(remaining, buffer.length);
        buffer = buffer.slice(take);
        remaining -= take;
        if (remaining > 0) return;
        state = state === "body" ? "head" : "size";
      } else {
        const end = indexOfCrlf(buffer);
        if (end === -1) return;
        const line = decoder.decode(buffer.subarray(0, end));
        buffer = buffer.slice(end + 2);
        if (state === "trailer") {
          if (line === "") state = "head";
        } else {
          const size = parseInt(line, 16);
          if (size === 0) state = "trailer";
          else {
            remaining = size + 2;
            state = "data";
          }
        }
      }
    }
  };
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** Copies `from` to `to` until EOF, then half-closes `to`. */
async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<void> {
  const chunk = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await from.read(chunk);
      if (n === null) break;
      onChunk?.(chunk.slice(0, n));
      await writeAll(to, chunk.subarray(0, n));
    }
  } catch {
    // A side went away: the tunnel ends.
  }
  try {
    await to.closeWrite();
  } catch {
    // Already closed.
  }
}

/** Runs a listener, tracking connections so that `close` ends all of them. */
function serve(handle: (conn: Deno.Conn, track: (c: Deno.Conn) => void) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const running = new Set<Promise<void>>();
  const track = (conn: Deno.Conn) => conns.add(conn);
  const closeConn = (conn: Deno.Conn) => {
    if (!conns.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      track(conn);
      const task = handle(conn, track).catch(() => {}).finally(() => closeConn(conn));
      running.add(task);
      task.finally(() => running.delete(task));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    closeConn,
    async close() {
      listener.close();
      for (const conn of [...conns]) closeConn(conn);
      await accepting;
      await Promise.allSettled([...running]);
    },
  };
}

/** Tunnels `client` to `target`, recording the plain-HTTP requests inside. */
async function tunnel(
  client: Deno.Conn,
  target: Deno.Conn,
  early: Uint8Array,
  onRequest: (method: string, path: string) => void,
): Promise<void> {
  const sniff = requestSniffer(onRequest);
  if (early.length > 0) {
    sniff(early);
    await writeAll(target, early);
  }
  await Promise.all([pump(client, target, sniff), pump(target, client)]);
}

/**
 * Starts an HTTP proxy on loopback: absolute-form requests are forwarded
 * (one per connection, `Connection: close`), CONNECT opens a tunnel.
 */
export function startHttpProxy(options: TestProxyOptions = {}): TestProxy {
  const requests: RelayedRequest[] = [];
  const tunnels: string[] = [];
  const blocked: string[] = [];
  let refused = 0;
  const expected = options.auth
    ? `Basic ${btoa(`${options.auth.username}:${options.auth.password}`)}`
    : undefined;

  const server = serve(async (client, track) => {
    const reader = bufferedReader(client);
    const head = await reader.head();
    if (head === null) return;
    const [requestLine, ...headerLines] = head.split("\r\n");
    const [method, target] = requestLine.split(" ");
    const auth = headerLines.find((l) => /^proxy-authorization:/i.test(l))?.replace(
      /^[^:]+:\s*/,
      "",
    );
    if (expected !== undefined && auth !== expected) {
      refused++;
      await writeAll(
        client,
        encoder.encode(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        ),
      );
      return;
    }
    if (method === "CONNECT") {
      const [host, port] = [target.slice(0, target.lastIndexOf(":")), target.split(":").pop()];
      if (!isLoopback(host)) {
        blocked.push(target);
        await writeAll(
          client,
          encoder.encode("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
        );
        return;
      }
      const upstream = await Deno.connect({ hostname: host.replace(/^\[|\]$/g, ""), port: +port! });
      track(upstream);
      tunnels.push(target);
      await writeAll(client, encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
      try {
        await tunnel(
          client,
          upstream,
          reader.rest(),
          (m, path) => requests.push({ via: "connect", method: m, target, path }),
        );
      } finally {
        server.closeConn(upstream);
      }
      return;
    }
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      await writeAll(
        client,
        encoder.encode("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
      );
      return;
    }
    const hostPort = `${url.hostname}:${url.port || "80"}`;
    if (url.protocol !== "http:" || !isLoopback(url.hostname)) {
      blocked.push(hostPort);
      await writeAll(client, encoder.encode("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
      return;
    }
    requests.push({ via: "forward", method, target: hostPort, path: url.pathname + url.search });
    const upstream = await Deno.connect({
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 80),
    });
    track(upstream);
    try {
      const headers = headerLines.filter((l) =>
        !/^(proxy-authorization|proxy-connection|connection|keep-alive):/i.test(l)
      );
      await writeAll(
        upstream,
        encoder.encode(
          `${method} ${url.pathname}${url.search} HTTP/1.1\r\n${
            headers.join("\r\n")
          }\r\nConnection: close\r\n\r\n`,
        ),
      );
      const early = reader.rest();
      if (early.length > 0) await writeAll(upstream, early);
      await Promise.all([pump(client, upstream), pump(upstream, client)]);
    } finally {
      server.closeConn(upstream);
    }
  });

  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.username)}:${encodeURIComponent(options.auth.password)}@`
    : "";
  return {
    url: `http://${credentials}127.0.0.1:${server.port}`,
    port: server.port,
    requests,
    tunnels,
    blocked,
    get refused() {
      return refused;
    },
    close: server.close,
  };
}

/** Starts a SOCKS5 proxy (RFC 1928, user/password per RFC 1929) on loopback. */
export function startSocksProxy(options: TestProxyOptions = {}): TestProxy {
  const requests: RelayedRequest[] = [];
  const tunnels: string[] = [];
  const blocked: string[] = [];
  let refused = 0;

  const server = serve(async (client, track) => {
    const reader = bufferedReader(client);
    const greeting = await reader.exactly(2);
    if (!greeting || greeting[0] !== 5) return;
    const methods = await reader.exactly(greeting[1]);
    if (!methods) return;
    const wanted = options.auth ? 2 : 0;
    if (!methods.includes(wanted)) {
      refused++;
      await writeAll(client, new Uint8Array([5, 0xff]));
      return;
    }
    await writeAll(client, new Uint8Array([5, wanted]));
    if (options.auth) {
      const version = await reader.exactly(2);
      if (!version) return;
      const username = decoder.decode((await reader.exactly(version[1]))!);
      const passwordLength = (await reader.exactly(1))![0];
      const password = decoder.decode((await reader.exactly(passwordLength))!);
      if (username !== options.auth.username || password !== options.auth.password) {
        refused++;
        await writeAll(client, new Uint8Array([1, 1]));
        return;
      }
      await writeAll(client, new Uint8Array([1, 0]));
    }
    const request = await reader.exactly(4);
    if (!request || request[1] !== 1) return;
    let host: string;
    if (request[3] === 1) host = [...(await reader.exactly(4))!].join(".");
    else if (request[3] === 3) {
      const length = (await reader.exactly(1))![0];
      host = decoder.decode((await reader.exactly(length))!);
    } else {
      const bytes = (await reader.exactly(16))!;
      const groups = [];
      for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
      host = groups.join(":").replace(/^(0:)+1$/, "::1");
    }
    const portBytes = (await reader.exactly(2))!;
    const port = (portBytes[0] << 8) | portBytes[1];
    const target = `${host}:${port}`;
    if (!isLoopback(host)) {
      blocked.push(target);
      await writeAll(client, new Uint8Array([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
      return;
    }
    const upstream = await Deno.connect({ hostname: host, port });
    track(upstream);
    tunnels.push(target);
    await writeAll(client, new Uint8Array([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
    try {
      await tunnel(
        client,
        upstream,
        reader.rest(),
        (method, path) => requests.push({ via: "socks", method, target, path }),
      );
    } finally {
      server.closeConn(upstream);
    }
  });

  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.username)}:${encodeURIComponent(options.auth.password)}@`
    : "";
  return {
    url: `socks5://${credentials}127.0.0.1:${server.port}`,
    port: server.port,
    requests,
    tunnels,
    blocked,
    get refused() {
      return refused;
    },
    close: server.close,
  };
}

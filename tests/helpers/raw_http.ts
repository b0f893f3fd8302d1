/**
 * HTTP over raw TCP sockets on loopback, for what `fetch` will not send: any
 * `Host` header, half a request line, a body that stops, many idle
 * connections. Every read has a bound (`maxWaitMs`) so a test fails instead
 * of hanging.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A parsed response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes all of `data` to `conn`. */
export async function writeAll(conn: Deno.Conn, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

/**
 * Reads until the peer closes the connection; `null` if it did not within
 * `maxWaitMs` (the connection is then closed here).
 */
export async function readUntilClosed(conn: Deno.Conn, maxWaitMs: number): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, maxWaitMs);
  const buffer = new Uint8Array(16_384);
  try {
    for (;;) {
      const read = await conn.read(buffer);
      if (read === null) break;
      chunks.push(buffer.slice(0, read));
    }
  } catch (error) {
    // A reset is a close too; a read cut short by the timer is reported as null.
    if (!timedOut && !(error instanceof Deno.errors.ConnectionReset)) throw error;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) return null;
  try {
    conn.close();
  } catch {
    // Already closed.
  }
  return decoder.decode(concatChunks(chunks));
}

function concatChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Parses the first response of `text` (bodies by Content-Length, else to the end). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf("\r\n\r\n");
  if (!text.startsWith("HTTP/1.") || end === -1) throw new SyntaxError(`Not a response: ${text}`);
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers["content-length"];
  const rest = text.slice(end + 4);
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    body: length === undefined ? rest : rest.slice(0, Number(length)),
  };
}

/** Sends `request` (with `Connection: close` in it) and parses the answer. */
export async function exchange(
  port: number,
  request: string,
  maxWaitMs = 10_000,
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, request);
  const text = await readUntilClosed(conn, maxWaitMs);
  if (text === null) {
    throw new Error(`No answer within ${maxWaitMs} ms to: ${request.slice(0, 80)}`);
  }
  return parseResponse(text);
}

/** A GET request with the given `Host` and extra header lines. */
export function getRequest(path: string, host: string, extra: string[] = []): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${host}`, "Connection: close", ...extra, "", ""].join(
    "\r\n",
  );
}

/** A POST request with a JSON body. */
export function postRequest(
  path: string,
  host: string,
  body: string,
  extra: string[] = [],
): string {
  return [
    `POST ${path} HTTP/1.1`,
    `Host: ${host}`,
    "Connection: close",
    "Content-Type: application/json",
    `Content-Length: ${encoder.encode(body).length}`,
    ...extra,
    "",
    body,
  ].join("\r\n");
}

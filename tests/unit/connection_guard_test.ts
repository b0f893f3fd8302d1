import assert from "node:assert/strict";
import {
  type ConnectionGuard,
  type ConnectionGuardOptions,
  startConnectionGuard,
} from "../../src/net/connection_guard.ts";
import { parseResponse, readUntilClosed, writeAll } from "../helpers/raw_http.ts";

/** A target server behind a guard; answers with the client address the guard reported. */
async function withGuard(
  limits: Partial<ConnectionGuardOptions>,
  run: (guard: ConnectionGuard, port: number) => Promise<void>,
  handler?: (request: Request) => Promise<Response>,
): Promise<void> {
  // The server is started first (the guard needs its address) and finds the guard here.
  const ref: { guard?: ConnectionGuard } = {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request, info) => {
      const client = ref.guard!.track(info.remoteAddr, info.completed)?.remoteAddr;
      if (handler) return await handler(request);
      const body = await request.text();
      return Response.json({ client, method: request.method, length: body.length, body });
    },
  );
  const errors: unknown[] = [];
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    target: server.addr,
    headerTimeoutMs: 0,
    bodyTimeoutMs: 0,
    maxConnectionsPerIp: 0,
    onError: (error) => errors.push(error),
    ...limits,
  });
  ref.guard = guard;
  try {
    await run(guard, guard.addr.port);
    assert.deepEqual(errors, []);
  } finally {
    guard.stopAccepting();
    await server.shutdown();
    await guard.close();
  }
}

async function connect(port: number): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("the guard relays requests and tells the server each client's address", async () => {
  await withGuard({ headerTimeoutMs: 5000, bodyTimeoutMs: 5000 }, async (_guard, port) => {
    const conn = await connect(port);
    const body = "hello=world";
    // Two pipelined requests, the second with a chunked body, then one that asks to close.
    await writeAll(
      conn,
      `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n" +
        "\r\nGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const text = await readUntilClosed(conn, 10_000);
    assert.ok(text !== null, "the server closed after the last request");
    const answers = text.split(/(?=HTTP\/1\.1 )/).map(parseResponse);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    const bodies = answers.map((a) => JSON.parse(a.body));
    assert.deepEqual(bodies.map((b) => [b.method, b.body]), [
      ["POST", body],
      ["POST", "hello world"],
      ["GET", ""],
    ]);
    const mine = conn.localAddr as Deno.NetAddr;
    for (const b of bodies) {
      assert.deepEqual([b.client.hostname, b.client.port], ["127.0.0.1", mine.port]);
    }
  });
});

Deno.test("the guard frames requests split at every byte", async () => {
  await withGuard({ headerTimeoutMs: 10_000, bodyTimeoutMs: 10_000 }, async (_guard, port) => {
    const conn = await connect(port);
    const request = new TextEncoder().encode(
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3\r\nabc\r\n0\r\n\r\n" +
        "POST /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nde",
    );
    for (let i = 0; i < request.length; i++) {
      await writeAll(conn, request.subarray(i, i + 1));
      // Give the guard a separate read for (nearly) every byte.
      if (i % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const text = await readUntilClosed(conn, 10_000);
    assert.ok(text !== null);
    const bodies = text.split(/(?=HTTP\/1\.1 )/).map((part) =>
      JSON.parse(parseResponse(part).body)
    );
    assert.deepEqual(bodies.map((b) => b.body), ["abc", "de"]);
  });
});

Deno.test("the guard answers 408 to a request head that does not complete in time", async () => {
  await withGuard({ headerTimeoutMs: 1000 }, async (guard, port) => {
    const conn = await connect(port);
    await writeAll(conn, "GET /slow HTTP/1.1\r\nHost: x\r\n");
    // Trickling more of the head does not buy time: the limit counts from its first byte.
    await writeAll(conn, "X-A: 1\r\n").catch(() => {});
    const text = await readUntilClosed(conn, 10_000);
    assert.ok(text !== null, "closed");
    const answer = parseResponse(text);
    assert.equal(answer.status, 408);
    assert.equal(answer.headers["connection"], "close");
    assert.equal(JSON.parse(answer.body).error.code, "request_timeout");
    assert.match(JSON.parse(answer.body).error.message, /head was not complete within 1 s/);
    assert.equal(guard.connections(), 0);
  });
});

Deno.test("the guard closes silent and idle kept-alive connections after the head timeout", async () => {
  await withGuard({ headerTimeoutMs: 2000 }, async (guard, port) => {
    const silent = await connect(port);
    assert.equal(await readUntilClosed(silent, 10_000), "", "closed without a word");
    const kept = await connect(port);
    await writeAll(kept, "GET /once HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await readUntilClosed(kept, 10_000);
    assert.ok(text !== null);
    assert.equal(parseResponse(text).status, 200, "answered, then closed when idle");
    assert.equal(guard.connections(), 0);
  });
});

Deno.test("the guard answers 408 to a stalled body and keeps a slow but moving one", async () => {
  await withGuard({ bodyTimeoutMs: 1500 }, async (_guard, port) => {
    const stalled = await connect(port);
    await writeAll(
      stalled,
      "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
    );
    const text = await readUntilClosed(stalled, 10_000);
    assert.ok(text !== null, "closed");
    const answer = parseResponse(text);
    assert.equal(answer.status, 408);
    assert.match(JSON.parse(answer.body).error.message, /body stalled for 1\.5 s/);

    const moving = await connect(port);
    await writeAll(
      moving,
      "POST /up HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 40\r\n\r\n",
    );
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await writeAll(moving, "0123456789");
    }
    const ok = await readUntilClosed(moving, 10_000);
    assert.ok(ok !== null);
    assert.equal(JSON.parse(parseResponse(ok).body).length, 40);
  });
});

Deno.test("the guard never times out a request the server is still answering", async () => {
  let release!: () => void;
  const answered = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  await withGuard(
    { headerTimeoutMs: 1000, bodyTimeoutMs: 1000 },
    async (_guard, port) => {
      const conn = await connect(port);
      await writeAll(conn, "GET /long HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await inside;
      // Well past both limits while the server works on the answer.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      release();
      const text = await readUntilClosed(conn, 10_000);
      assert.ok(text !== null);
      assert.deepEqual([parseResponse(text).status, parseResponse(text).body], [200, "done"]);
    },
    async () => {
      entered();
      await answered;
      return new Response("done");
    },
  );
});

Deno.test("the guard refuses ambiguous framing and oversized heads itself", async () => {
  await withGuard({ headerTimeoutMs: 5000 }, async (_guard, port) => {
    const cases: [string, number][] = [
      [
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
      ],
      ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 5\r\n\r\nabcd", 400],
      ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
      ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400],
      ["GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505],
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}`, 431],
    ];
    for (const [request, status] of cases) {
      const conn = await connect(port);
      await writeAll(conn, request).catch(() => {});
      const text = await readUntilClosed(conn, 10_000);
      assert.ok(text !== null, request.slice(0, 60));
      assert.equal(parseResponse(text).status, status, request.slice(0, 60));
    }
    const repeated = await connect(port);
    await writeAll(repeated, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd");
    assert.equal(parseResponse((await readUntilClosed(repeated, 10_000))!).status, 400);
  });
});

Deno.test("the guard caps connections per address with a 429", async () => {
  await withGuard({ maxConnectionsPerIp: 3 }, async (guard, port) => {
    const held = await Promise.all([1, 2, 3].map(() => connect(port)));
    // The guard counts a connection once it accepted it: a request on each proves that.
    for (const conn of held) await writeAll(conn, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    for (const conn of held) {
      const buffer = new Uint8Array(1024);
      assert.ok((await conn.read(buffer))! > 0, "answered");
    }
    assert.equal(guard.connections(), 3);
    const extra = await connect(port);
    await writeAll(extra, "GET /four HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await readUntilClosed(extra, 10_000);
    assert.ok(text !== null);
    const answer = parseResponse(text);
    assert.equal(answer.status, 429);
    assert.equal(JSON.parse(answer.body).error.code, "too_many_connections");
    held[0].close();
    // Once the guard saw that close, a new connection is served again.
    let served = false;
    for (let attempt = 0; attempt < 200 && !served; attempt++) {
      const conn = await connect(port);
      await writeAll(conn, "GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const again = await readUntilClosed(conn, 10_000);
      served = again !== null && parseResponse(again).status === 200;
    }
    assert.ok(served);
    for (const conn of held.slice(1)) conn.close();
  });
});

Deno.test("the guard relays HTTP/2 with prior knowledge untouched", async () => {
  await withGuard({ headerTimeoutMs: 5000, bodyTimeoutMs: 5000 }, async (_guard, port) => {
    const conn = await connect(port);
    const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const settings = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame
    await writeAll(conn, new Uint8Array([...preface, ...settings]));
    const frame = new Uint8Array(9);
    let have = 0;
    while (have < 9) {
      const read = await conn.read(frame.subarray(have));
      assert.ok(read !== null, "the server answered");
      have += read;
    }
    assert.equal(frame[3], 4, "the server's first frame is SETTINGS");
    conn.close();
  });
});

/**
 * Hostile network behaviour found by the second outside attack round (issue
 * 16): DNS rebinding (foreign `Host` names), cross-origin console calls that
 * differ only in scheme or port, slow and hoarding clients. Raw TCP sockets
 * on loopback; every wait is bounded.
 * @module
 */
import assert from "node:assert/strict";
import { ADMIN, ADMIN_ENV } from "../helpers/admin.ts";
import {
  exchange,
  getRequest,
  parseResponse,
  postRequest,
  readUntilClosed,
  writeAll,
} from "../helpers/raw_http.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

Deno.test("only IP addresses, localhost names, PUBLIC_BASE_URL's host and ALLOWED_HOSTS are served", async () => {
  const stack = await startStack({
    env: { LOG_LEVEL: "warn", ALLOWED_HOSTS: "img.lan, .corp.example, api.example:8443" },
  });
  try {
    const port = stack.server.port;
    const served = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "192.168.1.9",
      "[2001:db8::7]:80",
      "console.localhost",
      "IMG.LAN",
      "img.lan.",
      "corp.example",
      "a.b.corp.example:1234",
      "api.example:8443",
    ];
    for (const host of served) {
      const answer = await exchange(port, getRequest("/v1/models", host));
      assert.equal(answer.status, 200, host);
    }
    const refused = [
      `evil.example:${port}`,
      "img.lan.evil.example",
      "notcorp.example",
      "api.example:8444",
      "api.example",
      "127.0.0.1.nip.io",
      "localhost.evil.example",
    ];
    for (const host of refused) {
      for (const path of ["/v1/models", "/metrics", "/", "/api/admin/session", "/media/x.png"]) {
        const answer = await exchange(port, getRequest(path, host));
        assert.equal(answer.status, 400, `${host} ${path}`);
        const error = JSON.parse(answer.body).error;
        assert.equal(error.code, "host_not_allowed");
        assert.match(error.message, /ALLOWED_HOSTS/);
      }
    }
    // Health checks name whatever address they use.
    const ping = await exchange(port, getRequest("/ping", "evil.example"));
    assert.deepEqual([ping.status, ping.body], [200, "pong"]);
  } finally {
    await stack.close();
  }
});

Deno.test("a DNS-rebinding page cannot log in or call the console API", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, LOG_LEVEL: "warn" } });
  try {
    const port = stack.server.port;
    const host = `rebind.evil.example:${port}`;
    const login = await exchange(
      port,
      postRequest("/api/admin/login", host, JSON.stringify(ADMIN), [`Origin: http://${host}`]),
    );
    assert.equal(login.status, 400);
    assert.equal(JSON.parse(login.body).error.code, "host_not_allowed");
    assert.equal(login.headers["set-cookie"], undefined);
  } finally {
    await stack.close();
  }
});

Deno.test("the same-origin check compares scheme, host and port", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, LOG_LEVEL: "warn" } });
  try {
    const port = stack.server.port;
    const host = `127.0.0.1:${port}`;
    const login = (origin: string, hostHeader = host, extra: string[] = []) =>
      exchange(
        port,
        postRequest("/api/admin/login", hostHeader, JSON.stringify(ADMIN), [
          `Origin: ${origin}`,
          ...extra,
        ]),
      );
    assert.equal((await login(`http://${host}`)).status, 200);
    for (
      const origin of [
        `https://${host}`,
        `http://127.0.0.1:${port + 1}`,
        `http://localhost:${port}`,
        "http://127.0.0.1",
        "null",
        "not a url",
      ]
    ) {
      const answer = await login(origin);
      assert.equal(answer.status, 403, origin);
      assert.equal(JSON.parse(answer.body).error.code, "cross_origin");
    }
    // X-Forwarded-Proto is the proxy's word, and only with TRUST_PROXY.
    const forged = await login(`https://${host}`, host, ["X-Forwarded-Proto: https"]);
    assert.equal(forged.status, 403);
  } finally {
    await stack.close();
  }
});

Deno.test("with PUBLIC_BASE_URL, console calls must come from that origin (or loopback)", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, LOG_LEVEL: "warn", PUBLIC_BASE_URL: "https://img.example.com" },
  });
  try {
    const port = stack.server.port;
    const login = (host: string, origin: string) =>
      exchange(
        port,
        postRequest("/api/admin/login", host, JSON.stringify(ADMIN), [`Origin: ${origin}`]),
      );
    // Behind a TLS proxy that passes the public Host: the public origin.
    assert.equal((await login("img.example.com", "https://img.example.com")).status, 200);
    // A proxy that sends its upstream address as Host (nginx's default): the public origin still.
    assert.equal((await login(`127.0.0.1:${port}`, "https://img.example.com")).status, 200);
    // An administrator on the machine itself.
    assert.equal((await login(`localhost:${port}`, `http://localhost:${port}`)).status, 200);
    for (
      const [hostHeader, origin] of [
        ["img.example.com", "http://img.example.com"],
        ["img.example.com", "https://img.example.com:8443"],
        ["img.example.com", "https://evil.example"],
        [`192.168.1.9:${port}`, `http://192.168.1.9:${port}`],
      ]
    ) {
      const answer = await login(hostHeader, origin);
      assert.equal(answer.status, 403, `${hostHeader} ${origin}`);
      assert.equal(JSON.parse(answer.body).error.code, "cross_origin");
    }
  } finally {
    await stack.close();
  }
});

Deno.test("300 connections sending half a request line are all closed with 408", async () => {
  const stack = await startStack({
    env: { LOG_LEVEL: "warn", HEADER_TIMEOUT_S: "1", MAX_CONNECTIONS_PER_IP: "1000" },
  });
  try {
    const port = stack.server.port;
    const conns = await Promise.all(
      Array.from({ length: 300 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    // A connection the machine was too busy to write to within the second is closed silently.
    await Promise.all(conns.map((conn) => writeAll(conn, "GET /v1/mod").catch(() => {})));
    const answers = await Promise.all(conns.map((conn) => readUntilClosed(conn, 30_000)));
    assert.ok(answers.every((text) => text !== null), "every connection was closed");
    const statuses = answers.filter((text) => text !== "").map((text) =>
      parseResponse(text!).status
    );
    assert.ok(statuses.length > 0);
    assert.deepEqual(new Set(statuses), new Set([408]));
    const ping = await fetch(`${stack.url}/ping`);
    assert.equal(await ping.text(), "pong");
  } finally {
    await stack.close();
  }
});

Deno.test("a stalled request body gets 408 and nothing reaches the upstream", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn", BODY_TIMEOUT_S: "1" } });
  try {
    const port = stack.server.port;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(
      conn,
      `POST /v1/images/generations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${GOOD_SESSION}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 5000\r\n\r\n{"prompt": "a cat", "filePath": "`,
    );
    const text = await readUntilClosed(conn, 30_000);
    assert.ok(text !== null, "closed");
    const answer = parseResponse(text);
    assert.equal(answer.status, 408);
    assert.equal(JSON.parse(answer.body).error.code, "request_timeout");
    assert.equal(stack.fake.records().length, 0);
  } finally {
    await stack.close();
  }
});

Deno.test("the 201st connection from one address gets 429", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn", HEADER_TIMEOUT_S: "60" } });
  try {
    const port = stack.server.port;
    const held = await Promise.all(
      Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    // A kept-alive request on each proves the guard accepted it (and counts it).
    const ping = `GET /ping HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    await Promise.all(held.map((conn) => writeAll(conn, ping)));
    await Promise.all(held.map((conn) => conn.read(new Uint8Array(1024))));
    const answer = await exchange(port, getRequest("/v1/models", `127.0.0.1:${port}`));
    assert.equal(answer.status, 429);
    assert.equal(JSON.parse(answer.body).error.code, "too_many_connections");
    for (const conn of held) conn.close();
  } finally {
    await stack.close();
  }
});

Deno.test("generations and streams that outlast the limits are not cut", async () => {
  const stack = await startStack({
    env: { LOG_LEVEL: "warn", HEADER_TIMEOUT_S: "1", BODY_TIMEOUT_S: "1" },
    fake: { imageLatencyMs: 2500 },
  });
  try {
    const image = await stack.openai().images.generate({
      model: "jimeng-image-4.5",
      prompt: "a fox",
    });
    assert.equal(image.data?.length, 1);
    const stream = await stack.openai().chat.completions.create({
      model: "jimeng-image-4.5",
      stream: true,
      messages: [{ role: "user", content: "a fox" }],
    });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    assert.match(content, /!\[image_1\]/);
  } finally {
    await stack.close();
  }
});

/**
 * Requests the server answers without reading their bodies (refused
 * credentials, wrong content types, oversized bodies) end their connections
 * behind the connection guard like any other: none stays counted against the
 * client's address.
 * @module
 */
import assert from "node:assert/strict";
import { startStack } from "../helpers/stack.ts";

Deno.test("answers that leave the body unread do not keep connections open behind the guard", async () => {
  const stack = await startStack({ env: { MAX_CONNECTIONS_PER_IP: "20", MAX_BODY_MB: "1" } });
  try {
    const bodies = [
      JSON.stringify({ prompt: "x".repeat(4000) }),
      "x".repeat(1_100_000),
    ];
    for (let i = 0; i < 60; i++) {
      const response = await fetch(`${stack.url}/v1/images/generations`, {
        method: "POST",
        headers: {
          authorization: i % 2 ? "Bearer not-a-key" : "Bearer sk-nope",
          "content-type": i % 3 ? "application/json" : "text/plain",
        },
        body: bodies[i % 2],
      });
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      await response.body?.cancel();
    }
    const ping = await fetch(`${stack.url}/ping`);
    assert.equal(await ping.text(), "pong", "no connection is left counted against the client");
  } finally {
    await stack.close();
  }
});

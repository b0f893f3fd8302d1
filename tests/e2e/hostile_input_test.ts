/**
 * Hostile inputs found by the second outside attack round (issue 16), kept
 * here so they stay fixed: unbounded metric labels, URL-ish strings in every
 * reference field, local-file probing, crafted images, byte ranges and chat
 * parts that were silently dropped. Loopback only; every loop is bounded.
 * @module
 */
import assert from "node:assert/strict";
import { mulberry32 } from "../helpers/prng.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

/** A random token of `length` characters from `alphabet`. */
function token(random: () => number, alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

Deno.test("10,000 requests with made-up methods, paths, models and tokens leave /metrics under 100 KB", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn" } });
  try {
    const random = mulberry32(16_01);
    const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const hex = "0123456789abcdef";
    const paths = [
      "/v1/images/generations",
      "/v1/chat/completions",
      "/v1/videos",
      "/v1/models",
      "/ping",
      "/metrics",
      "/api/admin/session",
    ];
    let next = 0;
    const total = 10_000;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const kind = i % 4;
        const method = kind === 0 ? `X${token(random, upper, 8)}` : kind === 1 ? "GET" : "POST";
        const path = kind === 1
          ? `/${token(random, hex, 12)}/${token(random, hex, 6)}`
          : paths[Math.floor(random() * paths.length)];
        const headers: Record<string, string> = { "content-type": "application/json" };
        // Every fourth request carries a made-up sessionid: accounts that never answered.
        headers.authorization = `Bearer ${kind === 3 ? token(random, hex, 32) : GOOD_SESSION}`;
        const body = method === "GET"
          ? undefined
          : JSON.stringify({ model: `m-${token(random, hex, 10)}`, prompt: "a cat" });
        const response = await fetch(`${stack.url}${path}`, { method, headers, body });
        await response.body?.cancel();
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const response = await fetch(`${stack.url}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(text.length < 100_000, `/metrics is ${text.length} bytes`);
    assert.ok(text.includes('method="other"'), "unknown methods are counted as other");
    assert.ok(!/m-[0-9a-f]{10}/.test(text), "no made-up model name is a label");
  } finally {
    await stack.close();
  }
});

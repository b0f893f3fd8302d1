import assert from "node:assert/strict";
import { createJsonParser } from "../../src/api/json_worker.ts";
import { DecodedDataUrl } from "../../src/generation/references.ts";

const encoder = new TextEncoder();

/** `length` pseudo-random bytes. */
function bytesOf(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const body = (value: unknown) => encoder.encode(JSON.stringify(value)).buffer as ArrayBuffer;

Deno.test("createJsonParser() decodes long data URLs off the event loop and leaves the rest", async () => {
  const parser = createJsonParser({ maxDataUrlBytes: 1_000_000 });
  try {
    const first = bytesOf(300_000, 1);
    const second = bytesOf(200_000, 2);
    const parsed = await parser.parse(body({
      prompt: "a cat",
      n: 2,
      filePath: `data:image/png;base64,${first.toBase64()}`,
      images: ["https://example.com/x.png", `data:image/jpeg;base64,${second.toBase64()}`],
      messages: [{
        role: "user",
        content: [{
          type: "image_url",
          image_url: { url: `data:image/png;base64,${first.toBase64()}` },
        }],
      }],
      small: "data:image/png;base64,AAAA",
      long: "x".repeat(100_000),
    }));
    assert.equal(parsed.ok, true);
    const value = (parsed as { value: Record<string, unknown> }).value;
    assert.equal(value.prompt, "a cat");
    assert.equal(value.n, 2);
    assert.equal(value.small, "data:image/png;base64,AAAA", "short data URLs stay strings");
    assert.equal(value.long, "x".repeat(100_000), "long strings that are not data URLs stay");
    const decoded = value.filePath as DecodedDataUrl;
    assert.ok(decoded instanceof DecodedDataUrl);
    assert.deepEqual(decoded.bytes, first);
    assert.equal(decoded.problem, null);
    const images = value.images as unknown[];
    assert.equal(images[0], "https://example.com/x.png");
    assert.deepEqual((images[1] as DecodedDataUrl).bytes, second);
    const messages = value.messages as { content: { image_url: { url: unknown } }[] }[];
    assert.deepEqual((messages[0].content[0].image_url.url as DecodedDataUrl).bytes, first);
  } finally {
    parser.close();
  }
});

Deno.test("createJsonParser() marks bad data URLs and refuses bad JSON", async () => {
  const parser = createJsonParser({ maxDataUrlBytes: 100_000 });
  try {
    const valid = bytesOf(90_000).toBase64();
    const parsed = await parser.parse(body({
      notBase64: `data:image/png,${"A".repeat(70_000)}`,
      invalid: `data:image/png;base64,${"@".repeat(70_000)}`,
      tooLarge: `data:image/png;base64,${bytesOf(200_000).toBase64()}`,
      noComma: `data:image/png;base64${"A".repeat(70_000)}`,
      urlSafe: `data:image/png;base64,${valid.replaceAll("+", "-").replaceAll("/", "_")}`,
    }));
    assert.equal(parsed.ok, true);
    const value = (parsed as { value: Record<string, DecodedDataUrl> }).value;
    assert.equal(value.notBase64.problem, "not_base64");
    assert.equal(value.invalid.problem, "invalid_base64");
    assert.equal(value.tooLarge.problem, "too_large");
    assert.equal(value.noComma.problem, "no_data");
    assert.deepEqual(value.urlSafe.bytes, bytesOf(90_000));

    assert.deepEqual(await parser.parse(encoder.encode('{"a": [1, 2').buffer as ArrayBuffer), {
      ok: false,
    });
    // A data URL under "__proto__" stays a plain own property: no prototype is ever set.
    const sneaky = await parser.parse(
      encoder.encode(`{"__proto__": {"x": "data:image/png;base64,${valid}"}}`)
        .buffer as ArrayBuffer,
    );
    assert.equal(sneaky.ok, true);
    const object = (sneaky as { value: object }).value;
    assert.equal(Object.getPrototypeOf(object), Object.prototype);
    assert.ok(Object.hasOwn(object, "__proto__"));
  } finally {
    parser.close();
  }
});

Deno.test("createJsonParser() stops its worker when idle and fails work after close()", async () => {
  const timers: { fn: () => void; ms: number }[] = [];
  const parser = createJsonParser({
    maxDataUrlBytes: 1000,
    idleMs: 5000,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return () => {};
    },
  });
  assert.equal(parser.running(), false, "no worker before the first body");
  assert.deepEqual(await parser.parse(body({ a: 1 })), { ok: true, value: { a: 1 } });
  assert.equal(parser.running(), true);
  assert.deepEqual(timers.map((t) => t.ms), [5000]);
  timers[0].fn(); // idle for 5 s
  assert.equal(parser.running(), false);
  assert.deepEqual(await parser.parse(body({ b: 2 })), { ok: true, value: { b: 2 } });
  assert.equal(parser.running(), true, "a later body starts a new worker");
  parser.close();
  assert.equal(parser.running(), false);
  await assert.rejects(parser.parse(body({ c: 3 })), /closed/);
});

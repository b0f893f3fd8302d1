/**
 * Hostile inputs found by the second outside attack round (issue 16), kept
 * here so they stay fixed: unbounded metric labels, URL-ish strings in every
 * reference field, local-file probing, crafted images, byte ranges and chat
 * parts that were silently dropped. Loopback only; every loop is bounded.
 * @module
 */
import assert from "node:assert/strict";
import { listMedia } from "../../src/store/media.ts";
import { encodePng } from "../fake_upstream/media.ts";
import type { ResolvedAddress } from "../../src/net/safe_fetch.ts";
import { outcomeOf, problemWith } from "../helpers/api_error.ts";
import {
  buildGif,
  buildJpeg,
  buildPng,
  concat,
  PNG_SIGNATURE,
  pngChunk,
  pngHeader,
} from "../helpers/image_files.ts";
import { startCanary } from "../helpers/canary.ts";
import { mulberry32 } from "../helpers/prng.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { KNOWN_URLISH, REFERENCE_CARRIERS, urlishReference } from "./hostile_cases.ts";

/** Every name resolves to a private address: nothing may be fetched, no DNS leaves the machine. */
const privateResolver = (): Promise<ResolvedAddress[]> =>
  Promise.resolve([{ address: "10.11.12.13", family: 4 }]);

/** POSTs JSON with the good sessionid. */
function post(stack: Stack, path: string, body: unknown): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${GOOD_SESSION}` },
    body: JSON.stringify(body),
  });
}

/** A small valid PNG. */
const PNG = encodePng({ width: 32, height: 32, color: [10, 200, 10] });

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

Deno.test("Range positions beyond any integer are clamped (206) or unsatisfiable (416)", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn" } });
  try {
    await stack.openai().images.generate({ model: "jimeng-image-4.5", prompt: "a fox", n: 1 });
    await stack.server.deps.media.idle();
    const [row] = listMedia(stack.server.db, { limit: 1 }).items;
    const url = `${stack.url}/media/${row.id}.png`;
    const size = row.bytes!;
    const huge = "99999999999999999999";

    const clamped = await fetch(url, { headers: { range: `bytes=0-${huge}` } });
    assert.equal(clamped.status, 206);
    assert.equal(clamped.headers.get("content-range"), `bytes 0-${size - 1}/${size}`);
    assert.equal((await clamped.arrayBuffer()).byteLength, size);

    const beyond = await fetch(url, { headers: { range: `bytes=${huge}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), `bytes */${size}`);
    await beyond.body?.cancel();
  } finally {
    await stack.close();
  }
});

/** A chat request with the given content parts, answered by `model`. */
function chatWith(stackUrl: string, model: string, content: unknown[]): Promise<Response> {
  return fetch(`${stackUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${GOOD_SESSION}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
}

Deno.test("chat image parts without a URL and a third video frame are 400s, not dropped", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn" } });
  try {
    const text = { type: "text", text: "a cat" };
    const png = `data:image/png;base64,${btoa(String.fromCharCode(...PNG))}`;
    const cases: [string, unknown[], string][] = [
      ["jimeng-image-4.0", [text, { type: "image_url", image_url: {} }], "image_url.url"],
      ["jimeng-image-4.0", [text, { type: "image_url", image_url: { url: 5 } }], "image_url.url"],
      ["jimeng-image-4.0", [text, { type: "image_url" }], "image_url"],
      ["jimeng-image-4.0", [text, { type: "image_url", image_url: "" }], "image_url"],
      ["jimeng-image-4.0", [text, { type: "input_image", image_url: null }], "image_url"],
      ["jimeng-image-4.0", [text, { type: "image" }], "image_url"],
      ["jimeng-video-3.0", [text, { type: "image_url", image_url: {} }], "image_url.url"],
    ];
    for (const [model, content, field] of cases) {
      const response = await chatWith(stack.url, model, content);
      assert.equal(response.status, 400, JSON.stringify(content));
      const body = await response.json();
      assert.equal(body.error.param, `messages[0].content[1].${field}`);
      assert.equal(body.error.code, "invalid_image");
    }
    const frame = { type: "image_url", image_url: { url: png } };
    const three = await chatWith(stack.url, "jimeng-video-3.0", [text, frame, frame, frame]);
    assert.equal(three.status, 400);
    const body = await three.json();
    assert.equal(body.error.code, "too_many_images");
    assert.equal(body.error.param, "messages[0].content[3]");
    assert.match(body.error.message, /at most 2 images/);
    assert.equal(stack.fake.stats.uploads, 0, "nothing was uploaded");
    assert.deepEqual(stack.server.deps.jobs.counts(), {
      queued: 0,
      in_progress: 0,
      completed: 0,
      failed: 0,
    });
  } finally {
    await stack.close();
  }
});

Deno.test("URL-ish strings through every reference field of every route answer 4xx, never 500", async () => {
  const canary = startCanary();
  const localDir = await Deno.makeTempDir({ prefix: "jimeng-local-empty-" });
  const stack = await startStack({
    env: { LOG_LEVEL: "warn", LOCAL_FILES_DIR: localDir },
    overrides: { resolver: privateResolver },
  });
  try {
    const random = mulberry32(16_10);
    const cases: [string, string][] = [];
    // Every known case through every field, then random ones through random fields.
    for (const reference of KNOWN_URLISH) {
      for (const carrier of REFERENCE_CARRIERS) cases.push([reference, carrier.label]);
    }
    for (let i = 0; i < 1500; i++) {
      const carrier = REFERENCE_CARRIERS[Math.floor(random() * REFERENCE_CARRIERS.length)];
      cases.push([urlishReference(random, canary.port), carrier.label]);
    }
    const byLabel = new Map(REFERENCE_CARRIERS.map((carrier) => [carrier.label, carrier]));
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const [reference, label] = cases[next++];
        const carrier = byLabel.get(label)!;
        const outcome = await outcomeOf(await post(stack, carrier.path, carrier.body(reference)));
        const problem = problemWith(outcome);
        if (problem && failures.length < 20) {
          failures.push(`${label} ${JSON.stringify(reference)}: ${problem}: ${outcome.text}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(failures, []);
    assert.equal(canary.connections(), 0, "no reference URL was fetched");
    assert.equal(stack.fake.stats.uploads, 0, "no image was uploaded");
    assert.equal(stack.fake.records().length, 0, "nothing was generated");
  } finally {
    await stack.close();
    canary.close();
    await Deno.remove(localDir, { recursive: true });
  }
});

Deno.test("a file outside LOCAL_FILES_DIR and a missing one get the same answer", async () => {
  const root = await Deno.makeTempDir({ prefix: "jimeng-oracle-" });
  const inside = `${root}/allowed`;
  await Deno.mkdir(inside);
  await Deno.writeFile(`${root}/exists.png`, PNG);
  await Deno.symlink(`${root}/exists.png`, `${inside}/link.png`);
  const stack = await startStack({ env: { LOG_LEVEL: "warn", LOCAL_FILES_DIR: inside } });
  try {
    const answers = new Map<string, string>();
    for (
      const path of [
        `${root}/exists.png`,
        "../exists.png",
        "link.png",
        `file://${root}/exists.png`,
        "/etc/passwd",
        `${root}/missing.png`,
        "../missing.png",
        "missing.png",
        `file://${inside}/missing.png`,
      ]
    ) {
      const response = await post(stack, "/v1/images/generations", { prompt: "x", filePath: path });
      assert.equal(response.status, 400, path);
      answers.set(path, JSON.stringify(await response.json()));
    }
    assert.equal(new Set(answers.values()).size, 1, [...answers].join("\n"));
    assert.match([...answers.values()][0], /not found in LOCAL_FILES_DIR/);
  } finally {
    await stack.close();
    await Deno.remove(root, { recursive: true });
  }
});

/** `bytes` as a data URL. */
function dataUrl(type: string, bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${type};base64,${btoa(binary)}`;
}

Deno.test("crafted images are refused before upload, naming the limit or the flaw", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn" } });
  try {
    const huge = concat(
      PNG_SIGNATURE,
      pngHeader({ width: 20000, height: 20000 }),
      pngChunk("IEND"),
    );
    const bomb = buildPng({ width: 1000, height: 1000, pixels: new Uint8Array(192 * 1048576) });
    const polyglot = concat(buildGif(16, 16), "<script>alert(document.domain)</script>");
    const jpeg = buildJpeg(64, 64);
    const cut = jpeg.subarray(0, jpeg.length - 2);

    const answers: [Response, RegExp, string][] = [
      [
        await post(stack, "/v1/images/generations", {
          prompt: "x",
          filePath: dataUrl("image/png", huge),
        }),
        /20000×20000 px; Jimeng takes at most 8192 px a side and 36 megapixels/,
        "filePath",
      ],
      [
        await chatWith(stack.url, "jimeng-image-4.0", [
          { type: "text", text: "x" },
          { type: "image_url", image_url: { url: dataUrl("image/gif", polyglot) } },
        ]),
        /after the end of the image/,
        "messages[0].content[1]",
      ],
      [
        await post(stack, "/v1/videos", {
          model: "jimeng-video-3.0",
          prompt: "x",
          input_reference: dataUrl("image/jpeg", cut),
        }),
        /truncated or corrupt/,
        "input_reference",
      ],
    ];
    const form = new FormData();
    form.append("prompt", "x");
    form.append("image", new File([bomb], "bomb.png", { type: "image/png" }));
    answers.push([
      await fetch(`${stack.url}/v1/images/edits`, {
        method: "POST",
        headers: { authorization: `Bearer ${GOOD_SESSION}` },
        body: form,
      }),
      /zlib bomb/,
      "image",
    ]);
    for (const [response, message, param] of answers) {
      assert.equal(response.status, 400);
      const body = await response.json();
      assert.equal(body.error.code, "invalid_image");
      assert.equal(body.error.param, param);
      assert.match(body.error.message, message);
    }
    assert.equal(stack.fake.stats.uploads, 0, "nothing reached the upstream");
  } finally {
    await stack.close();
  }
});

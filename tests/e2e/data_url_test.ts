/**
 * Reference images as data URLs of 20 MiB against a server process: the
 * body is parsed and the base64 decoded off the event loop (the server keeps
 * answering `/ping` meanwhile), bad data URLs in large bodies get their
 * 400/413, and twelve at once stay within a bounded peak memory.
 * @module
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { parseStatusBytes } from "../../bench/measure.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { buildPng } from "../helpers/image_files.ts";
import { startPinger } from "../helpers/pinger.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

/** A PNG of random pixels just under MAX_IMAGE_MB's default of 20 MiB. */
function largePng(): Uint8Array {
  const side = 2640;
  const pixels = new Uint8Array(side * (1 + side * 3));
  for (let i = 0; i < pixels.length; i += 65536) {
    crypto.getRandomValues(pixels.subarray(i, Math.min(i + 65536, pixels.length)));
  }
  const png = buildPng({ width: side, height: side, pixels });
  assert.ok(png.length > 19 * 1048576 && png.length <= 20 * 1048576, `${png.length} bytes`);
  return png;
}

/** Peak resident memory of a process, in MiB. */
async function peakMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return parseStatusBytes(status, "VmHWM")! / 1048576;
}

async function withServer(run: (server: ServerProcess) => Promise<void>): Promise<void> {
  const fake = await startFakeUpstream();
  fake.addSession(GOOD_SESSION, { credits: 100_000 });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-dataurl-" });
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer({ env: processEnv(fake.url, dataDir, { LOG_LEVEL: "warn" }) });
    await run(server);
  } finally {
    await server?.stop();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

const png = largePng();
const dataUrl = `data:image/png;base64,${png.toBase64()}`;

Deno.test("a 20 MiB data-URL image is decoded off the event loop: /ping keeps answering", async () => {
  await withServer(async (server) => {
    const client = new OpenAI({ apiKey: GOOD_SESSION, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const pinger = await startPinger(server.url);
    const started = performance.now();
    const result = await client.images.generate({
      model: "jimeng-image-4.0",
      prompt: "like this",
      filePath: dataUrl,
    } as OpenAI.ImageGenerateParamsNonStreaming);
    const ms = performance.now() - started;
    const latencies = await pinger.stop();
    assert.equal(result.data?.length, 1);
    const worst = Math.max(...latencies);
    console.log(
      `20 MiB data URL: answered in ${ms.toFixed(0)} ms; /ping ${latencies.length}×, ` +
        `worst ${worst.toFixed(1)} ms`,
    );
    // Decoding on the event loop held /ping for seconds; what is left is scheduling noise of a
    // busy machine, well below that.
    assert.ok(worst < 1000, `/ping waited ${worst.toFixed(0)} ms`);
  });
});

Deno.test("large bodies with bad data URLs or bad JSON get their 400/413, not a hang or 500", async () => {
  await withServer(async (server) => {
    const post = async (body: string) => {
      const response = await fetch(`${server.url}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
        body,
      });
      return { status: response.status, error: (await response.json()).error };
    };
    const padding = "x".repeat(2 * 1048576);
    const invalid = await post(JSON.stringify({
      prompt: "x",
      note: padding,
      filePath: `data:image/png;base64,${"!".repeat(100_000)}`,
    }));
    assert.deepEqual([invalid.status, invalid.error.param], [400, "filePath"]);
    assert.match(invalid.error.message, /not valid base64/);
    const tooLarge = await post(JSON.stringify({
      prompt: "x",
      filePath: `data:image/png;base64,${"A".repeat(29 * 1048576)}`,
    }));
    assert.deepEqual([tooLarge.status, tooLarge.error.code], [413, "image_too_large"]);
    const broken = await post(`{"prompt": "x", "filePath": "${dataUrl.slice(0, 3_000_000)}`);
    assert.deepEqual([broken.status, broken.error.code], [400, "invalid_json"]);
    const prompt = await post(JSON.stringify({ prompt: dataUrl.slice(0, 2_000_000) }));
    assert.deepEqual([prompt.status, prompt.error.param], [400, "prompt"]);
  });
});

Deno.test("twelve 20 MiB data-URL requests at once all succeed within bounded memory", async () => {
  await withServer(async (server) => {
    const body = JSON.stringify({
      model: "jimeng-image-4.0",
      prompt: "like this",
      filePath: dataUrl,
    });
    const statuses = await Promise.all(Array.from({ length: 12 }, async () => {
      const response = await fetch(`${server.url}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
        body,
      });
      await response.body?.cancel();
      return response.status;
    }));
    assert.deepEqual(statuses, Array(12).fill(200));
    const peak = await peakMib(server.pid);
    console.log(`12 parallel 20 MiB data URLs: server peak RSS ${peak.toFixed(0)} MiB`);
    // Decoding each on the event loop peaked at 3.2 GB.
    assert.ok(peak < 2048, `peak RSS ${peak.toFixed(0)} MiB`);
  });
});

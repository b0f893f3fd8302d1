import assert from "node:assert/strict";
import { toFile } from "openai";
import { fakePngBytes } from "../fake_upstream/server.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

Deno.test("images.generate returns upstream URLs and the fake saw a valid request", async () => {
  const stack = await startStack();
  try {
    const result = await stack.openai().images.generate({
      model: "jimeng-image-4.5",
      prompt: "a red fox in the snow",
      n: 1,
    });
    assert.equal(result.data?.length, 1);
    assert.ok(result.data![0].url!.startsWith(`${stack.fake.url}/cdn/image/`));
    assert.ok(typeof result.created === "number");
    assert.deepEqual(stack.fake.stats.violations, []);
    const [record] = stack.fake.records();
    assert.equal(record.model, "high_aes_general_v40l");
    assert.equal(record.generateType, "generate");
    assert.equal(record.resolutionType, "2k");
    assert.equal(record.width, 2048);
    assert.equal(Object.values(stack.fake.stats.submits).length, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("images.generate with b64_json returns the fake's PNG bytes", async () => {
  const stack = await startStack();
  try {
    const result = await stack.openai().images.generate({
      prompt: "a lighthouse",
      response_format: "b64_json",
    });
    const bytes = Uint8Array.from(atob(result.data![0].b64_json!), (c) => c.charCodeAt(0));
    assert.deepEqual([...bytes.subarray(0, 8)], PNG_SIGNATURE);
    const [record] = stack.fake.records();
    assert.deepEqual(bytes, fakePngBytes(record.historyId, 0));
  } finally {
    await stack.close();
  }
});

Deno.test("images.generate with n=6 runs two upstream tasks and returns six images", async () => {
  const stack = await startStack();
  try {
    const result = await stack.openai().images.generate({ prompt: "six cats", n: 6 });
    assert.equal(result.data?.length, 6);
    assert.equal(new Set(result.data!.map((d) => d.url)).size, 6);
    assert.equal(stack.fake.records().length, 2);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("size, quality and the seed's ratio/resolution map to upstream sizes", async () => {
  const stack = await startStack();
  try {
    const client = stack.openai();
    await client.images.generate({ prompt: "wide", size: "1792x1024", model: "jimeng-4.5" });
    await client.images.generate({ prompt: "tall", size: "1024x1536", quality: "high" });
    await client.images.generate({
      prompt: "a poster",
      model: "jimeng-image-3.0",
      // @ts-expect-error seed extension fields
      ratio: "9:16",
      resolution: "2k",
      negative_prompt: "blurry",
      sample_strength: 3,
    });
    await client.images.generate({ prompt: "横屏 sunset over the sea" });
    const records = stack.fake.records().sort((a, b) => a.submittedAt - b.submittedAt);
    assert.deepEqual(
      records.map((r) => [r.resolutionType, r.width, r.height]),
      [["1k", 1664, 936], ["4k", 3328, 4992], ["1k", 936, 1664], ["2k", 2560, 1440]],
    );
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("Seedream 5.0 Pro takes 1.5k: size 1536x1536 and friends map to it", async () => {
  const stack = await startStack();
  try {
    const client = stack.openai();
    await client.images.generate({
      prompt: "square",
      model: "jimeng-image-5.0-pro",
      size: "1536x1536",
    });
    await client.images.generate({
      prompt: "wide",
      model: "jimeng-image-5.0-pro",
      size: "2048x1152",
    });
    // 1.5k asked of a model without it steps down to the next tier it has.
    await client.images.generate({
      prompt: "lite",
      model: "jimeng-image-5.0-lite",
      size: "1536x1536",
    });
    const records = stack.fake.records().sort((a, b) => a.submittedAt - b.submittedAt);
    assert.deepEqual(
      records.map((r) => [r.model, r.resolutionType, r.width, r.height]),
      [
        ["high_aes_general_v50p_large", "1.5k", 1536, 1536],
        ["high_aes_general_v50p_large", "1.5k", 2048, 1152],
        ["high_aes_general_v50", "1k", 1328, 1328],
      ],
    );
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("images.edit uploads the file through ImageX and generates in blend mode", async () => {
  const stack = await startStack();
  try {
    const png = fakePngBytes("reference", 1);
    const result = await stack.openai().images.edit({
      image: await toFile(png, "ref.png", { type: "image/png" }),
      prompt: "make it watercolor",
      n: 2,
    });
    assert.equal(result.data?.length, 2);
    assert.deepEqual(stack.fake.stats.violations, []);
    assert.equal(stack.fake.stats.uploads, 1);
    const [record] = stack.fake.records();
    assert.equal(record.generateType, "blend");
    assert.equal(record.inputUris.length, 1);
    assert.match(record.inputUris[0], /^tos-cn-i-tb4s082cfz\/[0-9a-f]{32}$/);
  } finally {
    await stack.close();
  }
});

Deno.test("images.edit accepts several image files as references", async () => {
  const stack = await startStack();
  try {
    const files = await Promise.all(
      [0, 1].map((i) => toFile(fakePngBytes("multi", i), `ref${i}.png`, { type: "image/png" })),
    );
    const result = await stack.openai().images.edit({ image: files, prompt: "merge these" });
    assert.equal(result.data?.length, 1);
    const [record] = stack.fake.records();
    assert.equal(record.inputUris.length, 2);
    assert.equal(stack.fake.stats.uploads, 2);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("filePath with a data URL is a reference image (seed extension, curl)", async () => {
  const stack = await startStack();
  try {
    const dataUrl = `data:image/png;base64,${btoa(String.fromCharCode(...fakePngBytes("d", 0)))}`;
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: "POST",
      headers: { "Authorization": `Bearer ${GOOD_SESSION}` },
      body: JSON.stringify({ prompt: "like this", filePath: dataUrl, ratio: "4:3" }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /application\/json/);
    const body = await response.json();
    assert.equal(body.data.length, 1);
    const [record] = stack.fake.records();
    assert.equal(record.generateType, "blend");
    assert.equal(record.width, 2304);
  } finally {
    await stack.close();
  }
});

Deno.test("a free account refused 2k (ret 1006) steps down to 1k", async () => {
  const stack = await startStack();
  try {
    stack.fake.addSession("free0000free0000free0000free0000", { freeTier: true });
    const result = await stack.openai("free0000free0000free0000free0000").images.generate({
      prompt: "a small boat",
    });
    assert.equal(result.data?.length, 1);
    const records = stack.fake.records();
    assert.equal(records.length, 1);
    assert.equal(records[0].resolutionType, "1k");
  } finally {
    await stack.close();
  }
});

Deno.test("with several Bearer sessionids an expired and an empty one are skipped", async () => {
  const stack = await startStack();
  try {
    stack.fake.addSession("dead0000dead0000dead0000dead0000", { expired: true });
    stack.fake.addSession("poor0000poor0000poor0000poor0000", { credits: 0, dailyGift: 0 });
    const key = `dead0000dead0000dead0000dead0000,poor0000poor0000poor0000poor0000,${GOOD_SESSION}`;
    for (let i = 0; i < 3; i++) {
      const result = await stack.openai(key).images.generate({ prompt: `try ${i}` });
      assert.equal(result.data?.length, 1);
    }
    assert.ok(stack.fake.records().every((r) => r.sessionId === GOOD_SESSION));
  } finally {
    await stack.close();
  }
});

Deno.test("models.list lists image models and the seed's short aliases", async () => {
  const stack = await startStack();
  try {
    const ids: string[] = [];
    for await (const model of stack.openai().models.list()) {
      assert.equal(model.object, "model");
      assert.equal(typeof model.created, "number");
      assert.equal(typeof model.owned_by, "string");
      ids.push(model.id);
    }
    for (
      const id of [
        "jimeng-image-5.0-lite",
        "jimeng-image-4.5",
        "jimeng-image-4.1",
        "jimeng-image-4.0",
        "jimeng-image-3.1",
        "jimeng-image-3.0",
        "jimeng-4.5",
        "jimeng-3.0",
      ]
    ) {
      assert.ok(ids.includes(id), id);
    }
    const one = await stack.openai().models.retrieve("jimeng-4.5");
    assert.equal(one.id, "jimeng-4.5");
  } finally {
    await stack.close();
  }
});

Deno.test("/ping, /token/check and /token/points answer like the seed", async () => {
  const stack = await startStack();
  try {
    const ping = await fetch(`${stack.url}/ping`);
    assert.equal(await ping.text(), "pong");
    const live = await fetch(`${stack.url}/token/check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: GOOD_SESSION }),
    });
    assert.deepEqual(await live.json(), { live: true });
    const dead = await fetch(`${stack.url}/token/check`, {
      method: "POST",
      body: JSON.stringify({ token: "nobody00nobody00nobody00nobody00" }),
    });
    assert.deepEqual(await dead.json(), { live: false });
    const points = await fetch(`${stack.url}/token/points`, {
      method: "POST",
      headers: { "Authorization": `Bearer ${GOOD_SESSION}` },
    });
    const body = await points.json();
    assert.equal(body.length, 1);
    assert.equal(body[0].points.totalCredit, 100);
    assert.ok(!JSON.stringify(body).includes(GOOD_SESSION), "token is masked");
  } finally {
    await stack.close();
  }
});

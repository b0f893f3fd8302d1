import assert from "node:assert/strict";
import { toFile } from "openai";
import { fakePngBytes, fakeVideoBytes } from "../fake_upstream/server.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { getMedia, listMedia, type MediaRecord } from "../../src/store/media.ts";

const PUBLIC = "https://img.example.com";

/** The only media row of a stack, after its downloads settled. */
async function onlyMedia(stack: Stack): Promise<MediaRecord> {
  await stack.server.deps.media.idle();
  const { items } = listMedia(stack.server.db, { limit: 10 });
  assert.equal(items.length, 1);
  return items[0];
}

/** The bytes of the fake's image 0 of its only record. */
function fakeImage(stack: Stack, index = 0): Uint8Array {
  const [record] = stack.fake.records();
  return fakePngBytes(record.historyId, index);
}

async function get(url: string, headers: Record<string, string> = {}, method = "GET") {
  const response = await fetch(url, { method, headers, redirect: "manual" });
  const body = new Uint8Array(await response.arrayBuffer());
  return { response, body };
}

Deno.test("images.generate records the image and /media serves the cached file", async () => {
  const stack = await startStack();
  try {
    const result = await stack.openai().images.generate({
      model: "jimeng-image-4.5",
      prompt: "a red fox",
      n: 1,
    });
    const row = await onlyMedia(stack);
    assert.equal(
      result.data![0].url,
      `${stack.url}/media/${row.id}.png`,
      "without PUBLIC_BASE_URL the links use the request's own address",
    );
    assert.equal(row.kind, "image");
    assert.equal(row.model, "jimeng-image-4.5");
    assert.equal(row.prompt, "a red fox");
    assert.equal(row.accountLabel, "0f1e…e1f0");
    assert.match(row.accountKey!, /^[0-9a-f]{32}$/);
    assert.equal(row.width, 2048);
    assert.equal(row.fileName, `${row.id}.png`);
    assert.equal(row.contentType, "image/png");
    const png = fakeImage(stack);
    assert.equal(row.bytes, png.length);

    const url = `${stack.url}/media/${row.id}.png`;
    const full = await get(url);
    assert.equal(full.response.status, 200);
    assert.equal(full.response.headers.get("content-type"), "image/png");
    assert.equal(full.response.headers.get("content-length"), String(png.length));
    assert.equal(full.response.headers.get("accept-ranges"), "bytes");
    assert.match(full.response.headers.get("cache-control")!, /max-age=31536000/);
    const etag = full.response.headers.get("etag")!;
    const lastModified = full.response.headers.get("last-modified")!;
    assert.match(etag, /^"[A-Za-z0-9_-]{22}-[0-9a-z]+"$/);
    assert.ok(!Number.isNaN(Date.parse(lastModified)));
    assert.deepEqual(full.body, png);

    const head = await get(url, {}, "HEAD");
    assert.equal(head.response.status, 200);
    assert.equal(head.response.headers.get("content-length"), String(png.length));
    assert.equal(head.body.length, 0);

    const first = await get(url, { range: "bytes=0-7" });
    assert.equal(first.response.status, 206);
    assert.equal(first.response.headers.get("content-range"), `bytes 0-7/${png.length}`);
    assert.equal(first.response.headers.get("content-length"), "8");
    assert.deepEqual(first.body, png.subarray(0, 8));
    const suffix = await get(url, { range: "bytes=-12" });
    assert.equal(suffix.response.status, 206);
    assert.deepEqual(suffix.body, png.subarray(png.length - 12));
    const open = await get(url, { range: "bytes=20-" });
    assert.equal(
      open.response.headers.get("content-range"),
      `bytes 20-${png.length - 1}/${png.length}`,
    );
    assert.deepEqual(open.body, png.subarray(20));
    const outside = await get(url, { range: `bytes=${png.length}-` });
    assert.equal(outside.response.status, 416);
    assert.equal(outside.response.headers.get("content-range"), `bytes */${png.length}`);
    assert.equal(
      JSON.parse(new TextDecoder().decode(outside.body)).error.code,
      "range_not_satisfiable",
    );
    const multi = await get(url, { range: "bytes=0-1,4-5" });
    assert.equal(multi.response.status, 200);
    assert.deepEqual(multi.body, png);

    const cachedByTag = await get(url, { "if-none-match": etag });
    assert.equal(cachedByTag.response.status, 304);
    assert.equal(cachedByTag.body.length, 0);
    const cachedByDate = await get(url, { "if-modified-since": lastModified });
    assert.equal(cachedByDate.response.status, 304);
    const staleRange = await get(url, { range: "bytes=0-7", "if-range": '"other"' });
    assert.equal(staleRange.response.status, 200, "a stale If-Range gets the whole file");
    const freshRange = await get(url, { range: "bytes=0-7", "if-range": etag });
    assert.equal(freshRange.response.status, 206);
  } finally {
    await stack.close();
  }
});

Deno.test("/media answers 404 JSON for unknown and malformed ids, never touching other files", async () => {
  const stack = await startStack();
  try {
    await stack.openai().images.generate({ prompt: "a cat" });
    const row = await onlyMedia(stack);
    for (
      const path of [
        "/media/AAAAAAAAAAAAAAAAAAAAAA.png",
        `/media/${row.id}.exe`,
        `/media/${row.id}.part`,
        `/media/${row.id}`,
        "/media/..%2Fjimeng.db",
        "/media/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/media/jimeng.db",
        `/media/${row.id}.png%00.txt`,
        `/media/${row.id.slice(1)}.png`,
        "/media/",
      ]
    ) {
      const { response, body } = await get(`${stack.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get("content-type")!, /application\/json/, path);
      const error = JSON.parse(new TextDecoder().decode(body)).error;
      assert.ok(["media_not_found", "unknown_route"].includes(error.code), path);
    }
  } finally {
    await stack.close();
  }
});

Deno.test("MEDIA_CACHE=false records rows without downloading; /media redirects upstream", async () => {
  const stack = await startStack({ env: { MEDIA_CACHE: "false" } });
  try {
    const result = await stack.openai().images.generate({ prompt: "a dog", n: 2 });
    await stack.server.deps.media.idle();
    const { items } = listMedia(stack.server.db, { limit: 10 });
    assert.equal(items.length, 2);
    assert.ok(items.every((row) => row.fileName === null));
    assert.deepEqual(
      items.map((row) => row.upstreamUrl).sort(),
      result.data!.map((d) => d.url).sort(),
    );
    assert.equal(stack.fake.stats.calls.cdn ?? 0, 0, "nothing was downloaded");
    const { response } = await get(`${stack.url}/media/${items[0].id}.png`);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), items[0].upstreamUrl);
  } finally {
    await stack.close();
  }
});

Deno.test("with PUBLIC_BASE_URL the SDK gets stable /media URLs that serve the images", async () => {
  const stack = await startStack({ env: { PUBLIC_BASE_URL: `${PUBLIC}/` } });
  try {
    const result = await stack.openai().images.generate({ prompt: "two boats", n: 2 });
    assert.equal(result.data!.length, 2);
    const [record] = stack.fake.records();
    for (const [index, item] of result.data!.entries()) {
      const url = new URL(item.url!);
      assert.equal(url.origin, PUBLIC);
      assert.match(url.pathname, /^\/media\/[A-Za-z0-9_-]{22}\.png$/);
      // The public host is this server; fetch the same path from it.
      const { response, body } = await get(`${stack.url}${url.pathname}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "image/png");
      assert.deepEqual(body, fakePngBytes(record.historyId, index));
    }

    const chat = await stack.openai().chat.completions.create({
      model: "jimeng-4.5",
      messages: [{ role: "user", content: "a lighthouse" }],
    });
    const links = [...chat.choices[0].message.content!.matchAll(/\]\((\S+)\)/g)].map((m) => m[1]);
    assert.equal(links.length, 4);
    assert.ok(links.every((link) => link.startsWith(`${PUBLIC}/media/`)), links.join(" "));
  } finally {
    await stack.close();
  }
});

Deno.test("b64_json reuses the cached download instead of fetching the image twice", async () => {
  for (const env of [{}, { PUBLIC_BASE_URL: PUBLIC }] as Record<string, string>[]) {
    const stack = await startStack({ env });
    try {
      const result = await stack.openai().images.generate({
        prompt: "a lighthouse",
        response_format: "b64_json",
      });
      const bytes = Uint8Array.from(atob(result.data![0].b64_json!), (c) => c.charCodeAt(0));
      assert.deepEqual(bytes, fakeImage(stack));
      const row = await onlyMedia(stack);
      assert.equal(row.fileName, `${row.id}.png`);
      assert.equal(stack.fake.stats.calls.cdn, 1, JSON.stringify(env));
    } finally {
      await stack.close();
    }
  }
});

Deno.test("a failing CDN never fails the request: the upstream URL is handed out and kept", async () => {
  const stack = await startStack({ env: { PUBLIC_BASE_URL: PUBLIC } });
  try {
    stack.fake.knobs.cdnFailRate = 1;
    const result = await stack.openai().images.generate({ prompt: "a storm" });
    const row = await onlyMedia(stack);
    assert.equal(result.data![0].url, row.upstreamUrl, "falls back to the upstream URL");
    assert.equal(row.fileName, null);
    assert.ok(stack.fake.stats.faultsInjected >= 1);
    assert.ok(
      stack.logs.some((line) => line.includes("Could not cache a generated image")),
      "the failure is logged",
    );
    const { response } = await get(`${stack.url}/media/${row.id}.png`);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), row.upstreamUrl);
  } finally {
    await stack.close();
  }
});

Deno.test("the cache evicts the oldest files beyond MEDIA_MAX_GB", async () => {
  const size = fakePngBytes("probe", 0).length;
  // Room for two and a half images.
  const maxGb = (size * 2.5) / 1073741824;
  const stack = await startStack({ env: { MEDIA_MAX_GB: String(maxGb) } });
  try {
    const client = stack.openai();
    for (let i = 0; i < 4; i++) {
      await client.images.generate({ prompt: `picture ${i}` });
      await stack.server.deps.media.idle();
    }
    const rows = listMedia(stack.server.db, { limit: 10 }).items.reverse();
    assert.equal(rows.length, 4);
    assert.deepEqual(rows.map((row) => row.fileName !== null), [false, false, true, true]);
    const dir = `${stack.server.deps.config.dataDir}/media`;
    const files: string[] = [];
    for await (const entry of Deno.readDir(dir)) files.push(entry.name);
    assert.deepEqual(files.sort(), [rows[2].fileName, rows[3].fileName].sort());
    assert.ok(stack.server.deps.media.cacheBytes() <= size * 2.5);
    const evicted = await get(`${stack.url}/media/${rows[0].id}.png`);
    assert.equal(evicted.response.status, 302, "an evicted item redirects upstream");
    const kept = await get(`${stack.url}/media/${rows[3].id}.png`);
    assert.equal(kept.response.status, 200);
  } finally {
    await stack.close();
  }
});

/** A loopback "CDN" serving one video in small chunks, counting requests. */
function startVideoCdn(bytes: Uint8Array) {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    requests++;
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(offset, offset + 16384));
        offset += 16384;
      },
    });
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/video.mp4`,
    requests: () => requests,
    close: () => server.shutdown(),
  };
}

Deno.test("saveResults() streams a video to disk and /media serves byte ranges of it", async () => {
  const video = fakeVideoBytes("7000000000000000001", "hq");
  const cdn = startVideoCdn(video);
  const stack = await startStack({ env: { PUBLIC_BASE_URL: PUBLIC } });
  try {
    const [saved] = await stack.server.deps.media.saveResults({
      kind: "video",
      model: "jimeng-video-3.0",
      prompt: "waves",
      requestId: "job-1",
      accountKey: null,
      accountLabel: null,
      apiKeyId: 3,
      results: [{ url: cdn.url }],
    });
    assert.ok(saved.localUrl?.startsWith(`${PUBLIC}/media/`));
    assert.ok(saved.localUrl!.endsWith(".mp4"), "the type comes from the bytes, not the header");
    assert.equal(saved.url, saved.localUrl);
    const row = getMedia(stack.server.db, saved.id!)!;
    assert.equal(row.bytes, video.length);
    assert.equal(row.contentType, "video/mp4");
    assert.equal(row.apiKeyId, 3);
    assert.deepEqual(await Deno.readFile(saved.file!), video);

    const url = `${stack.url}/media/${saved.id}.mp4`;
    const middle = await get(url, { range: "bytes=100000-165535" });
    assert.equal(middle.response.status, 206);
    assert.equal(middle.response.headers.get("content-type"), "video/mp4");
    assert.equal(
      middle.response.headers.get("content-range"),
      `bytes 100000-165535/${video.length}`,
    );
    assert.deepEqual(middle.body, video.subarray(100000, 165536));
    const whole = await get(url);
    assert.deepEqual(whole.body, video);
    assert.equal(cdn.requests(), 1);
  } finally {
    await stack.close();
    await cdn.close();
  }
});

Deno.test("a result larger than the whole cache is refused and keeps its upstream URL", async () => {
  const video = fakeVideoBytes("7000000000000000002", "preview");
  const cdn = startVideoCdn(video);
  const stack = await startStack({
    env: { PUBLIC_BASE_URL: PUBLIC, MEDIA_MAX_GB: String(100_000 / 1073741824) },
  });
  try {
    const [saved] = await stack.server.deps.media.saveResults({
      kind: "video",
      model: "jimeng-video-3.0",
      prompt: "too big",
      requestId: "job-2",
      accountKey: null,
      accountLabel: null,
      apiKeyId: null,
      results: [{ url: cdn.url }],
    });
    assert.equal(saved.localUrl, null);
    assert.equal(saved.url, cdn.url);
    assert.equal(getMedia(stack.server.db, saved.id!)!.fileName, null);
    const files = [...Deno.readDirSync(`${stack.server.deps.config.dataDir}/media`)];
    assert.deepEqual(files, [], "the partial file is gone");
    assert.ok(stack.logs.some((line) => line.includes("larger than 100000 bytes")));
  } finally {
    await stack.close();
    await cdn.close();
  }
});

Deno.test("images.edit and chat record their images too, by request, without the sessionid", async () => {
  const stack = await startStack();
  try {
    const client = stack.openai();
    await client.images.edit({
      image: await toFile(fakePngBytes("reference", 0), "ref.png", { type: "image/png" }),
      prompt: "make it blue",
      n: 2,
    });
    await client.chat.completions.create({
      model: "jimeng-4.5",
      messages: [{ role: "user", content: "a lamp" }],
    });
    await stack.server.deps.media.idle();
    const rows = listMedia(stack.server.db, { limit: 10 }).items;
    assert.equal(rows.length, 6);
    const byRequest = Map.groupBy(rows, (row) => row.requestId);
    assert.deepEqual([...byRequest.values()].map((group) => group.length).sort(), [2, 4]);
    assert.deepEqual(new Set(rows.map((row) => row.prompt)), new Set(["make it blue", "a lamp"]));
    assert.ok(rows.every((row) => row.fileName !== null));
    assert.ok(!JSON.stringify(rows).includes(GOOD_SESSION));
  } finally {
    await stack.close();
  }
});

import assert from "node:assert/strict";
import { createLogger } from "../../src/log.ts";
import { mediaTypeOfHeader, sniffMediaType } from "../../src/media/content_type.ts";
import { createMediaLibrary } from "../../src/media/library.ts";
import { chooseRange } from "../../src/media/range.ts";
import { openDatabase } from "../../src/store/db.ts";
import { getMedia, insertMedia, setMediaFile } from "../../src/store/media.ts";
import { migrate } from "../../src/store/migrate.ts";
import { fakePngBytes, fakeVideoBytes } from "../fake_upstream/server.ts";

Deno.test("chooseRange() reads one bytes range and ignores other forms", () => {
  const size = 1000;
  assert.deepEqual(chooseRange(undefined, size), { kind: "full" });
  assert.deepEqual(chooseRange("bytes=0-99", size), { kind: "partial", start: 0, end: 99 });
  assert.deepEqual(chooseRange("bytes=900-", size), { kind: "partial", start: 900, end: 999 });
  assert.deepEqual(chooseRange("bytes=900-5000", size), { kind: "partial", start: 900, end: 999 });
  assert.deepEqual(chooseRange("bytes=-100", size), { kind: "partial", start: 900, end: 999 });
  assert.deepEqual(chooseRange("bytes=-5000", size), { kind: "partial", start: 0, end: 999 });
  assert.deepEqual(chooseRange(" BYTES=5-5 ", size), { kind: "partial", start: 5, end: 5 });
  assert.deepEqual(chooseRange("bytes=1000-", size), { kind: "unsatisfiable" });
  assert.deepEqual(chooseRange("bytes=-0", size), { kind: "unsatisfiable" });
  assert.deepEqual(chooseRange("bytes=0-", 0), { kind: "unsatisfiable" });
  // Positions beyond any safe integer: an end is clamped, a start cannot be satisfied.
  const huge = "99999999999999999999";
  assert.deepEqual(chooseRange(`bytes=0-${huge}`, size), { kind: "partial", start: 0, end: 999 });
  assert.deepEqual(chooseRange(`bytes=10-${"9".repeat(400)}`, size), {
    kind: "partial",
    start: 10,
    end: 999,
  });
  assert.deepEqual(chooseRange(`bytes=${huge}-`, size), { kind: "unsatisfiable" });
  assert.deepEqual(chooseRange(`bytes=${huge}-${huge}9`, size), { kind: "unsatisfiable" });
  assert.deepEqual(chooseRange(`bytes=-${huge}`, size), { kind: "partial", start: 0, end: 999 });
  for (const ignored of ["bytes=5-1", "bytes=0-1,5-9", "items=0-1", "bytes=-", "bytes=a-b"]) {
    assert.deepEqual(chooseRange(ignored, size), { kind: "full" }, ignored);
  }
});

Deno.test("sniffMediaType() knows PNG, JPEG, WebP, GIF and MP4 by their first bytes", () => {
  const ascii = (text: string) => new TextEncoder().encode(text);
  assert.equal(sniffMediaType(fakePngBytes("h", 0))?.ext, "png");
  assert.equal(sniffMediaType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))?.ext, "jpg");
  assert.equal(sniffMediaType(ascii("RIFF\x10\0\0\0WEBPVP8 "))?.ext, "webp");
  assert.equal(sniffMediaType(ascii("GIF89a\x01\0\x01\0"))?.contentType, "image/gif");
  assert.equal(sniffMediaType(fakeVideoBytes("v", "preview").subarray(0, 64))?.ext, "mp4");
  assert.equal(sniffMediaType(ascii("<html>oops</html>")), undefined);
  assert.equal(mediaTypeOfHeader("image/webp; charset=binary")?.ext, "webp");
  assert.equal(mediaTypeOfHeader("text/html"), undefined);
});

Deno.test("createMediaLibrary() removes partial and orphaned files at start, and remove() deletes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jimeng-media-" });
  const db = openDatabase(":memory:");
  migrate(db);
  const [kept, lost] = insertMedia(
    db,
    [0, 1].map((i) => ({
      id: i ? "BBBBBBBBBBBBBBBBBBBBBB" : "AAAAAAAAAAAAAAAAAAAAAA",
      kind: "image" as const,
      model: "m",
      prompt: "p",
      width: null,
      height: null,
      accountKey: null,
      accountLabel: null,
      apiKeyId: null,
      requestId: "r",
      upstreamUrl: "http://127.0.0.1:9/x.png",
      createdAt: i,
    })),
  );
  const png = fakePngBytes("x", 0);
  await Deno.writeFile(`${dir}/${kept.id}.png`, png);
  setMediaFile(db, kept.id, { fileName: `${kept.id}.png`, bytes: png.length, contentType: "x" });
  await Deno.writeFile(`${dir}/${lost.id}.png`, png); // no row points at it
  await Deno.writeFile(`${dir}/${lost.id}.part`, png); // an interrupted download
  await Deno.writeFile(`${dir}/CCCCCCCCCCCCCCCCCCCCCC.webp`, png); // no row at all
  await Deno.writeFile(`${dir}/notes.txt`, png); // not ours: left alone
  const library = createMediaLibrary({
    db,
    dir,
    log: createLogger({ write: null }),
    now: Date.now,
    cache: true,
    maxCacheBytes: 1 << 20,
    publicBaseUrl: null,
    urlMode: "upstream",
  });
  try {
    await library.idle();
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), [`${kept.id}.png`, "notes.txt"]);
    assert.equal(library.cacheBytes(), png.length);
    assert.equal(library.get("../../jimeng.db"), undefined);
    assert.equal(await library.remove(kept.id), true);
    assert.equal(await library.remove(kept.id), false);
    assert.equal(getMedia(db, kept.id), undefined);
    assert.equal(library.cacheBytes(), 0);
    await assert.rejects(Deno.stat(`${dir}/${kept.id}.png`), Deno.errors.NotFound);
  } finally {
    await library.close();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveResults() hands results out even when the database refuses the rows", async () => {
  const db = openDatabase(":memory:");
  migrate(db);
  const lines: string[] = [];
  const library = createMediaLibrary({
    db,
    dir: "/nonexistent",
    log: createLogger({ write: (line) => lines.push(line) }),
    now: Date.now,
    cache: false,
    maxCacheBytes: 1 << 20,
    publicBaseUrl: "https://img.example.com",
    urlMode: "local",
  });
  db.close();
  try {
    const saved = await library.saveResults({
      kind: "image",
      model: "m",
      prompt: "p",
      requestId: "req-9",
      accountKey: null,
      accountLabel: null,
      apiKeyId: null,
      results: [{ url: "https://cdn.example/a.png" }],
    });
    assert.deepEqual(saved, [{
      id: null,
      upstreamUrl: "https://cdn.example/a.png",
      localUrl: null,
      path: null,
      url: "https://cdn.example/a.png",
      file: null,
    }]);
    assert.ok(lines.some((line) => line.includes("Could not record generated image results")));
  } finally {
    await library.close();
  }
});

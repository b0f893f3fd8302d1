import assert from "node:assert/strict";
import {
  embedImages,
  MAX_EMBEDDED_IMAGE_BYTES,
  MAX_EMBEDDED_TOTAL_BYTES,
} from "../../src/mcp/image_content.ts";

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG-looking body of `size` bytes. */
function png(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(PNG_HEAD);
  return bytes;
}

function cdn(sizes: Record<string, number>): typeof fetch {
  return (input) => {
    const size = sizes[new URL(String(input)).pathname];
    if (size === undefined) return Promise.resolve(new Response("gone", { status: 404 }));
    return Promise.resolve(
      new Response(png(size) as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": "image/png", "content-length": String(size) },
      }),
    );
  };
}

const noLocal = () => Promise.reject(new Error("not local"));

Deno.test("embedImages() embeds images up to 2 MiB each and 8 MiB in all, noting the rest", async () => {
  const near = MAX_EMBEDDED_IMAGE_BYTES - 1000;
  const sizes = {
    "/a.png": 1000,
    "/huge.png": MAX_EMBEDDED_IMAGE_BYTES + 1,
    "/b.png": near,
    "/c.png": near,
    "/d.png": near,
    "/e.png": near,
    "/f.png": near,
  };
  const urls = Object.keys(sizes).map((path) => `https://cdn.test${path}`);
  urls.push("https://cdn.test/missing.png");
  const { images, notes } = await embedImages(urls, {
    publicBaseUrl: null,
    local: noLocal,
    fetch: cdn(sizes),
  });
  assert.equal(images.length, 5);
  assert.ok(images.every((image) => image.mimeType === "image/png"));
  const total = images.reduce((sum, image) => sum + atob(image.data).length, 0);
  assert.ok(total <= MAX_EMBEDDED_TOTAL_BYTES);
  assert.deepEqual(notes.map((note) => note.slice(0, 8)), ["Image 2 ", "Image 7 ", "Image 8 "]);
  assert.match(
    notes[0],
    /larger than the 2\.0 MiB an answer embeds per image; fetch it from its URL$/,
  );
  assert.match(
    notes[1],
    /^Image 7 is not embedded: the answer already carries 8\.0 MiB of images, and 8\.0 MiB at most/,
  );
  assert.match(notes[2], /downloading it failed .*HTTP 404/);
});

Deno.test("embedImages() reads this server's media in-process and follows its redirect to the CDN", async () => {
  const paths: string[] = [];
  const { images, notes } = await embedImages([
    "https://img.example.com/base/media/AAAAAAAAAAAAAAAAAAAAAA.png",
    "https://img.example.com/base/media/BBBBBBBBBBBBBBBBBBBBBB.png",
  ], {
    publicBaseUrl: "https://img.example.com/base",
    local: (path) => {
      paths.push(path);
      return Promise.resolve(
        path.startsWith("/media/AAA")
          ? new Response(png(500) as Uint8Array<ArrayBuffer>)
          : new Response(null, { status: 302, headers: { location: "https://cdn.test/b.png" } }),
      );
    },
    fetch: cdn({ "/b.png": 700 }),
  });
  assert.deepEqual(paths, [
    "/media/AAAAAAAAAAAAAAAAAAAAAA.png",
    "/media/BBBBBBBBBBBBBBBBBBBBBB.png",
  ]);
  assert.deepEqual(notes, []);
  assert.deepEqual(images.map((image) => atob(image.data).length), [500, 700]);
});

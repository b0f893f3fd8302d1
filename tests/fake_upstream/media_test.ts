import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { crc32 } from "../../src/jimeng/crc32.ts";
import { encodePng, fakePngBytes, fakeVideoBytes, probeImage, VIDEO_SIZES } from "./media.ts";

Deno.test("encodePng() writes chunks with valid CRCs and inflatable pixel data", () => {
  const png = encodePng({ width: 3, height: 2, color: [255, 0, 128], text: "hello" });
  const view = new DataView(png.buffer);
  const types: string[] = [];
  let idat: Uint8Array = new Uint8Array();
  for (let offset = 8; offset < png.length;) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    types.push(type);
    assert.equal(
      view.getUint32(offset + 8 + length),
      crc32(png.subarray(offset + 4, offset + 8 + length)),
    );
    if (type === "IDAT") idat = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
  }
  assert.deepEqual(types, ["IHDR", "tEXt", "IDAT", "IEND"]);
  const raw = new Uint8Array(inflateSync(idat));
  assert.equal(raw.length, 2 * (1 + 3 * 3));
  assert.deepEqual([...raw.subarray(1, 4)], [255, 0, 128]);
});

Deno.test("fakePngBytes() is deterministic and differs per index", () => {
  assert.deepEqual(fakePngBytes("42", 0), fakePngBytes("42", 0));
  assert.notDeepEqual(fakePngBytes("42", 0), fakePngBytes("42", 1));
});

Deno.test("fakeVideoBytes() starts with an ftyp box and one mdat box filling the rest", () => {
  const bytes = fakeVideoBytes("7", "preview");
  const view = new DataView(bytes.buffer);
  const ascii = (start: number) => new TextDecoder().decode(bytes.subarray(start, start + 4));
  assert.equal(bytes.length, VIDEO_SIZES.preview);
  assert.equal(ascii(4), "ftyp");
  assert.equal(ascii(8), "isom");
  assert.equal(ascii(36), "mdat");
  assert.equal(32 + view.getUint32(32), bytes.length);
  assert.notDeepEqual(fakeVideoBytes("7", "hq").subarray(0, 1000), bytes.subarray(0, 1000));
});

Deno.test("probeImage() reads PNG, JPEG, WebP and GIF headers and rejects other bytes", () => {
  assert.deepEqual(probeImage(encodePng({ width: 5, height: 9, color: [0, 0, 0] })), {
    width: 5,
    height: 9,
    format: "png",
  });
  const jpeg = new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0x00,
    0x04,
    0x00,
    0x00, // APP0, length 4
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    0x01,
    0x2c,
    0x00,
    0xc8,
    0x03,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.deepEqual(probeImage(jpeg), { width: 200, height: 300, format: "jpeg" });
  const gif = new Uint8Array([
    ...new TextEncoder().encode("GIF89a"),
    10,
    0,
    20,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.deepEqual(probeImage(gif), { width: 10, height: 20, format: "gif" });
  const webp = new Uint8Array(30);
  webp.set(new TextEncoder().encode("RIFF"), 0);
  webp.set(new TextEncoder().encode("WEBPVP8X"), 8);
  webp.set([99, 0, 0, 49, 0, 0], 24); // canvas 100 x 50, stored minus one
  assert.deepEqual(probeImage(webp), { width: 100, height: 50, format: "webp" });
  assert.equal(probeImage(new TextEncoder().encode("definitely not an image")), undefined);
});

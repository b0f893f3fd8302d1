import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { checkImageFile, ImageCheckError } from "../../src/media/image_check.ts";
import {
  buildGif,
  buildJpeg,
  buildPng,
  buildWebp,
  concat,
  PNG_SIGNATURE,
  pngChunk,
  pngHeader,
} from "../helpers/image_files.ts";

/** The message `checkImageFile` refuses `bytes` with. */
async function refusal(bytes: Uint8Array): Promise<string> {
  const error = await checkImageFile(bytes).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ImageCheckError, `accepted, or failed otherwise: ${error}`);
  return error.message;
}

Deno.test("checkImageFile() accepts whole PNG, JPEG, GIF and WebP files and reports their size", async () => {
  const palette = pngChunk("PLTE", new Uint8Array([0, 0, 0, 255, 255, 255]));
  const cases: [Uint8Array, string, number, number][] = [
    [buildPng({ width: 32, height: 16 }), "png", 32, 16],
    [buildPng({ width: 33, height: 17, interlace: 1, colorType: 6, depth: 16 }), "png", 33, 17],
    [buildPng({ width: 9, height: 3, colorType: 3, depth: 1, before: [palette] }), "png", 9, 3],
    [buildPng({ width: 8192, height: 4394, colorType: 0, depth: 1 }), "png", 8192, 4394],
    [buildJpeg(640, 480), "jpg", 640, 480],
    [concat(buildJpeg(64, 48).subarray(0, -2), [0xff, 0xff, 0xff, 0xd9]), "jpg", 64, 48],
    [buildGif(3, 2), "gif", 3, 2],
    [buildWebp(300, 200), "webp", 300, 200],
  ];
  for (const [bytes, ext, width, height] of cases) {
    const probe = await checkImageFile(bytes);
    assert.deepEqual([probe.type.ext, probe.width, probe.height], [ext, width, height]);
  }
});

Deno.test("checkImageFile() refuses sizes beyond what Jimeng takes, naming the limit", async () => {
  const headerOnly = (width: number, height: number) =>
    concat(PNG_SIGNATURE, pngHeader({ width, height }), pngChunk("IEND"));
  for (
    const bytes of [
      headerOnly(20000, 20000),
      headerOnly(2 ** 31 - 1, 1),
      headerOnly(8193, 10),
      headerOnly(6001, 6000),
      buildJpeg(9000, 100),
      buildGif(100, 8200),
      buildWebp(6100, 6100),
    ]
  ) {
    assert.match(await refusal(bytes), /at most 8192 px a side and 36 megapixels/);
  }
  assert.match(await refusal(headerOnly(0, 5)), /empty size/);
});

Deno.test("checkImageFile() stops a zlib bomb at the declared size, quickly", async () => {
  // 1000×1000 RGB declares 3,001,000 bytes of pixels; the IDAT inflates to 192 MiB.
  const bomb = buildPng({ width: 1000, height: 1000, pixels: new Uint8Array(192 * 1048576) });
  assert.ok(bomb.length < 400_000, `${bomb.length} bytes`);
  const started = performance.now();
  assert.match(await refusal(bomb), /more data than its 3001000-byte pixel size/);
  // Bounded: it stops after about the declared size, not after 192 MiB.
  assert.ok(performance.now() - started < 5000);
});

Deno.test("checkImageFile() refuses truncated, corrupt and short PNGs", async () => {
  const png = buildPng({ width: 64, height: 64 });
  assert.match(await refusal(png.subarray(0, png.length - 20)), /truncated or corrupt/);
  assert.match(await refusal(png.subarray(0, 40)), /truncated or corrupt/);
  const badCrc = png.slice();
  badCrc[30] ^= 1;
  assert.match(await refusal(badCrc), /checksum/);
  const short = buildPng({ width: 64, height: 64, pixels: new Uint8Array(63 * 193) });
  assert.match(await refusal(short), /pixel data is 12159 bytes, the header declares 12352/);
  const garbage = concat(
    PNG_SIGNATURE,
    pngHeader({ width: 4, height: 4 }),
    pngChunk("IDAT", new Uint8Array([1, 2, 3, 4, 5, 6])),
    pngChunk("IEND"),
  );
  assert.match(await refusal(garbage), /does not inflate/);
  const noData = concat(PNG_SIGNATURE, pngHeader({ width: 4, height: 4 }), pngChunk("IEND"));
  assert.match(await refusal(noData), /no IDAT/);
  const paletteless = buildPng({ width: 4, height: 4, colorType: 3 });
  assert.match(await refusal(paletteless), /PLTE/);
  const impossible = buildPng({ width: 4, height: 4, colorType: 2, depth: 4 });
  assert.match(await refusal(impossible), /impossible format/);
  const split = concat(
    PNG_SIGNATURE,
    pngHeader({ width: 4, height: 4 }),
    pngChunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(52))).subarray(0, 5)),
    pngChunk("tEXt", new TextEncoder().encode("a\0b")),
    pngChunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(52))).subarray(5)),
    pngChunk("IEND"),
  );
  assert.match(await refusal(split), /not consecutive/);
});

Deno.test("checkImageFile() refuses anything after the end of an image (polyglots)", async () => {
  const script = new TextEncoder().encode("<script>alert(document.cookie)</script>");
  for (
    const image of [buildPng({ width: 8, height: 8 }), buildJpeg(8, 8), buildGif(8, 8)]
  ) {
    assert.match(await refusal(concat(image, script)), /after the end of the image/);
  }
  const webp = buildWebp(8, 8);
  assert.match(await refusal(concat(webp, script)), /after the end of the image/);
  // The classic GIF/JavaScript polyglot: "GIF89a/*…" makes a 10799-pixel-wide header.
  const gifJs = concat(
    "GIF89a/*\u0001\u0000\u0080\u0000\u0000",
    new Uint8Array(6),
    "*/=1;alert(1);",
  );
  assert.match(await refusal(gifJs), /at most 8192 px/);
});

Deno.test("checkImageFile() refuses cut-off JPEG, GIF and WebP files", async () => {
  const jpeg = buildJpeg(16, 16);
  assert.match(await refusal(jpeg.subarray(0, jpeg.length - 2)), /truncated or corrupt/);
  assert.match(await refusal(jpeg.subarray(0, 30)), /truncated or corrupt/);
  const noFrame = concat([0xff, 0xd8, 0xff, 0xd9]);
  assert.match(await refusal(noFrame), /no image data/);
  const gif = buildGif(4, 4);
  assert.match(await refusal(gif.subarray(0, gif.length - 1)), /no trailer/);
  assert.match(await refusal(gif.subarray(0, gif.length - 4)), /truncated or corrupt/);
  const noImage = concat(gif.subarray(0, 19), [0x3b]);
  assert.match(await refusal(noImage), /no image data/);
  const webp = buildWebp(4, 4);
  assert.match(await refusal(webp.subarray(0, webp.length - 2)), /declares/);
  assert.match(await refusal(new TextEncoder().encode("not an image at all")), /not a PNG/);
});

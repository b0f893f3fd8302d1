import assert from "node:assert/strict";
import { probeAv } from "../../src/media/av_probe.ts";
import { describeMaterial, type SniffedMaterial, sniffMaterial } from "../../src/media/sniff.ts";
import {
  encodeAdts,
  encodeM4a,
  encodeMp3,
  encodeMp4,
  encodeWav,
  encodeWebm,
} from "../fake_upstream/av_media.ts";
import { encodePng } from "../fake_upstream/media.ts";

function known(bytes: Uint8Array): SniffedMaterial {
  const sniffed = sniffMaterial(bytes);
  assert.ok(!("refused" in sniffed), JSON.stringify(sniffed));
  return sniffed;
}

Deno.test("sniffMaterial() tells images, videos and audio apart by their bytes", () => {
  const png = known(encodePng({ width: 40, height: 30, color: [1, 2, 3] }));
  assert.deepEqual([png.kind, png.format, png.width, png.height], ["image", "png", 40, 30]);

  const mp4 = known(encodeMp4({ durationMs: 5200, width: 640, height: 360 }));
  assert.deepEqual(
    [mp4.kind, mp4.format, mp4.durationMs, mp4.width, mp4.height],
    ["video", "mp4", 5200, 640, 360],
  );
  const mov = known(encodeMp4({ durationMs: 3000, brand: "qt  ", tracks: ["video", "audio"] }));
  assert.deepEqual([mov.kind, mov.format, mov.contentType], ["video", "mov", "video/quicktime"]);

  const m4a = known(encodeM4a(7000));
  assert.deepEqual([m4a.kind, m4a.format, m4a.durationMs], ["audio", "m4a", 7000]);
  // An audio-only MP4 with an ordinary brand is audio too: the tracks decide.
  const soundOnly = known(encodeMp4({ durationMs: 2000, tracks: ["audio"] }));
  assert.equal(soundOnly.kind, "audio");

  const webm = known(encodeWebm({ durationMs: 4500, width: 200, height: 100 }));
  assert.deepEqual(
    [webm.kind, webm.format, webm.durationMs, webm.width, webm.height],
    ["video", "webm", 4500, 200, 100],
  );
  const wav = known(encodeWav({ durationMs: 2500 }));
  assert.deepEqual([wav.kind, wav.format, wav.durationMs], ["audio", "wav", 2500]);
  const mp3 = known(encodeMp3({ durationMs: 3000 }));
  assert.equal(mp3.kind, "audio");
  assert.equal(mp3.format, "mp3");
  assert.ok(Math.abs(mp3.durationMs! - 3000) < 30, String(mp3.durationMs));
  const aac = known(encodeAdts(2000));
  assert.deepEqual([aac.kind, aac.format], ["audio", "aac"]);
  assert.ok(Math.abs(aac.durationMs! - 2000) < 30, String(aac.durationMs));
});

Deno.test("probeAv() reads durations however the file stores them", () => {
  assert.equal(probeAv(encodeMp4({ durationMs: 12_345, version1: true }))?.durationMs, 12_345);
  assert.equal(probeAv(encodeMp4({ durationMs: 8000, moovLast: true }))?.durationMs, 8000);
  // MediaRecorder files have no Duration: the last block's time stands in.
  assert.equal(probeAv(encodeWebm({ durationMs: 6200, withDuration: false }))?.durationMs, 6200);
  // A Xing header's frame count, and the frames themselves, agree.
  const xing = probeAv(encodeMp3({ durationMs: 9000, xing: true }))!.durationMs!;
  const walked = probeAv(encodeMp3({ durationMs: 9000 }))!.durationMs!;
  assert.equal(xing, walked);
  assert.equal(
    probeAv(encodeWav({ durationMs: 1000, sampleRate: 16000, channels: 2 }))?.durationMs,
    1000,
  );
});

Deno.test("sniffMaterial() names what it refuses", () => {
  const refused = (bytes: Uint8Array) => {
    const result = sniffMaterial(bytes);
    assert.ok("refused" in result, JSON.stringify(result));
    return result.refused;
  };
  assert.match(
    refused(new TextEncoder().encode("hello, this is plain text")),
    /none of the accepted/,
  );
  assert.match(refused(encodeWebm({ durationMs: 1000, video: false })), /without a video track/);
  assert.match(
    refused(encodeWebm({ durationMs: 1000, docType: "matroska" })),
    /none of the accepted/,
  );
  const mp4 = encodeMp4({ durationMs: 1000 });
  assert.match(refused(mp4.subarray(0, 40)), /moov/);
  assert.match(refused(new Uint8Array([0xff, 0xfb, 0x90, 0x00, 1, 2, 3])), /none of the accepted/);
});

Deno.test("describeMaterial() reads as English", () => {
  assert.equal(describeMaterial({ kind: "video", format: "mp4" }), "an MP4 video");
  assert.equal(describeMaterial({ kind: "image", format: "png" }), "a PNG image");
  assert.equal(describeMaterial({ kind: "audio", format: "wav" }), "a WAV audio");
});

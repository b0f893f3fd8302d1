/**
 * What the fake VOD reads from an uploaded file for `VideoMeta`: the kind,
 * size and duration of MP4/MOV/M4A, WebM, WAV, MP3 and ADTS files. Written
 * apart from `src/media/` on purpose (a bug copied into both would hide), and
 * only as thorough as a transcoder's probe needs to be for the test media.
 * @module
 */

/** What the fake's VOD learned from the bytes. */
export interface FakeMediaMeta {
  kind: "video" | "audio";
  format: string;
  /** Seconds. */
  duration: number;
  width: number;
  height: number;
}

const ascii = (b: Uint8Array, at: number, n: number) =>
  new TextDecoder("latin1").decode(b.subarray(at, at + n));

/** Depth-first search for the first box of `type` inside [from, to). */
function findBox(b: Uint8Array, from: number, to: number, path: string[]): [number, number][] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const found: [number, number][] = [];
  for (let at = from; at + 8 <= to;) {
    let size = dv.getUint32(at);
    let head = 8;
    if (size === 1) {
      size = Number(dv.getBigUint64(at + 8));
      head = 16;
    }
    if (size === 0) size = to - at;
    if (size < head) break;
    if (ascii(b, at + 4, 4) === path[0]) {
      const end = Math.min(at + size, to);
      if (path.length === 1) found.push([at + head, end]);
      else found.push(...findBox(b, at + head, end, path.slice(1)));
    }
    at += size;
  }
  return found;
}

function probeMp4(b: Uint8Array): FakeMediaMeta | undefined {
  if (ascii(b, 4, 4) !== "ftyp") return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [mvhd] = findBox(b, 0, b.length, ["moov", "mvhd"]);
  if (!mvhd) return undefined;
  const v1 = b[mvhd[0]] === 1;
  const scale = dv.getUint32(mvhd[0] + (v1 ? 20 : 12));
  const units = v1 ? Number(dv.getBigUint64(mvhd[0] + 24)) : dv.getUint32(mvhd[0] + 16);
  let width = 0;
  let height = 0;
  let video = false;
  let audio = false;
  for (const [start, end] of findBox(b, 0, b.length, ["moov", "trak"])) {
    const [hdlr] = findBox(b, start, end, ["mdia", "hdlr"]);
    const handler = hdlr ? ascii(b, hdlr[0] + 8, 4) : "";
    if (handler === "soun") audio = true;
    if (handler !== "vide") continue;
    video = true;
    const [tkhd] = findBox(b, start, end, ["tkhd"]);
    if (tkhd) {
      const at = tkhd[0] + (b[tkhd[0]] === 1 ? 88 : 76);
      width = dv.getUint16(at);
      height = dv.getUint16(at + 4);
    }
  }
  if (!video && !audio) return undefined;
  const brand = ascii(b, 8, 4);
  return {
    kind: video ? "video" : "audio",
    format: video ? (brand === "qt  " ? "mov" : "mp4") : "m4a",
    duration: scale ? units / scale : 0,
    width,
    height,
  };
}

function probeWav(b: Uint8Array): FakeMediaMeta | undefined {
  if (ascii(b, 0, 4) !== "RIFF" || ascii(b, 8, 4) !== "WAVE") return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let rate = 0;
  for (let at = 12; at + 8 <= b.length;) {
    const id = ascii(b, at, 4);
    const size = dv.getUint32(at + 4, true);
    if (id === "fmt ") rate = dv.getUint32(at + 16, true);
    if (id === "data") {
      if (!rate) return undefined;
      const bytes = Math.min(size, b.length - at - 8);
      return { kind: "audio", format: "wav", duration: bytes / rate, width: 0, height: 0 };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/** kbit/s of MPEG-1 and MPEG-2 Layer III by bitrate index. */
const L3_KBPS = {
  1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const L3_RATES = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000] };

function probeMp3(b: Uint8Array): FakeMediaMeta | undefined {
  let at = 0;
  if (ascii(b, 0, 3) === "ID3") {
    at = 10 + ((b[6] << 21) | (b[7] << 14) | (b[8] << 7) | b[9]);
  }
  let seconds = 0;
  let frames = 0;
  while (at + 4 <= b.length && b[at] === 0xff && (b[at + 1] & 0xe6) === 0xe2) {
    // Layer III only (layer bits 01); MPEG-1 (11) or MPEG-2 (10).
    const mpeg = (b[at + 1] & 0x18) === 0x18 ? 1 : (b[at + 1] & 0x18) === 0x10 ? 2 : 0;
    if (!mpeg) break;
    const kbps = L3_KBPS[mpeg][b[at + 2] >> 4];
    const rate = L3_RATES[mpeg][(b[at + 2] >> 2) & 3];
    if (!kbps || !rate) break;
    const samples = mpeg === 1 ? 1152 : 576;
    const length = Math.floor((samples / 8) * kbps * 1000 / rate) + ((b[at + 2] >> 1) & 1);
    if (at + length > b.length) break;
    seconds += samples / rate;
    frames++;
    at += length;
  }
  return frames >= 1 && at === b.length
    ? { kind: "audio", format: "mp3", duration: seconds, width: 0, height: 0 }
    : undefined;
}

const ADTS_RATES = [
  96000,
  88200,
  64000,
  48000,
  44100,
  32000,
  24000,
  22050,
  16000,
  12000,
  11025,
  8000,
];

function probeAdts(b: Uint8Array): FakeMediaMeta | undefined {
  let at = 0;
  let seconds = 0;
  while (at + 7 <= b.length && b[at] === 0xff && (b[at + 1] & 0xf6) === 0xf0) {
    const rate = ADTS_RATES[(b[at + 2] >> 2) & 15];
    const length = ((b[at + 3] & 3) << 11) | (b[at + 4] << 3) | (b[at + 5] >> 5);
    if (!rate || length < 7) break;
    seconds += (((b[at + 6] & 3) + 1) * 1024) / rate;
    at += length;
  }
  return seconds > 0 && at === b.length
    ? { kind: "audio", format: "aac", duration: seconds, width: 0, height: 0 }
    : undefined;
}

/** An EBML element walker good for the files the tests write and browsers record. */
function ebml(
  b: Uint8Array,
  from: number,
  to: number,
  visit: (id: number, s: number, e: number) => void,
) {
  for (let at = from; at < to;) {
    const idLength = Math.clz32(b[at]) - 23;
    if (idLength < 1 || idLength > 4) return;
    let id = 0;
    for (let i = 0; i < idLength; i++) id = id * 256 + b[at + i];
    const sizeAt = at + idLength;
    const sizeLength = Math.clz32(b[sizeAt]) - 23;
    if (sizeLength < 1 || sizeLength > 8) return;
    let size = b[sizeAt] & (0xff >> sizeLength);
    let unknown = size === 0xff >> sizeLength;
    for (let i = 1; i < sizeLength; i++) {
      size = size * 256 + b[sizeAt + i];
      if (b[sizeAt + i] !== 0xff) unknown = false;
    }
    const start = sizeAt + sizeLength;
    const end = unknown ? to : Math.min(start + size, to);
    visit(id, start, end);
    at = end;
  }
}

function probeWebm(b: Uint8Array): FakeMediaMeta | undefined {
  if (b[0] !== 0x1a || b[1] !== 0x45 || b[2] !== 0xdf || b[3] !== 0xa3) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const uint = (s: number, e: number) => b.subarray(s, e).reduce((v, x) => v * 256 + x, 0);
  let docType = "";
  let scale = 1e6;
  let duration = 0;
  let latest = 0;
  let width = 0;
  let height = 0;
  let video = false;
  const containers = new Set([0x18538067, 0x1549a966, 0x1654ae6b, 0xae, 0xe0, 0x1f43b675, 0xa0]);
  let cluster = 0;
  const visit = (id: number, s: number, e: number) => {
    if (id === 0x1a45dfa3) {
      ebml(b, s, e, (i, ss, ee) => i === 0x4282 && (docType = ascii(b, ss, ee - ss)));
    }
    if (id === 0x2ad7b1) scale = uint(s, e);
    if (id === 0x4489) duration = e - s === 8 ? dv.getFloat64(s) : dv.getFloat32(s);
    if (id === 0x83 && uint(s, e) === 1) video = true;
    if (id === 0xb0) width = uint(s, e);
    if (id === 0xba) height = uint(s, e);
    if (id === 0xe7) cluster = uint(s, e);
    if (id === 0xa3 || id === 0xa1) latest = Math.max(latest, cluster + dv.getInt16(s + 1));
    if (containers.has(id)) ebml(b, s, e, visit);
  };
  ebml(b, 0, b.length, visit);
  if (docType !== "webm" || !video) return undefined;
  return {
    kind: "video",
    format: "webm",
    duration: ((duration || latest) * scale) / 1e9,
    width,
    height,
  };
}

/** Reads an uploaded audio or video file; `undefined` when VOD could not transcode it. */
export function probeMedia(bytes: Uint8Array): FakeMediaMeta | undefined {
  if (bytes.length < 12) return undefined;
  return probeMp4(bytes) ?? probeWebm(bytes) ?? probeWav(bytes) ?? probeAdts(bytes) ??
    probeMp3(bytes);
}

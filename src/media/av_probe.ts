/**
 * Reading audio and video containers far enough to know what they hold and
 * how long they last, without decoding anything: ISO base media (MP4, MOV,
 * M4A: `ftyp`, `moov/mvhd`, each track's `tkhd` and `hdlr`), WebM (EBML
 * `Info/Duration`, `Tracks`), WAV (`fmt ` and `data`), MP3 and ADTS AAC
 * (frame headers).
 *
 * Durations: MP4/MOV/M4A `mvhd` duration ÷ timescale (a fragmented file's
 * `mvex/mehd` when `mvhd` says 0); WAV `data` size ÷ byte rate; MP3 the
 * Xing/Info/VBRI frame count when the first frame carries one, else the sum
 * of every frame's samples (exact for constant and variable bit rates);
 * ADTS the sum of its frames' samples; WebM `Info/Duration` × `TimecodeScale`,
 * else (files written by a browser's MediaRecorder have none) the latest
 * block timestamp of its clusters.
 * @module
 */

/** What a container holds. */
export interface AvProbe {
  /** `video` when a video track is present, else `audio`. */
  kind: "video" | "audio";
  format: "mp4" | "mov" | "m4a" | "webm" | "wav" | "mp3" | "aac";
  /** Duration in ms, when the file says. */
  durationMs?: number;
  width?: number;
  height?: number;
}

const text = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

// ---------------------------------------------------------------- ISO base media

interface Box {
  type: string;
  /** Offset of the content (after the header). */
  start: number;
  end: number;
}

/** The boxes in `[start, end)`; stops at the first malformed header. */
function boxes(bytes: Uint8Array, start: number, end: number): Box[] {
  const dv = view(bytes);
  const out: Box[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = dv.getUint32(offset);
    const type = text(bytes, offset + 4, 4);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > end) break;
      size = Number(dv.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header) break;
    // A box that claims more than the file holds (a truncated mdat) ends the walk.
    const boxEnd = Math.min(offset + size, end);
    out.push({ type, start: offset + header, end: boxEnd });
    if (offset + size > end) break;
    offset += size;
  }
  return out;
}

const child = (bytes: Uint8Array, parent: Box, type: string) =>
  boxes(bytes, parent.start, parent.end).find((box) => box.type === type);

/** Seconds in `mvhd` (or `mehd` for a fragmented file with none). */
function isoDurationMs(bytes: Uint8Array, moov: Box): number | undefined {
  const dv = view(bytes);
  const mvhd = child(bytes, moov, "mvhd");
  if (!mvhd || mvhd.end - mvhd.start < 20) return undefined;
  const version = bytes[mvhd.start];
  let timescale: number;
  let duration: number;
  if (version === 1) {
    if (mvhd.end - mvhd.start < 32) return undefined;
    timescale = dv.getUint32(mvhd.start + 20);
    duration = Number(dv.getBigUint64(mvhd.start + 24));
  } else {
    timescale = dv.getUint32(mvhd.start + 12);
    duration = dv.getUint32(mvhd.start + 16);
  }
  if (timescale === 0) return undefined;
  // All ones means "unknown" in both versions.
  const unknown = version === 1 ? duration >= 2 ** 64 - 1 : duration === 0xffffffff;
  if (duration === 0 || unknown) {
    const mvex = child(bytes, moov, "mvex");
    const mehd = mvex && child(bytes, mvex, "mehd");
    if (!mehd || mehd.end - mehd.start < 8) return undefined;
    duration = bytes[mehd.start] === 1
      ? Number(dv.getBigUint64(mehd.start + 4))
      : dv.getUint32(mehd.start + 4);
    if (duration === 0) return undefined;
  }
  return Math.round((duration / timescale) * 1000);
}

interface Track {
  handler: string;
  width: number;
  height: number;
}

function isoTracks(bytes: Uint8Array, moov: Box): Track[] {
  const dv = view(bytes);
  const tracks: Track[] = [];
  for (const trak of boxes(bytes, moov.start, moov.end)) {
    if (trak.type !== "trak") continue;
    const tkhd = child(bytes, trak, "tkhd");
    const mdia = child(bytes, trak, "mdia");
    const hdlr = mdia && child(bytes, mdia, "hdlr");
    const handler = hdlr && hdlr.end - hdlr.start >= 12 ? text(bytes, hdlr.start + 8, 4) : "";
    let width = 0;
    let height = 0;
    if (tkhd) {
      // Width and height are the last two 16.16 fixed-point fields.
      const at = tkhd.start + (bytes[tkhd.start] === 1 ? 88 : 76);
      if (at + 8 <= tkhd.end) {
        width = dv.getUint32(at) >>> 16;
        height = dv.getUint32(at + 4) >>> 16;
      }
    }
    tracks.push({ handler, width, height });
  }
  return tracks;
}

const AUDIO_BRANDS = new Set(["M4A ", "M4B ", "M4P "]);

/** MP4, MOV or M4A; `undefined` when there is no `ftyp` or no readable `moov`. */
function probeIso(bytes: Uint8Array): AvProbe | undefined {
  if (bytes.length < 12 || text(bytes, 4, 4) !== "ftyp") return undefined;
  const top = boxes(bytes, 0, bytes.length);
  const ftyp = top[0];
  const brand = text(bytes, ftyp.start, 4);
  const moov = top.find((box) => box.type === "moov");
  if (!moov) return undefined;
  const tracks = isoTracks(bytes, moov);
  const video = tracks.find((track) => track.handler === "vide");
  const audio = tracks.some((track) => track.handler === "soun");
  const durationMs = isoDurationMs(bytes, moov);
  if (video) {
    return {
      kind: "video",
      format: brand === "qt  " ? "mov" : "mp4",
      durationMs,
      width: video.width || undefined,
      height: video.height || undefined,
    };
  }
  if (audio || AUDIO_BRANDS.has(brand)) return { kind: "audio", format: "m4a", durationMs };
  return undefined;
}

// ---------------------------------------------------------------- WAV

function probeWav(bytes: Uint8Array): AvProbe | undefined {
  if (bytes.length < 12 || text(bytes, 0, 4) !== "RIFF" || text(bytes, 8, 4) !== "WAVE") {
    return undefined;
  }
  const dv = view(bytes);
  let byteRate = 0;
  let dataSize: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = text(bytes, offset, 4);
    const size = dv.getUint32(offset + 4, true);
    if (id === "fmt " && offset + 16 <= bytes.length) byteRate = dv.getUint32(offset + 16, true);
    if (id === "data") {
      // A streamed file may say 0 or 0xFFFFFFFF: what follows is the data.
      const rest = bytes.length - offset - 8;
      dataSize = size === 0 || size > rest ? rest : size;
      break;
    }
    offset += 8 + size + (size & 1);
  }
  if (byteRate === 0 || dataSize === undefined) return undefined;
  return { kind: "audio", format: "wav", durationMs: Math.round((dataSize / byteRate) * 1000) };
}

// ---------------------------------------------------------------- MP3 and ADTS

const MP3_BITRATES: Record<string, readonly number[]> = {
  // kbit/s by index 1..14, per (MPEG version group, layer).
  "1-1": [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  "1-2": [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  "1-3": [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  "2-1": [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  "2-2": [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  "2-3": [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES: Record<number, readonly number[]> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};

interface Mp3Frame {
  length: number;
  samples: number;
  sampleRate: number;
  /** MPEG-1 and stereo: where the side information ends (Xing tag offset). */
  sideInfoEnd: number;
}

/** Parses an MPEG audio frame header at `offset` (MP3, and MP2/MP1 which share it). */
function mp3Frame(bytes: Uint8Array, offset: number): Mp3Frame | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const [b0, b1, b2, b3] = bytes.subarray(offset, offset + 4);
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  if (version === 1 || layerBits === 0) return undefined;
  const layer = 4 - layerBits;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const bitrate = MP3_BITRATES[`${version === 3 ? 1 : 2}-${layer}`][bitrateIndex - 1] * 1000;
  const sampleRate = MP3_RATES[version][rateIndex];
  const padding = (b2 >> 1) & 1;
  let samples: number;
  let length: number;
  if (layer === 1) {
    samples = 384;
    length = (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  } else {
    samples = layer === 3 && version !== 3 ? 576 : 1152;
    length = Math.floor((samples / 8) * bitrate / sampleRate) + padding;
  }
  const mono = (b3 >> 6) === 3;
  const sideInfo = version === 3 ? (mono ? 17 : 32) : (mono ? 9 : 17);
  return { length, samples, sampleRate, sideInfoEnd: 4 + sideInfo };
}

/** Skips an ID3v2 tag at the start. */
function id3End(bytes: Uint8Array): number {
  if (bytes.length < 10 || text(bytes, 0, 3) !== "ID3") return 0;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) |
    (bytes[9] & 0x7f);
  const footer = bytes[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/** Frames counted by a Xing/Info or VBRI header in the first frame. */
function vbrFrames(bytes: Uint8Array, offset: number, frame: Mp3Frame): number | undefined {
  const dv = view(bytes);
  const xing = offset + frame.sideInfoEnd;
  if (xing + 12 <= bytes.length) {
    const tag = text(bytes, xing, 4);
    if ((tag === "Xing" || tag === "Info") && (dv.getUint32(xing + 4) & 1)) {
      return dv.getUint32(xing + 8);
    }
  }
  const vbri = offset + 36;
  if (vbri + 18 <= bytes.length && text(bytes, vbri, 4) === "VBRI") return dv.getUint32(vbri + 14);
  return undefined;
}

function probeMp3(bytes: Uint8Array): AvProbe | undefined {
  const start = id3End(bytes);
  const first = mp3Frame(bytes, start);
  if (!first || start + first.length > bytes.length) return undefined;
  // One frame header can be chance; the next one where it says it is cannot.
  const second = start + first.length;
  if (second + 4 <= bytes.length && !mp3Frame(bytes, second)) return undefined;
  const counted = vbrFrames(bytes, start, first);
  if (counted !== undefined && counted > 0) {
    return {
      kind: "audio",
      format: "mp3",
      durationMs: Math.round((counted * first.samples / first.sampleRate) * 1000),
    };
  }
  let seconds = 0;
  let offset = start;
  for (let frame = mp3Frame(bytes, offset); frame; frame = mp3Frame(bytes, offset)) {
    seconds += frame.samples / frame.sampleRate;
    offset += frame.length;
  }
  return { kind: "audio", format: "mp3", durationMs: Math.round(seconds * 1000) };
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
  7350,
];

function adtsFrame(bytes: Uint8Array, offset: number) {
  if (offset + 7 > bytes.length) return undefined;
  const b = bytes.subarray(offset, offset + 7);
  // Sync word, then layer 00 (what tells ADTS from MPEG audio).
  if (b[0] !== 0xff || (b[1] & 0xf6) !== 0xf0) return undefined;
  const sampleRate = ADTS_RATES[(b[2] >> 2) & 0xf];
  const length = ((b[3] & 3) << 11) | (b[4] << 3) | (b[5] >> 5);
  if (!sampleRate || length < 7) return undefined;
  return { length, samples: ((b[6] & 3) + 1) * 1024, sampleRate };
}

function probeAdts(bytes: Uint8Array): AvProbe | undefined {
  const start = id3End(bytes);
  const first = adtsFrame(bytes, start);
  if (!first || start + first.length > bytes.length) return undefined;
  const second = start + first.length;
  if (second + 7 <= bytes.length && !adtsFrame(bytes, second)) return undefined;
  let seconds = 0;
  let offset = start;
  for (let frame = adtsFrame(bytes, offset); frame; frame = adtsFrame(bytes, offset)) {
    seconds += frame.samples / frame.sampleRate;
    offset += frame.length;
  }
  return { kind: "audio", format: "aac", durationMs: Math.round(seconds * 1000) };
}

// ---------------------------------------------------------------- WebM (EBML)

interface Element {
  id: number;
  start: number;
  end: number;
}

/** An EBML variable-length integer: its value (marker removed) and length. */
function vint(bytes: Uint8Array, offset: number, keepMarker: boolean) {
  const first = bytes[offset];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (offset + length > bytes.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[offset + i];
    if (bytes[offset + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function elements(bytes: Uint8Array, start: number, end: number): Element[] {
  const out: Element[] = [];
  let offset = start;
  while (offset < end) {
    const id = vint(bytes, offset, true);
    if (!id) break;
    const size = vint(bytes, offset + id.length, false);
    if (!size) break;
    const contentStart = offset + id.length + size.length;
    const contentEnd = size.unknown ? end : Math.min(contentStart + size.value, end);
    out.push({ id: id.value, start: contentStart, end: contentEnd });
    if (contentEnd <= offset) break;
    offset = contentEnd;
  }
  return out;
}

function uint(bytes: Uint8Array, element: Element): number {
  let value = 0;
  for (let i = element.start; i < element.end; i++) value = value * 256 + bytes[i];
  return value;
}

function float(bytes: Uint8Array, element: Element): number | undefined {
  const length = element.end - element.start;
  if (length === 4) return view(bytes).getFloat32(element.start);
  if (length === 8) return view(bytes).getFloat64(element.start);
  return undefined;
}

const EBML = {
  header: 0x1a45dfa3,
  docType: 0x4282,
  segment: 0x18538067,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  duration: 0x4489,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackType: 0x83,
  video: 0xe0,
  pixelWidth: 0xb0,
  pixelHeight: 0xba,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
} as const;

/** The latest block timestamp of the clusters, in timecode units. */
function lastBlockTime(bytes: Uint8Array, clusters: Element[]): number | undefined {
  let latest: number | undefined;
  for (const cluster of clusters) {
    const parts = elements(bytes, cluster.start, cluster.end);
    const base = parts.find((part) => part.id === EBML.timecode);
    if (!base) continue;
    const clusterTime = uint(bytes, base);
    const blocks = parts.flatMap((part) =>
      part.id === EBML.simpleBlock
        ? [part]
        : part.id === EBML.blockGroup
        ? elements(bytes, part.start, part.end).filter((p) => p.id === EBML.block)
        : []
    );
    for (const block of blocks) {
      const track = vint(bytes, block.start, false);
      if (!track || block.start + track.length + 2 > block.end) continue;
      const relative = view(bytes).getInt16(block.start + track.length);
      const time = clusterTime + relative;
      if (latest === undefined || time > latest) latest = time;
    }
    if (latest === undefined) latest = clusterTime;
  }
  return latest;
}

function probeWebm(bytes: Uint8Array): AvProbe | undefined {
  const top = elements(bytes, 0, bytes.length);
  const header = top[0];
  if (!header || header.id !== EBML.header) return undefined;
  const docType = elements(bytes, header.start, header.end).find((e) => e.id === EBML.docType);
  if (!docType || text(bytes, docType.start, docType.end - docType.start) !== "webm") {
    return undefined;
  }
  const segment = top.find((e) => e.id === EBML.segment);
  if (!segment) return undefined;
  const parts = elements(bytes, segment.start, segment.end);
  const info = parts.find((e) => e.id === EBML.info);
  const infoParts = info ? elements(bytes, info.start, info.end) : [];
  const scaleElement = infoParts.find((e) => e.id === EBML.timecodeScale);
  const scale = scaleElement ? uint(bytes, scaleElement) : 1_000_000;
  const durationElement = infoParts.find((e) => e.id === EBML.duration);
  let units = durationElement ? float(bytes, durationElement) : undefined;
  if (units === undefined || !(units > 0)) {
    units = lastBlockTime(bytes, parts.filter((e) => e.id === EBML.cluster));
  }
  const tracks = parts.find((e) => e.id === EBML.tracks);
  let video: { width?: number; height?: number } | undefined;
  let audio = false;
  for (const entry of tracks ? elements(bytes, tracks.start, tracks.end) : []) {
    if (entry.id !== EBML.trackEntry) continue;
    const fields = elements(bytes, entry.start, entry.end);
    const type = fields.find((e) => e.id === EBML.trackType);
    const kind = type ? uint(bytes, type) : 0;
    if (kind === 2) audio = true;
    if (kind !== 1 || video) continue;
    const settings = fields.find((e) => e.id === EBML.video);
    const dims = settings ? elements(bytes, settings.start, settings.end) : [];
    const width = dims.find((e) => e.id === EBML.pixelWidth);
    const height = dims.find((e) => e.id === EBML.pixelHeight);
    video = {
      width: width ? uint(bytes, width) : undefined,
      height: height ? uint(bytes, height) : undefined,
    };
  }
  const durationMs = units === undefined ? undefined : Math.round((units * scale) / 1_000_000);
  if (video) return { kind: "video", format: "webm", durationMs, ...video };
  if (audio) return { kind: "audio", format: "webm", durationMs };
  return undefined;
}

/**
 * What an audio or video file is, from its bytes; `undefined` for anything
 * else (images included) and for containers too damaged to tell.
 */
export function probeAv(bytes: Uint8Array): AvProbe | undefined {
  return probeIso(bytes) ?? probeWebm(bytes) ?? probeWav(bytes) ?? probeMp3(bytes) ??
    probeAdts(bytes);
}

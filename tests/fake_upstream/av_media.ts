/**
 * Small but structurally real audio and video files for the tests: MP4/MOV/M4A
 * (`ftyp`, `moov` with `mvhd` and one `trak` per track, `mdat`), WebM (EBML
 * header, `Info` with or without `Duration`, `Tracks`, one `Cluster` of
 * blocks), WAV (PCM samples), MP3 (MPEG-1 Layer III frames, optionally a Xing
 * header) and ADTS AAC frames. Payloads are silence or a tone; no decoder is
 * needed to read what the tests read: kinds, sizes and durations.
 * @module
 */

const encoder = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function u16(value: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value);
  return out;
}

function box(type: string, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([u32(8 + body.length), encoder.encode(type), body]);
}

/** Version 0, flags 0. */
const FULL = new Uint8Array(4);

/** Options of {@linkcode encodeMp4}. */
export interface Mp4Options {
  durationMs: number;
  width?: number;
  height?: number;
  /** Major brand: `isom` (MP4), `qt  ` (MOV), `M4A ` (audio). @default "isom" */
  brand?: string;
  /** Tracks to declare. @default ["video"] */
  tracks?: ("video" | "audio")[];
  /** `mdat` payload size. @default 256 */
  payloadBytes?: number;
  /** Put `moov` after `mdat` (as cameras write it). @default false */
  moovLast?: boolean;
  /** Write `mvhd` version 1 (64-bit times). @default false */
  version1?: boolean;
}

function mvhd(durationMs: number, version1: boolean): Uint8Array {
  const timescale = 1000;
  const times = version1
    ? concat([
      new Uint8Array([1, 0, 0, 0]),
      new Uint8Array(16),
      u32(timescale),
      u32(0),
      u32(durationMs),
    ])
    : concat([FULL, new Uint8Array(8), u32(timescale), u32(durationMs)]);
  // rate 1.0, volume 1.0, reserved, unity matrix, pre_defined, next track id.
  const rest = concat([
    u32(0x00010000),
    u16(0x0100),
    new Uint8Array(10),
    u32(0x00010000),
    new Uint8Array(12),
    u32(0x00010000),
    new Uint8Array(12),
    u32(0x40000000),
    new Uint8Array(24),
    u32(3),
  ]);
  return box("mvhd", times, rest);
}

function trak(kind: "video" | "audio", id: number, o: Mp4Options): Uint8Array {
  const width = kind === "video" ? (o.width ?? 320) : 0;
  const height = kind === "video" ? (o.height ?? 240) : 0;
  const tkhd = box(
    "tkhd",
    new Uint8Array([0, 0, 0, 3]),
    new Uint8Array(8),
    u32(id),
    new Uint8Array(4),
    u32(o.durationMs),
    new Uint8Array(8),
    u16(0),
    u16(0),
    u16(kind === "audio" ? 0x0100 : 0),
    u16(0),
    u32(0x00010000),
    new Uint8Array(12),
    u32(0x00010000),
    new Uint8Array(12),
    u32(0x40000000),
    u32(width << 16),
    u32(height << 16),
  );
  const mdhd = box(
    "mdhd",
    FULL,
    new Uint8Array(8),
    u32(1000),
    u32(o.durationMs),
    u16(0x55c4),
    u16(0),
  );
  const hdlr = box(
    "hdlr",
    FULL,
    u32(0),
    encoder.encode(kind === "video" ? "vide" : "soun"),
    new Uint8Array(12),
    encoder.encode(kind === "video" ? "VideoHandler\0" : "SoundHandler\0"),
  );
  return box("trak", tkhd, box("mdia", mdhd, hdlr));
}

/** An MP4 (or MOV/M4A by brand) with `mvhd` saying `durationMs`. */
export function encodeMp4(options: Mp4Options): Uint8Array {
  const brand = options.brand ?? "isom";
  const ftyp = box(
    "ftyp",
    encoder.encode(brand.padEnd(4).slice(0, 4)),
    u32(0x200),
    encoder.encode("isomiso2mp41"),
  );
  const tracks = (options.tracks ?? ["video"]).map((kind, i) => trak(kind, i + 1, options));
  const moov = box("moov", mvhd(options.durationMs, options.version1 ?? false), ...tracks);
  const payload = new Uint8Array(options.payloadBytes ?? 256);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const mdat = box("mdat", payload);
  return options.moovLast ? concat([ftyp, mdat, moov]) : concat([ftyp, moov, mdat]);
}

/** An audio-only M4A. */
export function encodeM4a(durationMs: number): Uint8Array {
  return encodeMp4({ durationMs, brand: "M4A ", tracks: ["audio"] });
}

/** Options of {@linkcode encodeWav}. */
export interface WavOptions {
  durationMs: number;
  /** @default 8000 */
  sampleRate?: number;
  /** @default 1 */
  channels?: number;
}

/** A 16-bit PCM WAV holding a 440 Hz tone. */
export function encodeWav({ durationMs, sampleRate = 8000, channels = 1 }: WavOptions): Uint8Array {
  const frames = Math.round((durationMs / 1000) * sampleRate);
  const dataSize = frames * channels * 2;
  const out = new Uint8Array(44 + dataSize);
  const view = new DataView(out.buffer);
  out.set(encoder.encode("RIFF"), 0);
  view.setUint32(4, 36 + dataSize, true);
  out.set(encoder.encode("WAVEfmt "), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  out.set(encoder.encode("data"), 36);
  view.setUint32(40, dataSize, true);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(Math.sin((2 * Math.PI * 440 * i) / sampleRate) * 8000);
    for (let c = 0; c < channels; c++) view.setInt16(44 + (i * channels + c) * 2, sample, true);
  }
  return out;
}

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo, no padding: 417 bytes, 1152 samples. */
const MP3_HEADER = [0xff, 0xfb, 0x90, 0x00];
const MP3_FRAME_BYTES = 417;

/** Options of {@linkcode encodeMp3}. */
export interface Mp3Options {
  durationMs: number;
  /** Start with an ID3v2 tag. @default true */
  id3?: boolean;
  /** First frame carries a Xing header with the frame count. @default false */
  xing?: boolean;
}

/** An MP3 of silent frames lasting about `durationMs`. */
export function encodeMp3({ durationMs, id3 = true, xing = false }: Mp3Options): Uint8Array {
  const frames = Math.max(1, Math.round((durationMs / 1000) * 44100 / 1152));
  const parts: Uint8Array[] = [];
  if (id3) {
    const tag = encoder.encode("TIT2\0\0\0\x05\0\0test");
    parts.push(new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, tag.length]), tag);
  }
  for (let i = 0; i < frames; i++) {
    const frame = new Uint8Array(MP3_FRAME_BYTES);
    frame.set(MP3_HEADER);
    if (i === 0 && xing) {
      frame.set(encoder.encode("Xing"), 36);
      new DataView(frame.buffer).setUint32(40, 1);
      new DataView(frame.buffer).setUint32(44, frames);
    }
    parts.push(frame);
  }
  return concat(parts);
}

/** ADTS AAC-LC frames at 44.1 kHz (1024 samples each), about `durationMs` long. */
export function encodeAdts(durationMs: number): Uint8Array {
  const frames = Math.max(1, Math.round((durationMs / 1000) * 44100 / 1024));
  const length = 64;
  const frame = new Uint8Array(length);
  // Sync, MPEG-4, layer 0, no CRC; AAC LC, 44.1 kHz (index 4), 2 channels; frame length; fullness.
  frame.set([
    0xff,
    0xf1,
    0x50,
    0x80 | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  ]);
  const parts = Array.from({ length: frames }, () => frame);
  return concat(parts);
}

// ---------------------------------------------------------------- WebM

function ebmlSize(size: number): Uint8Array {
  // Always 8 bytes: 0x01 marker then a 56-bit length.
  const out = new Uint8Array(8);
  out[0] = 0x01;
  let value = size;
  for (let i = 7; i >= 1; i--) {
    out[i] = value % 256;
    value = Math.floor(value / 256);
  }
  return out;
}

function idBytes(id: number): Uint8Array {
  const bytes: number[] = [];
  for (let value = id; value > 0; value = Math.floor(value / 256)) bytes.unshift(value % 256);
  return new Uint8Array(bytes);
}

function element(id: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([idBytes(id), ebmlSize(body.length), body]);
}

function uintBytes(value: number, length = 4): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

function float64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, value);
  return out;
}

/** Options of {@linkcode encodeWebm}. */
export interface WebmOptions {
  durationMs: number;
  width?: number;
  height?: number;
  /** Write `Info/Duration` (MediaRecorder files have none). @default true */
  withDuration?: boolean;
  /** Declare a video track. @default true */
  video?: boolean;
  /** EBML DocType. @default "webm" */
  docType?: string;
}

/** A WebM whose blocks span `durationMs` (1 ms timecode scale). */
export function encodeWebm(options: WebmOptions): Uint8Array {
  const header = element(
    0x1a45dfa3,
    element(0x4286, uintBytes(1, 1)),
    element(0x4282, encoder.encode(options.docType ?? "webm")),
    element(0x4287, uintBytes(4, 1)),
  );
  const info = element(
    0x1549a966,
    element(0x2ad7b1, uintBytes(1_000_000)),
    ...(options.withDuration === false ? [] : [element(0x4489, float64(options.durationMs))]),
  );
  const track = options.video === false
    ? element(0xae, element(0xd7, uintBytes(1, 1)), element(0x83, uintBytes(2, 1)))
    : element(
      0xae,
      element(0xd7, uintBytes(1, 1)),
      element(0x83, uintBytes(1, 1)),
      element(
        0xe0,
        element(0xb0, uintBytes(options.width ?? 320, 2)),
        element(0xba, uintBytes(options.height ?? 240, 2)),
      ),
    );
  // One cluster per 10 s; blocks every 500 ms and one at the very end.
  const clusters: Uint8Array[] = [];
  for (let base = 0; base <= options.durationMs; base += 10_000) {
    const blocks: Uint8Array[] = [];
    const last = Math.min(base + 10_000 - 1, options.durationMs);
    for (let t = base; t <= last; t += 500) blocks.push(simpleBlock(t - base));
    if ((last - base) % 500 !== 0) blocks.push(simpleBlock(last - base));
    clusters.push(element(0x1f43b675, element(0xe7, uintBytes(base)), ...blocks));
  }
  return concat([header, element(0x18538067, info, element(0x1654ae6b, track), ...clusters)]);
}

function simpleBlock(relative: number): Uint8Array {
  const payload = new Uint8Array(4 + 16);
  payload[0] = 0x81; // track 1
  new DataView(payload.buffer).setInt16(1, relative);
  payload[3] = 0x80; // keyframe
  return element(0xa3, payload);
}

/**
 * What a reference file is — image, video or audio, and which format — from
 * its bytes alone (never its name or the type a client claims), with what
 * the header says about its size and duration.
 * @module
 */
import { probeAv } from "./av_probe.ts";
import { probeImage } from "./content_type.ts";

/** The three kinds of reference material. */
export type MaterialKind = "image" | "video" | "audio";

/** Every accepted format. */
export type MaterialFormat =
  | "png"
  | "jpeg"
  | "webp"
  | "gif"
  | "mp4"
  | "mov"
  | "webm"
  | "wav"
  | "mp3"
  | "m4a"
  | "aac";

/** A recognised reference file. */
export interface SniffedMaterial {
  kind: MaterialKind;
  format: MaterialFormat;
  /** MIME type of the format. */
  contentType: string;
  width?: number;
  height?: number;
  /** Duration in ms, when the header says (video and audio). */
  durationMs?: number;
}

/** Why bytes were not accepted, in words a client can act on. */
export interface SniffRefusal {
  refused: string;
}

/** MIME type per format. */
export const MATERIAL_CONTENT_TYPES: Readonly<Record<MaterialFormat, string>> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
};

/** The formats accepted, for messages. */
export const ACCEPTED_FORMATS =
  "images (PNG, JPEG, WebP, GIF), videos (MP4, MOV, WebM) or audio (WAV, MP3, M4A/AAC)";

const IMAGE_FORMATS: Record<string, MaterialFormat> = {
  png: "png",
  jpg: "jpeg",
  webp: "webp",
  gif: "gif",
};

/** A short name of a format, for messages ("a PNG image", "an MP4 video"). */
export function describeMaterial(material: Pick<SniffedMaterial, "kind" | "format">): string {
  const name = material.format === "m4a"
    ? "M4A"
    : material.format === "aac"
    ? "AAC"
    : material.format.toUpperCase();
  return `${/^[AEFHILMNORSX]/.test(name) ? "an" : "a"} ${name} ${material.kind}`;
}

/**
 * Recognises a reference file, or says why not (unknown bytes, a container
 * without the track that makes it usable, an unsupported variant).
 */
export function sniffMaterial(bytes: Uint8Array): SniffedMaterial | SniffRefusal {
  const image = probeImage(bytes);
  if (image) {
    const format = IMAGE_FORMATS[image.type.ext];
    return {
      kind: "image",
      format,
      contentType: MATERIAL_CONTENT_TYPES[format],
      width: image.width,
      height: image.height,
    };
  }
  const av = probeAv(bytes);
  if (av) {
    if (av.format === "webm" && av.kind === "audio") {
      return { refused: "is a WebM file without a video track; send audio as WAV, MP3 or M4A" };
    }
    return {
      kind: av.kind,
      format: av.format,
      contentType: MATERIAL_CONTENT_TYPES[av.format],
      width: av.width,
      height: av.height,
      durationMs: av.durationMs,
    };
  }
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === "ftyp") {
    return {
      refused: "is an MP4/MOV file whose moov box is missing or holds no track (truncated?)",
    };
  }
  return { refused: `is none of the accepted formats: ${ACCEPTED_FORMATS}` };
}

/** The kind a MIME type names (`image/*`, `video/*`, `audio/*`), if any. */
export function kindOfContentType(type: string | undefined): MaterialKind | undefined {
  const major = type?.split("/")[0].trim().toLowerCase();
  return major === "image" || major === "video" || major === "audio" ? major : undefined;
}

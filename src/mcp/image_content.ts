/**
 * Generated images as MCP image content. An MCP answer carries images inline
 * as base64, which a model then reads, so what is embedded is bounded: each
 * image up to {@linkcode MAX_EMBEDDED_IMAGE_BYTES}, all of one answer up to
 * {@linkcode MAX_EMBEDDED_TOTAL_BYTES}. A bigger image (a 4k PNG) is not
 * shrunk — the server has no image codec and a re-encoded copy would not be
 * the result — it is left out of the inline content with a note, and its URL
 * (always in the answer) is how the client gets it.
 * @module
 */
import { downloadResult, toBase64 } from "../generation/download.ts";
import { mediaTypeOfHeader, sniffMediaType } from "../media/content_type.ts";

/** Largest image embedded in an answer. */
export const MAX_EMBEDDED_IMAGE_BYTES = 2 * 1048576;

/** Largest sum of the images embedded in one answer. */
export const MAX_EMBEDDED_TOTAL_BYTES = 8 * 1048576;

/** An MCP image content block. */
export interface ImageContent {
  type: "image";
  data: string;
  mimeType: string;
}

/** What {@linkcode embedImages} needs. */
export interface EmbedOptions {
  /** `PUBLIC_BASE_URL`: URLs under `<it>/media/` are this server's own files. */
  publicBaseUrl: string | null;
  /** Serves one of this server's paths in-process (`/media/<id>.<ext>`). */
  local: (path: string, signal?: AbortSignal) => Promise<Response>;
  signal?: AbortSignal;
  /** Timeout of one download. @default 30000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The embedded images, and a note for each one left out. */
export interface EmbeddedImages {
  images: ImageContent[];
  notes: string[];
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/**
 * Downloads `urls` (this server's media files in-process, the CDN's over
 * HTTP) and embeds those within the bounds, in order.
 */
export async function embedImages(
  urls: readonly string[],
  options: EmbedOptions,
): Promise<EmbeddedImages> {
  const images: ImageContent[] = [];
  const notes: string[] = [];
  let total = 0;
  const localPrefix = options.publicBaseUrl ? `${options.publicBaseUrl}/media/` : null;
  for (const [index, url] of urls.entries()) {
    const label = `Image ${index + 1}`;
    const room = Math.min(MAX_EMBEDDED_IMAGE_BYTES, MAX_EMBEDDED_TOTAL_BYTES - total);
    if (room <= 0) {
      notes.push(
        `${label} is not embedded: the answer already carries ${mib(total)} of images, and ${
          mib(MAX_EMBEDDED_TOTAL_BYTES)
        } at most; fetch it from its URL`,
      );
      continue;
    }
    let bytes: Uint8Array;
    let declared: string | null = null;
    try {
      bytes = await downloadResult(url, {
        maxBytes: room,
        timeoutMs: options.timeoutMs ?? 30_000,
        signal: options.signal,
        fetch: async (input, init) => {
          const target = String(input);
          const local = localPrefix !== null && target.startsWith(localPrefix);
          let response = local
            ? await options.local(
              `/media/${target.slice(localPrefix.length)}`,
              init?.signal ?? undefined,
            )
            : await (options.fetch ?? fetch)(input, init);
          // A media file not cached (yet) redirects to the CDN's copy.
          const location = response.headers.get("location");
          if (local && location && response.status >= 300 && response.status < 400) {
            await response.body?.cancel();
            response = await (options.fetch ?? fetch)(location, init);
          }
          declared = response.headers.get("content-type");
          return response;
        },
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const detail = !/larger than/.test((error as Error).message)
        ? `downloading it failed (${(error as Error).message})`
        : room < MAX_EMBEDDED_IMAGE_BYTES
        ? `the answer already carries ${mib(total)} of images, and ${
          mib(MAX_EMBEDDED_TOTAL_BYTES)
        } at most`
        : `it is larger than the ${mib(MAX_EMBEDDED_IMAGE_BYTES)} an answer embeds per image`;
      notes.push(`${label} is not embedded: ${detail}; fetch it from its URL`);
      continue;
    }
    const type = sniffMediaType(bytes.subarray(0, 16)) ?? mediaTypeOfHeader(declared);
    if (!type || !type.contentType.startsWith("image/")) {
      notes.push(`${label} is not embedded: it is not a PNG, JPEG, WebP or GIF image`);
      continue;
    }
    total += bytes.length;
    images.push({ type: "image", data: toBase64(bytes), mimeType: type.contentType });
  }
  return { images, notes };
}

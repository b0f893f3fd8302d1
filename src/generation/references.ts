/**
 * Reference images from what clients send: data URLs, http(s) URLs (fetched
 * with the SSRF guard), uploaded files, and — only when the operator opts in
 * with LOCAL_FILES_DIR — files inside that directory.
 * @module
 */
import { resolve, sep } from "node:path";
import { FetchRefusedError, fetchUntrusted, type Resolver } from "../net/safe_fetch.ts";
import { probeImage } from "../media/content_type.ts";
import { type ReferenceImage, referenceImage } from "./images.ts";

/** Settings for reading references. */
export interface ReferenceOptions {
  maxBytes: number;
  fetchTimeoutMs: number;
  localFilesDir: string | null;
  fetchAllowlist: readonly string[];
  resolver?: Resolver;
  signal?: AbortSignal;
}

/** A reference that could not be used; the message is safe for the client. */
export class InvalidReferenceError extends Error {
  override name = "InvalidReferenceError";
  /** The request field the reference came from, set by the caller. */
  param = "image";
  /** The error code, when not the image default (`invalid_image` / `image_too_large`). */
  code: string | undefined;
  constructor(message: string, readonly status: 400 | 413 | 504 = 400, code?: string) {
    super(message);
    this.code = code;
  }

  /** Sets {@linkcode InvalidReferenceError.param} and returns the error. */
  withParam(param: string): this {
    this.param = param;
    return this;
  }
}

function checkImage(bytes: Uint8Array, what: string, maxBytes: number): ReferenceImage {
  if (bytes.length === 0) throw new InvalidReferenceError(`${what} is empty`);
  if (bytes.length > maxBytes) {
    throw new InvalidReferenceError(
      `${what} is larger than ${Math.floor(maxBytes / 1048576)} MiB`,
      413,
    );
  }
  if (!probeImage(bytes)) {
    throw new InvalidReferenceError(`${what} is not a readable PNG, JPEG, WebP or GIF image`);
  }
  return referenceImage(bytes);
}

/** The bytes of a base64 data URL, refused beyond `maxBytes`. */
export function decodeDataUrl(url: string, maxBytes: number): Uint8Array {
  const comma = url.indexOf(",");
  if (comma === -1) throw new InvalidReferenceError("The data URL has no data");
  const header = url.slice(5, comma);
  if (!/;base64$/i.test(header)) {
    throw new InvalidReferenceError("Only base64 data URLs are accepted");
  }
  const data = url.slice(comma + 1).replace(/\s+/g, "");
  if (data.length * 0.75 > maxBytes + 3) {
    throw new InvalidReferenceError(
      `The data URL is larger than ${Math.floor(maxBytes / 1048576)} MiB`,
      413,
    );
  }
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(data)) {
    throw new InvalidReferenceError("The data URL is not valid base64");
  }
  try {
    const binary = atob(data.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    throw new InvalidReferenceError("The data URL is not valid base64");
  }
}

/** A file inside LOCAL_FILES_DIR (symlinks resolved first), refused anywhere else. */
export async function readLocalFile(path: string, options: ReferenceOptions): Promise<Uint8Array> {
  if (!options.localFilesDir) {
    throw new InvalidReferenceError(
      "Local file paths are not accepted: send a URL or a data URL, or have the operator set LOCAL_FILES_DIR",
    );
  }
  let root: string;
  let real: string;
  try {
    root = await Deno.realPath(options.localFilesDir);
  } catch {
    throw new InvalidReferenceError("LOCAL_FILES_DIR does not exist on the server");
  }
  const candidate = resolve(
    root,
    path.startsWith("file://") ? decodeURIComponent(new URL(path).pathname) : path,
  );
  try {
    // realPath follows symlinks, so a link pointing outside the directory is caught below.
    real = await Deno.realPath(candidate);
  } catch {
    throw new InvalidReferenceError("The local file does not exist");
  }
  if (real !== root && !real.startsWith(root + sep)) {
    throw new InvalidReferenceError("The local file is outside LOCAL_FILES_DIR");
  }
  const stat = await Deno.stat(real);
  if (!stat.isFile) throw new InvalidReferenceError("The local path is not a file");
  if (stat.size > options.maxBytes) {
    throw new InvalidReferenceError(
      `The local file is larger than ${Math.floor(options.maxBytes / 1048576)} MiB`,
      413,
    );
  }
  return await Deno.readFile(real);
}

/**
 * Loads one reference: a `File`, a data URL, an http(s) URL or a local path.
 *
 * @throws {InvalidReferenceError} with a client-safe message
 */
export async function loadReference(
  source: unknown,
  options: ReferenceOptions,
): Promise<ReferenceImage> {
  if (source instanceof File) {
    if (source.size > options.maxBytes) {
      throw new InvalidReferenceError(
        `The uploaded file "${source.name}" is larger than ${
          Math.floor(options.maxBytes / 1048576)
        } MiB`,
        413,
      );
    }
    return checkImage(
      new Uint8Array(await source.arrayBuffer()),
      `The uploaded file "${source.name}"`,
      options.maxBytes,
    );
  }
  if (typeof source !== "string" || source.trim() === "") {
    throw new InvalidReferenceError(
      "A reference image must be a URL, a data URL or an uploaded file",
    );
  }
  const text = source.trim();
  if (/^data:/i.test(text)) {
    return checkImage(decodeDataUrl(text, options.maxBytes), "The data URL", options.maxBytes);
  }
  if (/^https?:\/\//i.test(text)) {
    try {
      const { bytes } = await fetchUntrusted(text, {
        maxBytes: options.maxBytes,
        timeoutMs: options.fetchTimeoutMs,
        allowlist: options.fetchAllowlist,
        resolver: options.resolver,
        signal: options.signal,
      });
      return checkImage(bytes, "The image at the URL", options.maxBytes);
    } catch (error) {
      if (error instanceof FetchRefusedError) {
        throw new InvalidReferenceError(error.message, error.status);
      }
      throw error;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^file:\/\//i.test(text)) {
    throw new InvalidReferenceError(
      "Only http, https and data URLs are accepted for reference images",
    );
  }
  return checkImage(await readLocalFile(text, options), "The local file", options.maxBytes);
}

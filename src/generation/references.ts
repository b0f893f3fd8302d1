/**
 * Reference images from what clients send: data URLs, http(s) URLs (fetched
 * with the SSRF guard), uploaded files, and — only when the operator opts in
 * with LOCAL_FILES_DIR — files inside that directory.
 * @module
 */
import { resolve, sep } from "node:path";
import type { Resolver } from "../net/safe_fetch.ts";
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
  /** `options.cause`: what went wrong underneath (a network error), never shown to the client. */
  constructor(
    message: string,
    readonly status: 400 | 413 | 504 = 400,
    options?: ErrorOptions & { code?: string },
  ) {
    super(message, options);
    this.code = options?.code;
  }

  /** Sets {@linkcode InvalidReferenceError.param} and returns the error. */
  withParam(param: string): this {
    this.param = param;
    return this;
  }
}

async function checkImage(
  bytes: Uint8Array,
  what: string,
  maxBytes: number,
): Promise<ReferenceImage> {
  if (bytes.length === 0) throw new InvalidReferenceError(`${what} is empty`);
  if (bytes.length > maxBytes) {
    throw new InvalidReferenceError(
      `${what} is larger than ${Math.floor(maxBytes / 1048576)} MiB`,
      413,
    );
  }
  await checkWholeImage(bytes, what);
  return referenceImage(bytes);
}

/**
 * Checks that `bytes` are a whole image of a size Jimeng takes (see
 * `src/media/image_check.ts`), for every path an image reaches the upstream by.
 *
 * @throws {InvalidReferenceError} naming the limit or the flaw
 */
export async function checkWholeImage(bytes: Uint8Array, what: string): Promise<void> {
  // The decoders of every image format load with the first image a server checks.
  const { checkImageFile, ImageCheckError } = await import("../media/image_check.ts");
  try {
    await checkImageFile(bytes);
  } catch (error) {
    if (error instanceof ImageCheckError) {
      throw new InvalidReferenceError(`${what} ${error.message}`);
    }
    throw error;
  }
}

/** Why a data URL could not be decoded. */
export type DataUrlProblem = "no_data" | "not_base64" | "too_large" | "invalid_base64";

/**
 * A data URL decoded before the request reached its route (large JSON bodies
 * are parsed off the event loop): the bytes, or what was wrong with it.
 */
export class DecodedDataUrl {
  constructor(
    readonly bytes: Uint8Array | null,
    readonly problem: DataUrlProblem | null,
    /** The type the data URL declared (`image/png`, `video/mp4`, …), lower case; may be empty. */
    readonly mediaType = "",
  ) {}

  /**
   * The decoded bytes, refused beyond `maxBytes` (the worker decodes up to
   * the largest kind's limit; each use has its own).
   *
   * @throws {InvalidReferenceError} for a data URL the worker could not decode
   */
  checkedBytes(maxBytes: number): Uint8Array {
    if (this.problem !== null) throw dataUrlError(this.problem, maxBytes);
    if (this.bytes!.length > maxBytes) throw dataUrlError("too_large", maxBytes);
    return this.bytes!;
  }
}

function dataUrlError(problem: DataUrlProblem, maxBytes: number): InvalidReferenceError {
  switch (problem) {
    case "no_data":
      return new InvalidReferenceError("The data URL has no data");
    case "not_base64":
      return new InvalidReferenceError("Only base64 data URLs are accepted");
    case "too_large":
      return new InvalidReferenceError(
        `The data URL is larger than ${Math.floor(maxBytes / 1048576)} MiB`,
        413,
      );
    case "invalid_base64":
      return new InvalidReferenceError("The data URL is not valid base64");
  }
}

/** Decodes a (small) base64 data URL natively; large ones come as {@linkcode DecodedDataUrl}. */
export function decodeDataUrl(url: string, maxBytes: number): Uint8Array {
  const comma = url.indexOf(",");
  if (comma === -1) throw dataUrlError("no_data", maxBytes);
  if (!/;base64$/i.test(url.slice(5, comma))) throw dataUrlError("not_base64", maxBytes);
  let data = url.slice(comma + 1);
  if (data.length * 0.75 > maxBytes + 3) throw dataUrlError("too_large", maxBytes);
  if (/[-_]/.test(data)) data = data.replaceAll("-", "+").replaceAll("_", "/");
  try {
    return Uint8Array.fromBase64(data);
  } catch {
    throw dataUrlError("invalid_base64", maxBytes);
  }
}

/**
 * The path a local reference names. `file:` URLs must be local
 * (`file:///path` or `file://localhost/path`) and well-formed; anything else
 * is the client's mistake, a 400.
 */
function localPath(text: string): string {
  if (!/^file:/i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidReferenceError("The file URL is not a valid URL");
  }
  if (url.host !== "" && url.host !== "localhost") {
    throw new InvalidReferenceError("A file URL must name a local path (file:///…), not a host");
  }
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    throw new InvalidReferenceError("The file URL has a malformed percent-encoding");
  }
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Reads a file inside LOCAL_FILES_DIR. Containment is decided on the
 * normalised path before the file system is asked anything, and a path
 * outside the directory gets the same answer as a missing file: the answer
 * must not tell which files exist elsewhere on the machine.
 */
export async function readLocalFile(text: string, options: ReferenceOptions): Promise<Uint8Array> {
  if (!options.localFilesDir) {
    throw new InvalidReferenceError(
      "Local file paths are not accepted: send a URL or a data URL, or have the operator set LOCAL_FILES_DIR",
    );
  }
  const path = localPath(text);
  let root: string;
  try {
    root = await Deno.realPath(options.localFilesDir);
  } catch {
    throw new InvalidReferenceError("LOCAL_FILES_DIR does not exist on the server");
  }
  const notFound = () =>
    new InvalidReferenceError("The local file was not found in LOCAL_FILES_DIR");
  const candidate = resolve(root, path);
  if (path.includes("\0") || !isInside(root, candidate)) throw notFound();
  let real: string;
  try {
    // realPath follows symlinks, so a link pointing outside the directory is caught below.
    real = await Deno.realPath(candidate);
  } catch {
    throw notFound();
  }
  if (!isInside(root, real)) throw notFound();
  try {
    const stat = await Deno.stat(real);
    if (!stat.isFile) throw new InvalidReferenceError("The local path is not a file");
    if (stat.size > options.maxBytes) {
      throw new InvalidReferenceError(
        `The local file is larger than ${Math.floor(options.maxBytes / 1048576)} MiB`,
        413,
      );
    }
    return await Deno.readFile(real);
  } catch (error) {
    if (error instanceof InvalidReferenceError) throw error;
    throw new InvalidReferenceError("The local file could not be read");
  }
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
    return await checkImage(
      new Uint8Array(await source.arrayBuffer()),
      `The uploaded file "${source.name}"`,
      options.maxBytes,
    );
  }
  if (source instanceof DecodedDataUrl) {
    return await checkImage(
      source.checkedBytes(options.maxBytes),
      "The data URL image",
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
    return await checkImage(
      decodeDataUrl(text, options.maxBytes),
      "The data URL image",
      options.maxBytes,
    );
  }
  if (/^https?:\/\//i.test(text)) {
    // The guarded fetch loads with the first reference a server downloads.
    const { FetchRefusedError, fetchUntrusted } = await import("../net/safe_fetch.ts");
    try {
      const { bytes } = await fetchUntrusted(text, {
        maxBytes: options.maxBytes,
        timeoutMs: options.fetchTimeoutMs,
        allowlist: options.fetchAllowlist,
        resolver: options.resolver,
        signal: options.signal,
      });
      return await checkImage(bytes, "The image at the URL", options.maxBytes);
    } catch (error) {
      if (error instanceof FetchRefusedError) {
        throw new InvalidReferenceError(error.message, error.status, { cause: error.cause });
      }
      throw error;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^file:/i.test(text)) {
    throw new InvalidReferenceError(
      "Only http, https and data URLs are accepted for reference images",
    );
  }
  return await checkImage(await readLocalFile(text, options), "The local file", options.maxBytes);
}

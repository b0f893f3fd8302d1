/**
 * Reference materials of any kind (images, videos, audio) from what clients
 * send — uploaded files, data URLs, http(s) URLs through the SSRF guard,
 * files inside LOCAL_FILES_DIR — as bytes plus what the bytes are. The kind
 * comes from the bytes; a kind the request declares (a data URL's type, a
 * chat part's type, a seed field's name) is only checked against them.
 * @module
 */
import { FetchRefusedError, fetchUntrusted } from "../net/safe_fetch.ts";
import {
  describeMaterial,
  kindOfContentType,
  type MaterialKind,
  type SniffedMaterial,
  sniffMaterial,
} from "../media/sniff.ts";
import {
  checkWholeImage,
  decodeDataUrl,
  DecodedDataUrl,
  InvalidReferenceError,
  readLocalFile,
  type ReferenceOptions,
} from "./references.ts";

/** Where a material comes from. */
export interface MaterialSource {
  /** The request field, for error messages and `param`. */
  param: string;
  value: unknown;
  /** A kind the request declared for it, and how it did ("an input_audio part"). */
  declared?: { kind: MaterialKind; by: string };
}

/** A material read and recognised. */
export interface LoadedMaterial {
  param: string;
  bytes: Uint8Array;
  material: SniffedMaterial;
}

const mib = (bytes: number) => `${Math.floor(bytes / 1048576)} MiB`;

async function readSource(
  source: MaterialSource,
  options: ReferenceOptions,
): Promise<{ bytes: Uint8Array; declared?: MaterialSource["declared"]; what: string }> {
  const { value, param } = source;
  if (value instanceof File) {
    if (value.size > options.maxBytes) {
      throw new InvalidReferenceError(
        `The uploaded file "${value.name}" (${param}) is larger than ${mib(options.maxBytes)}`,
        413,
      );
    }
    return {
      bytes: new Uint8Array(await value.arrayBuffer()),
      declared: source.declared,
      what: `The uploaded file "${value.name}" (${param})`,
    };
  }
  if (value instanceof DecodedDataUrl) {
    // A large JSON body's data URL, decoded off the event loop (src/api/json_worker.ts).
    const kind = kindOfContentType(value.mediaType || undefined);
    return {
      bytes: value.checkedBytes(options.maxBytes),
      declared: source.declared ??
        (kind ? { kind, by: `its data URL type ${value.mediaType}` } : undefined),
      what: `The data URL in ${param}`,
    };
  }
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvalidReferenceError(
      `'${param}' must be a URL, a data URL or an uploaded file`,
    );
  }
  const text = value.trim();
  if (/^data:/i.test(text)) {
    const type = /^data:([^;,]*)/i.exec(text)?.[1];
    const kind = kindOfContentType(type);
    return {
      bytes: decodeDataUrl(text, options.maxBytes),
      declared: source.declared ?? (kind ? { kind, by: `its data URL type ${type}` } : undefined),
      what: `The data URL in ${param}`,
    };
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
      return { bytes, declared: source.declared, what: `The file at the URL in ${param}` };
    } catch (error) {
      if (error instanceof FetchRefusedError) {
        throw new InvalidReferenceError(error.message, error.status);
      }
      throw error;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^file:\/\//i.test(text)) {
    throw new InvalidReferenceError("Only http, https and data URLs are accepted for references");
  }
  return {
    bytes: await readLocalFile(text, options),
    declared: source.declared,
    what: `The local file in ${param}`,
  };
}

/**
 * Reads one material and recognises it.
 *
 * @throws {InvalidReferenceError} (its `param` set to the source's) for
 * anything unreadable, unknown or declared as another kind
 */
export async function loadMaterial(
  source: MaterialSource,
  options: ReferenceOptions,
): Promise<LoadedMaterial> {
  try {
    const { bytes, declared, what } = await readSource(source, options);
    if (bytes.length === 0) throw new InvalidReferenceError(`${what} is empty`);
    const sniffed = sniffMaterial(bytes);
    if ("refused" in sniffed) {
      throw new InvalidReferenceError(`${what} ${sniffed.refused}`, 400, {
        code: "invalid_reference",
      });
    }
    if (declared && declared.kind !== sniffed.kind) {
      throw new InvalidReferenceError(
        `${what} is declared as ${declared.kind} by ${declared.by}, but its bytes are ${
          describeMaterial(sniffed)
        }`,
        400,
        { code: "invalid_reference" },
      );
    }
    // An image reference gets the same whole-file check as in /v1/images (dimensions, bombs).
    if (sniffed.kind === "image") await checkWholeImage(bytes, what);
    return { param: source.param, bytes, material: sniffed };
  } catch (error) {
    if (error instanceof InvalidReferenceError) error.param = source.param;
    throw error;
  }
}

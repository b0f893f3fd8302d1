/**
 * Downloads a generated result from the upstream CDN (for `b64_json` and
 * the media cache). These URLs come from the upstream, not from clients.
 * @module
 */
import { JimengError } from "../jimeng/errors.ts";
import { PRIVATE_FILE_MODE } from "../private_files.ts";

/** Options of {@linkcode downloadResult} and {@linkcode downloadToFile}. */
export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

function tooLarge(maxBytes: number): JimengError {
  return new JimengError(
    "bad_response",
    `The result is larger than ${maxBytes} bytes; ask for a URL instead`,
  );
}

/**
 * Runs `read` on the response body of `url`, after checking the status and
 * the declared length, mapping every failure to a {@linkcode JimengError}.
 */
async function withResultBody<T>(
  url: string,
  options: DownloadOptions,
  read: (response: Response & { body: ReadableStream<Uint8Array> }) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await (options.fetch ?? fetch)(url, { signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new JimengError(
        "upstream_unavailable",
        `Downloading the result from Jimeng's CDN failed: HTTP ${response.status}`,
      );
    }
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body.cancel();
      throw tooLarge(options.maxBytes);
    }
    return await read(response as Response & { body: ReadableStream<Uint8Array> });
  } catch (error) {
    if (error instanceof JimengError) throw error;
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted) {
      throw new JimengError("timeout", "Downloading the result from Jimeng's CDN timed out");
    }
    throw new JimengError(
      "upstream_unavailable",
      `Downloading the result from Jimeng's CDN failed: ${(error as Error).message}`,
    );
  }
}

/** Downloads `url` fully, up to `maxBytes`. */
export function downloadResult(url: string, options: DownloadOptions): Promise<Uint8Array> {
  return withResultBody(url, options, async (response) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > options.maxBytes) throw tooLarge(options.maxBytes);
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  });
}

/** What {@linkcode downloadToFile} wrote. */
export interface FileDownload {
  /** Bytes written. */
  size: number;
  /** The first bytes (up to 64), for content sniffing. */
  head: Uint8Array;
  /** The `Content-Type` the CDN declared, if any. */
  contentType: string | null;
}

const HEAD_BYTES = 64;

/**
 * Streams `url` into the file at `path` (created or truncated), up to
 * `maxBytes`, without holding the body in memory. On failure the partial
 * file is removed.
 */
export async function downloadToFile(
  url: string,
  path: string,
  options: DownloadOptions,
): Promise<FileDownload> {
  try {
    return await withResultBody(url, options, async (response) => {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, {
          write: true,
          create: true,
          truncate: true,
          mode: PRIVATE_FILE_MODE,
        });
      } catch (error) {
        await response.body.cancel();
        throw error;
      }
      try {
        const head = new Uint8Array(HEAD_BYTES);
        let headLength = 0;
        let size = 0;
        for await (const chunk of response.body) {
          size += chunk.length;
          if (size > options.maxBytes) throw tooLarge(options.maxBytes);
          if (headLength < HEAD_BYTES) {
            const take = chunk.subarray(0, HEAD_BYTES - headLength);
            head.set(take, headLength);
            headLength += take.length;
          }
          for (let offset = 0; offset < chunk.length;) {
            offset += await file.write(chunk.subarray(offset));
          }
        }
        return {
          size,
          head: head.slice(0, headLength),
          contentType: response.headers.get("content-type"),
        };
      } finally {
        file.close();
      }
    });
  } catch (error) {
    await Deno.remove(path).catch(() => {});
    throw error;
  }
}

/** Base64 of bytes, without building one huge intermediate string per byte. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

/**
 * Downloads a generated result from the upstream CDN (for `b64_json` and
 * the media cache). These URLs come from the upstream, not from clients.
 * @module
 */
import { JimengError } from "../jimeng/errors.ts";

/** Options of {@linkcode downloadResult}. */
export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** Downloads `url` fully, up to `maxBytes`. */
export async function downloadResult(url: string, options: DownloadOptions): Promise<Uint8Array> {
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
      throw new JimengError(
        "bad_response",
        `The result is larger than ${options.maxBytes} bytes; ask for a URL instead`,
      );
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > options.maxBytes) {
        throw new JimengError(
          "bad_response",
          `The result is larger than ${options.maxBytes} bytes; ask for a URL instead`,
        );
      }
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
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

/** Base64 of bytes, without building one huge intermediate string per byte. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

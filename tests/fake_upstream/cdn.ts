/**
 * The "CDN": signed, expiring result URLs like the real `byteimg.com` /
 * `vlabvod.com` links (fact sheet 4.4, 5.6), serving deterministic PNG and
 * MP4 bytes, with byte ranges for video.
 * @module
 */
import { createHmac } from "node:crypto";
import { fakePngBytes, fakeVideoBytes, type VideoVariant } from "./media.ts";
import type { Reply } from "./reply.ts";
import type { FakeState } from "./state.ts";

/** How long a result URL stays valid (one observed link expired after ~20 days). */
const URL_TTL_S = 20 * 86_400;

function signature(state: FakeState, path: string, expires: number): string {
  return createHmac("sha256", state.cdnSecret).update(`${path}|${expires}`).digest("hex")
    .slice(0, 32);
}

/** A signed URL for `path` (e.g. `/cdn/image/<id>/0.png`), valid from `issuedAtMs` for 20 days. */
export function cdnUrl(state: FakeState, path: string, issuedAtMs: number): string {
  const expires = Math.floor(issuedAtMs / 1000) + URL_TTL_S;
  return `${state.url}${path}?x-expires=${expires}&x-signature=${signature(state, path, expires)}`;
}

function plain(status: number, message: string): Reply {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body: message };
}

/** Applies a single `Range: bytes=…` header; multi-range requests get the whole body. */
function ranged(req: Request, bytes: Uint8Array, headers: Record<string, string>): Reply {
  const range = req.headers.get("range");
  const match = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
  if (!match || (match[1] === "" && match[2] === "")) {
    return {
      status: 200,
      headers: { ...headers, "content-length": String(bytes.length) },
      body: bytes,
    };
  }
  const size = bytes.length;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    return { status: 416, headers: { ...headers, "content-range": `bytes */${size}` }, body: null };
  }
  const body = bytes.subarray(start, end + 1);
  return {
    status: 206,
    headers: {
      ...headers,
      "content-range": `bytes ${start}-${end}/${size}`,
      "content-length": String(body.length),
    },
    body,
  };
}

const CDN_PATH = /^\/cdn\/(image|video)\/(\d+)\/(\d+\.png|(?:preview|hq|nowm|nowm_small)\.mp4)$/;

/** `GET|HEAD /cdn/...`. */
export function handleCdn(state: FakeState, req: Request, url: URL): Reply {
  if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "Method Not Allowed");
  const match = CDN_PATH.exec(url.pathname);
  if (!match) return plain(404, "Not Found");
  const [, kind, historyId, file] = match;
  const expires = Number(url.searchParams.get("x-expires"));
  const given = url.searchParams.get("x-signature");
  if (given !== signature(state, url.pathname, expires)) return plain(403, "signature mismatch");
  if (expires * 1000 < state.options.now()) return plain(403, "url expired");
  const record = state.records.get(historyId);
  if (!record || record.banned) return plain(404, "Not Found");
  if (state.knobs.cdnFailRate > 0 && state.random() < state.knobs.cdnFailRate) {
    state.stats.faultsInjected++;
    return state.random() < 0.5 ? plain(404, "Not Found") : plain(500, "Internal Server Error");
  }
  const headers = { "accept-ranges": "bytes", "cache-control": "max-age=2592000" };
  if (kind === "image") {
    const index = parseInt(file, 10);
    // Video records have one cover image (index 0).
    if (index >= Math.max(1, record.kind === "image" ? record.itemCount : 1)) {
      return plain(404, "Not Found");
    }
    return ranged(req, fakePngBytes(historyId, index), { ...headers, "content-type": "image/png" });
  }
  if (record.kind !== "video") return plain(404, "Not Found");
  const variant = file.slice(0, -".mp4".length) as VideoVariant;
  return ranged(req, fakeVideoBytes(historyId, variant), {
    ...headers,
    "content-type": "video/mp4",
  });
}

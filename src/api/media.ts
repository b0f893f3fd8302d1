/**
 * `GET|HEAD /media/<id>.<ext>`: files of the media cache, with validators,
 * long cache lifetimes and single byte ranges. A result that is not cached
 * redirects to its upstream URL. Ids are unguessable, so no credentials are
 * needed; anything that is not a well-formed id is a 404 before the file
 * system is touched.
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { chooseRange } from "../media/range.ts";
import type { MediaRecord } from "../store/media.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { ApiError } from "./errors.ts";

const PUBLIC_NAME = /^([A-Za-z0-9_-]{22})\.(png|jpg|jpeg|webp|gif|mp4)$/;
const CHUNK = 65536;

function notFound(): ApiError {
  return new ApiError(
    404,
    "No such media: the id is unknown or the item was deleted",
    "invalid_request_error",
    "media_not_found",
  );
}

/** A stream of `length` bytes of `file` from `start`; closes the file when done or cancelled. */
function fileSlice(file: Deno.FsFile, start: number, length: number): ReadableStream<Uint8Array> {
  let remaining = length;
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      file.close();
    }
  };
  return new ReadableStream<Uint8Array>({
    async start() {
      if (start > 0) await file.seek(start, Deno.SeekMode.Start);
    },
    async pull(controller) {
      try {
        const buffer = new Uint8Array(Math.min(CHUNK, remaining));
        const read = buffer.length === 0 ? null : await file.read(buffer);
        if (read === null) {
          close();
          controller.close();
          return;
        }
        controller.enqueue(buffer.subarray(0, read));
        remaining -= read;
        if (remaining === 0) {
          close();
          controller.close();
        }
      } catch (error) {
        close();
        controller.error(error);
      }
    },
    cancel: close,
  });
}

/** Whether an `If-None-Match` list names `etag` (weak comparison). */
function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/** Seconds since the epoch, as HTTP dates carry. */
const seconds = (ms: number) => Math.floor(ms / 1000);

function serveFile(
  c: Context<ApiEnv>,
  file: Deno.FsFile,
  info: Deno.FileInfo,
  record: MediaRecord,
): Response {
  const size = info.size;
  const modified = info.mtime?.getTime() ?? record.createdAt;
  const etag = `"${record.id}-${size.toString(36)}"`;
  const headers = new Headers({
    "Content-Type": record.contentType ?? "application/octet-stream",
    "Accept-Ranges": "bytes",
    "ETag": etag,
    "Last-Modified": new Date(modified).toUTCString(),
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
  });
  const ifNoneMatch = c.req.header("if-none-match");
  const ifModifiedSince = c.req.header("if-modified-since");
  const unchanged = ifNoneMatch !== undefined
    ? matchesEtag(ifNoneMatch, etag)
    : ifModifiedSince !== undefined && seconds(Date.parse(ifModifiedSince)) >= seconds(modified);
  if (unchanged) {
    file.close();
    return new Response(null, { status: 304, headers });
  }
  // If-Range: the range only applies to the representation the client holds.
  const ifRange = c.req.header("if-range");
  const rangeHeader = ifRange === undefined ||
      ifRange.trim() === etag ||
      (!ifRange.trim().startsWith('"') && seconds(Date.parse(ifRange)) === seconds(modified))
    ? c.req.header("range")
    : undefined;
  const range = chooseRange(rangeHeader, size);
  if (range.kind === "unsatisfiable") {
    file.close();
    headers.set("Content-Range", `bytes */${size}`);
    headers.set("Content-Type", "application/json");
    const error = new ApiError(
      416,
      `The requested range is outside the file (${size} bytes)`,
      "invalid_request_error",
      "range_not_satisfiable",
    );
    return new Response(JSON.stringify(error.toBody()), { status: 416, headers });
  }
  const [status, start, end] = range.kind === "partial"
    ? [206, range.start, range.end]
    : [200, 0, size - 1];
  const length = end - start + 1;
  headers.set("Content-Length", String(length));
  if (status === 206) headers.set("Content-Range", `bytes ${start}-${end}/${size}`);
  if (c.req.method === "HEAD") {
    file.close();
    return new Response(null, { status, headers });
  }
  return new Response(fileSlice(file, start, length), { status, headers });
}

/** Serves the cached file of a row; `undefined` when it is not (or no longer) cached. */
export async function serveCachedMedia(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  record: MediaRecord,
): Promise<Response | undefined> {
  const path = deps.media.filePath(record);
  if (!path) return undefined;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // Deleted behind our back: forget it; the caller falls back to the upstream URL.
    deps.media.forgetFile(record);
    return undefined;
  }
  let info: Deno.FileInfo;
  try {
    info = await file.stat();
  } catch (error) {
    file.close();
    throw error;
  }
  return serveFile(c, file, info, record);
}

/** The media route. */
export function mediaRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  // Hono answers HEAD with this GET handler (and drops the body; we send none).
  app.get("/media/:file", async (c) => {
    const match = PUBLIC_NAME.exec(c.req.param("file"));
    if (!match) throw notFound();
    const record = deps.media.get(match[1]);
    if (!record) throw notFound();
    const cached = await serveCachedMedia(c, deps, record);
    if (cached) return cached;
    return new Response(null, {
      status: 302,
      headers: { "Location": record.upstreamUrl, "Cache-Control": "no-store" },
    });
  });

  return app;
}

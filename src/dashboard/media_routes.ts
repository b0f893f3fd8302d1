/**
 * The media library for the console.
 *
 * | Method | Path                  | Query                                                          | Answer |
 * |--------|-----------------------|----------------------------------------------------------------|--------|
 * | GET    | /api/admin/media      | `kind=image\|video`, `model`, `from`, `to` (Unix ms), `page` (from 1) or `before` (cursor), `limit` (1–100, default 24) | `{items: Media[], next, total, page, limit, models}` newest first |
 * | DELETE | /api/admin/media/:id  | –                                                              | `{id, deleted: true}` (row and cached file) |
 *
 * `Media` = `{id, kind, model, prompt, url, cached, width, height, bytes, contentType,
 * accountLabel, apiKeyId, keyName, createdAt, variant}` (`keyName`: the issuing key's name, `null`
 * for sessionid callers and the console) (`variant`: which file of a video it is —
 * `no_watermark`, `high_bitrate` or `preview` —, `null` for images); `url` is this server's `/media/<id>.<ext>` (the cached file, or a
 * redirect to the upstream while it is not cached). `next` is the `before` of the next page.
 * @module
 */
import { Hono } from "hono";
import { ApiError, badRequest } from "../api/errors.ts";
import { type MediaLibrary, mediaPath } from "../media/library.ts";
import { listApiKeys } from "../store/api_keys.ts";
import type { Db } from "../store/db.ts";
import {
  countMedia,
  listMedia,
  type MediaFilter,
  mediaModels,
  type MediaRecord,
} from "../store/media.ts";
import type { AdminEnv } from "./auth.ts";

/** What the media routes need. */
export interface MediaRouteDeps {
  db: Db;
  media: MediaLibrary;
}

function toMediaJson(record: MediaRecord, keyNames: ReadonlyMap<number, string>) {
  return {
    id: record.id,
    kind: record.kind,
    model: record.model,
    prompt: record.prompt,
    url: mediaPath(record),
    cached: record.fileName !== null,
    width: record.width,
    height: record.height,
    bytes: record.bytes,
    contentType: record.contentType,
    accountLabel: record.accountLabel,
    apiKeyId: record.apiKeyId,
    keyName: record.apiKeyId === null
      ? null
      : keyNames.get(record.apiKeyId) ?? `key #${record.apiKeyId}`,
    createdAt: record.createdAt,
    variant: record.variant,
  };
}

function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) {
    throw badRequest(name, `'${name}' must be a Unix time in ms`);
  }
  return ms;
}

/** The media router. */
export function mediaAdminRoutes(deps: MediaRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.get("/media", (c) => {
    const kind = c.req.query("kind") || undefined;
    if (kind !== undefined && kind !== "image" && kind !== "video") {
      throw badRequest("kind", "'kind' must be image or video");
    }
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 24 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw badRequest("limit", "'limit' must be an integer from 1 to 100");
    }
    const filter: MediaFilter = {
      kind,
      model: c.req.query("model") || undefined,
      since: timeParam(c.req.query("from"), "from"),
      until: timeParam(c.req.query("to"), "to"),
    };
    const pageText = c.req.query("page");
    const pageNumber = pageText === undefined || pageText === "" ? 1 : Number(pageText);
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > 1_000_000) {
      throw badRequest("page", "'page' must be a page number from 1");
    }
    const before = c.req.query("before") || undefined;
    const keyNames = new Map(listApiKeys(deps.db).map((key) => [key.id, key.name]));
    const page = listMedia(deps.db, {
      ...filter,
      limit,
      before,
      offset: before === undefined ? (pageNumber - 1) * limit : 0,
    });
    return c.json({
      items: page.items.map((record) => toMediaJson(record, keyNames)),
      next: page.next,
      total: countMedia(deps.db, filter),
      page: pageNumber,
      limit,
      models: mediaModels(deps.db),
    });
  });

  app.delete("/media/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await deps.media.remove(id))) {
      throw new ApiError(
        404,
        `No media with id '${id}'`,
        "invalid_request_error",
        "media_not_found",
      );
    }
    return c.json({ id, deleted: true });
  });

  return app;
}

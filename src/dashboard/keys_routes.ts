/**
 * API keys for OpenAI clients. The secret is returned once, at creation;
 * afterwards only its masked prefix.
 *
 * | Method | Path                | Body                                              | Answer |
 * |--------|---------------------|---------------------------------------------------|--------|
 * | GET    | /api/admin/keys     | –                                                 | `{data: Key[]}` (newest first) |
 * | POST   | /api/admin/keys     | `{name, quotaPerDay?, ratePerMinute?, webhookUrl?}` | 201 `Key & {key: "sk-…"}` (the secret, shown once) |
 * | PATCH  | /api/admin/keys/:id | `{name?, quotaPerDay?, ratePerMinute?, webhookUrl?}` (`null` = unlimited / none) | `Key` |
 * | DELETE | /api/admin/keys/:id | –                                                 | `Key` with `revokedAt` set (revoked keys stay listed) |
 *
 * `Key` = `{id, name, prefix, quotaPerDay, ratePerMinute, usedToday, requestsToday, createdAt,
 * revokedAt, lastUsedAt, webhookUrl}`: quota in credits per day, rate in requests per minute,
 * `usedToday` in credits; times are Unix ms or `null`; `webhookUrl` also receives the webhook
 * events of the key's jobs.
 * @module
 */
import { Hono } from "hono";
import { generateApiKey, type KeyGuard } from "../api/api_keys.ts";
import { ApiError, badRequest } from "../api/errors.ts";
import { type Fields, optionalString, readJson } from "../api/fields.ts";
import { RUNTIME_SETTINGS } from "../config.ts";
import type { Logger } from "../log.ts";
import {
  type ApiKeyChanges,
  type ApiKeyRow,
  apiKeysUsage,
  getApiKey,
  insertApiKey,
  type KeyUsage,
  listApiKeys,
  revokeApiKey,
  updateApiKey,
} from "../store/api_keys.ts";
import type { Db } from "../store/db.ts";
import type { AdminEnv } from "./auth.ts";

/** What the key routes need. */
export interface KeyRouteDeps {
  db: Db;
  keys: KeyGuard;
  log: Logger;
  now: () => number;
}

/** A key as the console sees it. */
export interface KeyJson {
  id: number;
  name: string;
  prefix: string;
  quotaPerDay: number | null;
  ratePerMinute: number | null;
  usedToday: number;
  requestsToday: number;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  webhookUrl: string | null;
}

/** Shapes a key for the console. */
export function toKeyJson(key: ApiKeyRow, usage: KeyUsage | undefined): KeyJson {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    quotaPerDay: key.quotaPerDay,
    ratePerMinute: key.ratePerMinute,
    usedToday: usage?.credits ?? 0,
    requestsToday: usage?.requests ?? 0,
    createdAt: key.createdAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
    webhookUrl: key.webhookUrl,
  };
}

/** The `webhookUrl` field: one http(s) URL, `null` for none; `undefined` when absent. */
function webhookUrl(fields: Fields): string | null | undefined {
  if (!("webhookUrl" in fields.values)) return undefined;
  const value = fields.values.webhookUrl;
  if (value === null || (typeof value === "string" && value.trim() === "")) return null;
  if (typeof value !== "string" || value.length > 2000) {
    throw badRequest("webhookUrl", "'webhookUrl' must be an http(s) URL, or null for none");
  }
  let urls: string[];
  try {
    urls = RUNTIME_SETTINGS.webhookUrls.parse(value.trim(), "webhookUrl");
  } catch (error) {
    throw badRequest("webhookUrl", (error as Error).message);
  }
  if (urls.length !== 1) throw badRequest("webhookUrl", "'webhookUrl' must be one URL");
  return urls[0];
}

/** An integer field that may be `null` (unlimited); `undefined` when absent. */
function nullableInteger(
  fields: Fields,
  name: string,
  max: number,
): number | null | undefined {
  if (!(name in fields.values)) return undefined;
  const value = fields.values[name];
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw badRequest(name, `'${name}' must be null (unlimited) or an integer from 1 to ${max}`);
  }
  return value;
}

function keyName(fields: Fields, required: boolean): string | undefined {
  const name = optionalString(fields, "name", { max: 100 })?.trim();
  if (name === undefined && !required) return undefined;
  if (!name) throw badRequest("name", "'name' is required", "missing_required_parameter");
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw badRequest("name", "'name' must not contain control characters");
  }
  return name;
}

const MAX_QUOTA = 1_000_000_000;
const MAX_RATE = 100_000;

/** The key routes. */
export function keyRoutes(deps: KeyRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const idOf = (raw: string): number => {
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || !getApiKey(deps.db, id)) {
      throw new ApiError(404, `No API key with id ${raw}`, "invalid_request_error", "not_found");
    }
    return id;
  };
  const shaped = (key: ApiKeyRow) => toKeyJson(key, deps.keys.usageToday(key.id));

  app.get("/keys", (c) => {
    const usage = apiKeysUsage(deps.db, deps.keys.todayStart());
    return c.json({ data: listApiKeys(deps.db).map((key) => toKeyJson(key, usage.get(key.id))) });
  });

  app.post("/keys", async (c) => {
    const fields = await readJson(c);
    const name = keyName(fields, true)!;
    const quotaPerDay = nullableInteger(fields, "quotaPerDay", MAX_QUOTA) ?? null;
    const ratePerMinute = nullableInteger(fields, "ratePerMinute", MAX_RATE) ?? null;
    const webhook = webhookUrl(fields) ?? null;
    const generated = generateApiKey();
    const key = insertApiKey(deps.db, {
      name,
      prefix: generated.prefix,
      secretHash: generated.hash,
      quotaPerDay,
      ratePerMinute,
      createdAt: deps.now(),
      webhookUrl: webhook,
    });
    deps.log.info("API key created", { id: key.id, name, prefix: key.prefix });
    return c.json({ ...toKeyJson(key, undefined), key: generated.secret }, 201);
  });

  app.patch("/keys/:id", async (c) => {
    const id = idOf(c.req.param("id"));
    const fields = await readJson(c);
    const changes: ApiKeyChanges = {
      name: keyName(fields, false),
      quotaPerDay: nullableInteger(fields, "quotaPerDay", MAX_QUOTA),
      ratePerMinute: nullableInteger(fields, "ratePerMinute", MAX_RATE),
      webhookUrl: webhookUrl(fields),
    };
    const key = updateApiKey(deps.db, id, changes)!;
    // The rate window stays: a rename (or a new limit) must not hand out a fresh minute.
    return c.json(shaped(key));
  });

  app.delete("/keys/:id", (c) => {
    const id = idOf(c.req.param("id"));
    const key = revokeApiKey(deps.db, id, deps.now())!;
    deps.keys.forget(id);
    deps.log.info("API key revoked", { id, name: key.name, prefix: key.prefix });
    return c.json(shaped(key));
  });

  return app;
}

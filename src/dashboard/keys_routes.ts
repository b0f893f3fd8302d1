/**
 * API keys for OpenAI clients. The secret is returned once, at creation;
 * afterwards only its masked prefix.
 *
 * | Method | Path                | Body                                              | Answer |
 * |--------|---------------------|---------------------------------------------------|--------|
 * | GET    | /api/admin/keys     | –                                                 | `{data: Key[]}` (newest first) |
 * | POST   | /api/admin/keys     | `{name, quotaPerDay?, ratePerMinute?, expiresAt?, models?, creditCap?, webhookUrl?}` | 201 `Key & {key: "sk-…", baseUrl}` (the secret, shown once) |
 * | PATCH  | /api/admin/keys/:id | any of the POST fields (`null` = unlimited / never / all models / no webhook) | `Key` |
 * | DELETE | /api/admin/keys/:id | –                                                 | `Key` with `revokedAt` set (revoked keys stay listed) |
 * | DELETE | /api/admin/keys/:id?purge=true | – (the key must be revoked first, else 409 `key_not_revoked`) | `{id, deleted: true}` |
 *
 * `Key` = `{id, name, prefix, quotaPerDay, ratePerMinute, expiresAt, models, creditCap, usedToday,
 * requestsToday, errorsToday, creditsUsed, createdAt, revokedAt, lastUsedAt, webhookUrl}`: quota
 * in credits per day; rate in generation requests per minute (status polls and downloads get ten
 * times as many, at least 600); `expiresAt` (Unix ms, or an ISO 8601 time in requests) after which
 * the key is refused (401 `api_key_expired`); `models` the model ids it may use (403
 * `model_not_allowed` for others; requests accept aliases, answers give ids); `creditCap` the
 * credits it may spend in total (429 `insufficient_quota`); `usedToday` / `creditsUsed` are
 * credits charged today / in total (the spend, or while unknown the reservation); times are Unix
 * ms or `null`; `webhookUrl` also receives the webhook events of the key's jobs. `baseUrl` is what
 * to paste into a client as the OpenAI base URL: `<PUBLIC_BASE_URL or the console's own
 * address>/v1`.
 * @module
 */
import { Hono } from "hono";
import { generateApiKey, type KeyGuard } from "../api/api_keys.ts";
import { ApiError, badRequest } from "../api/errors.ts";
import { type Fields, optionalString, readJson } from "../api/fields.ts";
import { RUNTIME_SETTINGS } from "../config.ts";
import { publicBaseUrl, type PublicUrlConfig } from "../api/public_url.ts";
import { findModel } from "../jimeng/models.ts";
import type { Logger } from "../log.ts";
import {
  type ApiKeyChanges,
  type ApiKeyRow,
  apiKeysUsage,
  deleteApiKey,
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
  /** For the base URL shown with a new key. */
  publicUrl?: PublicUrlConfig;
}

/** A key as the console sees it. */
export interface KeyJson {
  id: number;
  name: string;
  prefix: string;
  quotaPerDay: number | null;
  ratePerMinute: number | null;
  expiresAt: number | null;
  models: string[] | null;
  creditCap: number | null;
  usedToday: number;
  requestsToday: number;
  errorsToday: number;
  creditsUsed: number;
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
    expiresAt: key.expiresAt,
    models: key.models,
    creditCap: key.creditCap,
    usedToday: usage?.credits ?? 0,
    requestsToday: usage?.requests ?? 0,
    errorsToday: usage?.errors ?? 0,
    creditsUsed: key.creditsUsed,
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

/** `expiresAt`: `null` (never), Unix ms or an ISO 8601 time, in the future. */
function expiry(fields: Fields, now: number): number | null | undefined {
  if (!("expiresAt" in fields.values)) return undefined;
  const value = fields.values.expiresAt;
  if (value === null) return null;
  const at = typeof value === "number"
    ? value
    : typeof value === "string" && value.length <= 64
    ? Date.parse(value)
    : NaN;
  if (!Number.isSafeInteger(at) || at <= now) {
    throw badRequest(
      "expiresAt",
      "'expiresAt' must be null (never) or a future time: Unix milliseconds or ISO 8601",
    );
  }
  return at;
}

/** `models`: `null` (all) or a non-empty list of model names, kept as model ids. */
function allowedModels(fields: Fields): string[] | null | undefined {
  if (!("models" in fields.values)) return undefined;
  const value = fields.values.models;
  if (value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    throw badRequest(
      "models",
      "'models' must be null (all models) or a list of 1 to 100 model names",
    );
  }
  const ids = new Set<string>();
  for (const name of value) {
    const model = typeof name === "string" && name.length <= 200 ? findModel(name) : undefined;
    if (!model) {
      throw badRequest(
        "models",
        `'models' names a model this server does not have: ${
          JSON.stringify(name).slice(0, 100)
        } (GET /v1/models lists them)`,
      );
    }
    ids.add(model.id);
  }
  return [...ids];
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
    const expiresAt = expiry(fields, deps.now()) ?? null;
    const models = allowedModels(fields) ?? null;
    const creditCap = nullableInteger(fields, "creditCap", MAX_QUOTA) ?? null;
    const generated = generateApiKey();
    const key = insertApiKey(deps.db, {
      name,
      prefix: generated.prefix,
      secretHash: generated.hash,
      quotaPerDay,
      ratePerMinute,
      createdAt: deps.now(),
      webhookUrl: webhook,
      expiresAt,
      models,
      creditCap,
    });
    deps.log.info("API key created", { id: key.id, name, prefix: key.prefix });
    const base = publicBaseUrl(c, deps.publicUrl ?? { publicBaseUrl: null, trustProxy: false });
    return c.json({
      ...toKeyJson(key, undefined),
      key: generated.secret,
      baseUrl: base === null ? null : `${base}/v1`,
    }, 201);
  });

  app.patch("/keys/:id", async (c) => {
    const id = idOf(c.req.param("id"));
    const fields = await readJson(c);
    const changes: ApiKeyChanges = {
      name: keyName(fields, false),
      quotaPerDay: nullableInteger(fields, "quotaPerDay", MAX_QUOTA),
      ratePerMinute: nullableInteger(fields, "ratePerMinute", MAX_RATE),
      webhookUrl: webhookUrl(fields),
      expiresAt: expiry(fields, deps.now()),
      models: allowedModels(fields),
      creditCap: nullableInteger(fields, "creditCap", MAX_QUOTA),
    };
    const key = updateApiKey(deps.db, id, changes)!;
    // The rate window stays: a rename (or a new limit) must not hand out a fresh minute.
    return c.json(shaped(key));
  });

  app.delete("/keys/:id", (c) => {
    const id = idOf(c.req.param("id"));
    if (c.req.query("purge") === "true") {
      const key = getApiKey(deps.db, id)!;
      if (key.revokedAt === null) {
        throw new ApiError(
          409,
          `The API key ${key.prefix} ("${key.name}") is still active: revoke it before deleting it`,
          "invalid_request_error",
          "key_not_revoked",
        );
      }
      deleteApiKey(deps.db, id);
      deps.keys.forget(id);
      deps.log.info("API key deleted", { id, name: key.name, prefix: key.prefix });
      return c.json({ id, deleted: true });
    }
    const key = revokeApiKey(deps.db, id, deps.now())!;
    deps.keys.forget(id);
    deps.log.info("API key revoked", { id, name: key.name, prefix: key.prefix });
    return c.json(shaped(key));
  });

  return app;
}

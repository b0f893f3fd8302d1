/**
 * The usage log: one row per generation request (not the server log), with
 * filters and export.
 *
 * | Method | Path                          | Answer |
 * |--------|-------------------------------|--------|
 * | GET    | /api/admin/usage              | `{data: UsageRow[], nextBefore: number \| null}` newest first |
 * | GET    | /api/admin/usage/facets       | `{models: string[], outcomes: string[], keys: [{id, name}]}` for the filter menus |
 * | GET    | /api/admin/usage/export       | the filtered rows as a file: `format=csv` (default) or `json`, at most 100,000 rows |
 *
 * Filters (query, all optional): `key` (a key id, or `none` for sessionid callers), `model`,
 * `outcome` (`ok`, `error`, `client_closed`, or an error code such as `insufficient_quota`),
 * `since` / `until` (Unix ms or an ISO 8601 date or time; `until` exclusive), `before` (the
 * `nextBefore` of the previous page), `limit` (1–500, default 100).
 *
 * `UsageRow` = `{id, time, requestId, route, keyId, keyName, account, accountName, model, kind,
 * n, seconds, outcome: "ok" | "error" | "client_closed", httpStatus, code, message, credits,
 * creditsReserved, creditsRemaining, latencyMs}`: `time` Unix ms; `keyId: null` = sessionid
 * callers; `account` the masked account; `credits` the credits spent (`null` while unknown),
 * `creditsReserved` what the key's quota held for the request before its spend was known.
 * @module
 */
import { Hono } from "hono";
import type { AccountManager } from "../accounts/manager.ts";
import { badRequest } from "../api/errors.ts";
import { listApiKeys } from "../store/api_keys.ts";
import type { Db } from "../store/db.ts";
import {
  listRequests,
  requestFacets,
  type RequestFilter,
  type StoredRequest,
} from "../store/requests.ts";
import type { AdminEnv } from "./auth.ts";

/** What the usage log needs. */
export interface UsageRouteDeps {
  db: Db;
  now: () => number;
  /** Stored accounts, for their names. */
  accounts?: AccountManager;
}

/** A usage row as the console sees it. */
export interface UsageRow {
  id: number;
  time: number;
  requestId: string;
  route: string;
  keyId: number | null;
  keyName: string | null;
  account: string | null;
  accountName: string | null;
  model: string | null;
  kind: string;
  n: number;
  seconds: number | null;
  outcome: "ok" | "error" | "client_closed";
  httpStatus: number;
  code: string | null;
  message: string | null;
  credits: number | null;
  creditsReserved: number | null;
  creditsRemaining: number | null;
  latencyMs: number;
}

const MAX_EXPORT = 100_000;
const EXPORT_PAGE = 1000;

function timeParam(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(value)) {
    throw badRequest(name, `'${name}' must be Unix milliseconds or an ISO 8601 date or time`);
  }
  return value;
}

/** The filter of a query string. */
export function parseUsageFilter(query: (name: string) => string | undefined): RequestFilter {
  const filter: RequestFilter = {};
  const key = query("key");
  if (key === "none") filter.apiKeyId = null;
  else if (key !== undefined && key !== "") {
    if (!/^[1-9]\d{0,15}$/.test(key)) {
      throw badRequest("key", "'key' must be a key id or 'none' (sessionid callers)");
    }
    filter.apiKeyId = Number(key);
  }
  const model = query("model");
  if (model) filter.model = model.slice(0, 200);
  const outcome = query("outcome");
  if (outcome) {
    if (!/^[a-z_]{1,64}$/.test(outcome)) {
      throw badRequest("outcome", "'outcome' must be ok, error, client_closed or an error code");
    }
    filter.outcome = outcome === "client_closed" ? "cancelled" : outcome;
  }
  filter.since = timeParam(query("since"), "since");
  filter.until = timeParam(query("until"), "until");
  const before = query("before");
  if (before !== undefined && before !== "") {
    if (!/^[1-9]\d{0,15}$/.test(before)) throw badRequest("before", "'before' must be a row id");
    filter.beforeId = Number(before);
  }
  return filter;
}

/** The usage routes. */
export function usageRoutes(deps: UsageRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const shaper = () => {
    const keyNames = new Map(listApiKeys(deps.db).map((key) => [key.id, key.name]));
    const accountNames = new Map(
      (deps.accounts?.list() ?? []).map((account) => [account.key, account.name]),
    );
    return (row: StoredRequest): UsageRow => ({
      id: row.id,
      time: row.createdAt,
      requestId: row.requestId,
      route: row.endpoint,
      keyId: row.apiKeyId,
      keyName: row.apiKeyId === null ? null : keyNames.get(row.apiKeyId) ?? `key #${row.apiKeyId}`,
      account: row.accountLabel,
      accountName: row.accountKey === null ? null : accountNames.get(row.accountKey) ?? null,
      model: row.model,
      kind: row.kind,
      n: row.n,
      seconds: row.seconds,
      outcome: row.status === "cancelled" ? "client_closed" : row.status,
      httpStatus: row.httpStatus,
      code: row.errorCode,
      message: row.errorMessage,
      credits: row.creditsSpent,
      creditsReserved: row.creditsReserved,
      creditsRemaining: row.creditsRemaining,
      latencyMs: row.latencyMs,
    });
  };

  app.get("/usage", (c) => {
    const filter = parseUsageFilter((name) => c.req.query(name));
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw badRequest("limit", "'limit' must be an integer from 1 to 500");
    }
    const rows = listRequests(deps.db, filter, limit);
    const shape = shaper();
    return c.json({
      data: rows.map(shape),
      nextBefore: rows.length === limit ? rows[rows.length - 1].id : null,
    });
  });

  app.get("/usage/facets", (c) => {
    const { models, errorCodes } = requestFacets(deps.db);
    return c.json({
      models,
      outcomes: [
        "ok",
        "error",
        "client_closed",
        ...errorCodes.filter((c) => c !== "client_closed"),
      ],
      keys: listApiKeys(deps.db).map((key) => ({ id: key.id, name: key.name })),
    });
  });

  app.get("/usage/export", (c) => {
    const format = c.req.query("format") ?? "csv";
    if (format !== "csv" && format !== "json") {
      throw badRequest("format", "'format' must be csv or json");
    }
    const filter = parseUsageFilter((name) => c.req.query(name));
    const shape = shaper();
    const encoder = new TextEncoder();
    let cursor = filter.beforeId;
    let sent = 0;
    // Pages are read as the client takes them: an export never sits in memory whole.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const rows = listRequests(
          deps.db,
          { ...filter, beforeId: cursor },
          Math.min(EXPORT_PAGE, MAX_EXPORT - sent),
        );
        let text = "";
        if (sent === 0) text += format === "csv" ? `${CSV_COLUMNS.join(",")}\r\n` : "[";
        rows.forEach((row, i) => {
          const item = shape(row);
          text += format === "csv"
            ? `${toCsvLine(item)}\r\n`
            : `${sent + i > 0 ? "," : ""}\n${JSON.stringify(item)}`;
        });
        sent += rows.length;
        if (rows.length > 0) cursor = rows[rows.length - 1].id;
        if (rows.length < EXPORT_PAGE || sent >= MAX_EXPORT) {
          if (format === "json") text += "\n]\n";
          controller.enqueue(encoder.encode(text));
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(text));
      },
    });
    const stamp = new Date(deps.now()).toISOString().slice(0, 16).replace(/[-:T]/g, "");
    return new Response(body, {
      headers: {
        "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/json",
        "Content-Disposition": `attachment; filename="jimeng-usage-${stamp}.${format}"`,
        "Cache-Control": "no-store",
      },
    });
  });

  return app;
}

/** Columns of the CSV export, in order. */
export const CSV_COLUMNS: readonly (keyof UsageRow)[] = [
  "id",
  "time",
  "requestId",
  "route",
  "keyId",
  "keyName",
  "account",
  "accountName",
  "model",
  "kind",
  "n",
  "seconds",
  "outcome",
  "httpStatus",
  "code",
  "message",
  "credits",
  "creditsReserved",
  "creditsRemaining",
  "latencyMs",
];

/**
 * One CSV cell: quoted when needed; a text starting like a formula gets a
 * leading apostrophe so spreadsheets do not run it.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "number" ? String(value) : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function toCsvLine(row: UsageRow): string {
  return CSV_COLUMNS.map((column) =>
    csvCell(column === "time" ? new Date(row.time).toISOString() : row[column])
  ).join(",");
}

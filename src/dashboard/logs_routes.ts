/**
 * The stored log for the console: pages of it, a live tail, and clearing it.
 *
 * | Method | Path                     | Query / body                                   | Answer |
 * |--------|--------------------------|------------------------------------------------|--------|
 * | GET    | /api/admin/logs          | `level=info\|warn\|error`, `q`, `before` (id), `limit` (1–1000, default 200) | `{items: LogEntry[], nextBefore}` newest first |
 * | GET    | /api/admin/logs/stream   | `level`                                        | SSE: each event `data: <LogEntry>`; comments keep it open |
 * | DELETE | /api/admin/logs          | –                                              | `{deleted}` |
 *
 * `LogEntry` = `{id, time (Unix ms), level, message, fields?}`, already redacted.
 * @module
 */
import { Hono } from "hono";
import { badRequest } from "../api/errors.ts";
import { eventStream } from "../api/sse.ts";
import type { LogLevel } from "../log.ts";
import type { LogRecorder } from "../logs/recorder.ts";
import type { Db } from "../store/db.ts";
import { deleteAllLogs, queryLogs } from "../store/logs.ts";
import type { AdminEnv } from "./auth.ts";

/** What the log routes need. */
export interface LogRouteDeps {
  db: Db;
  logs: LogRecorder;
  /** Interval of SSE keep-alive comments. @default 15000 */
  keepAliveMs?: number;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

function levelOf(value: string | undefined): LogLevel | undefined {
  if (value === undefined || value === "" || value.toLowerCase() === "all") return undefined;
  const level = value.toLowerCase() as LogLevel;
  if (!LEVELS.includes(level)) throw badRequest("level", "'level' must be info, warn or error");
  return level;
}

/** The log router. */
export function logRoutes(deps: LogRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.get("/logs", (c) => {
    const level = levelOf(c.req.query("level"));
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 200 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw badRequest("limit", "'limit' must be an integer from 1 to 1000");
    }
    const beforeText = c.req.query("before");
    const before = beforeText === undefined || beforeText === "" ? undefined : Number(beforeText);
    if (before !== undefined && (!Number.isInteger(before) || before < 0)) {
      throw badRequest("before", "'before' must be a log id");
    }
    const search = c.req.query("q")?.slice(0, 200);
    // Records still queued for the database belong on the first page too.
    if (before === undefined) deps.logs.flush();
    const items = queryLogs(deps.db, { level, search, beforeId: before, limit });
    return c.json({ items, nextBefore: items.length === limit ? items.at(-1)!.id : null });
  });

  app.get("/logs/stream", (c) => {
    const level = levelOf(c.req.query("level"));
    const minimum = level ? LEVELS.indexOf(level) : 0;
    return eventStream((out) =>
      new Promise<void>((resolve) => {
        const unsubscribe = deps.logs.subscribe((entry) => {
          if (LEVELS.indexOf(entry.level) >= minimum) out.send(entry);
        });
        out.comment("connected");
        out.signal.addEventListener("abort", () => {
          unsubscribe();
          resolve();
        }, { once: true });
      }), { signal: c.req.raw.signal, keepAliveMs: deps.keepAliveMs ?? 15_000 });
  });

  app.delete("/logs", (c) => {
    deps.logs.flush();
    return c.json({ deleted: deleteAllLogs(deps.db) });
  });

  return app;
}

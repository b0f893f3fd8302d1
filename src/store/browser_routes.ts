/**
 * The `browser_routes` table: calls the browser transport learned to send
 * through the site's page.
 * @module
 */
import { type Db, statement } from "./db.ts";

/** A learned route. */
export interface BrowserRoute {
  id: number;
  /** `jimeng` or `dreamina`. */
  site: string;
  /** Upstream path. */
  endpoint: string;
  /** Root model of the call, `""` for calls without one. */
  model: string;
  /** Unix ms when the page's call last worked after a direct refusal. */
  learnedAt: number;
  /** Unix ms of the last call sent through the page on this route. */
  lastUsedAt: number;
  /** Calls sent through the page on this route since it was learned. */
  calls: number;
}

/** What identifies a route. */
export type BrowserRouteKey = Pick<BrowserRoute, "site" | "endpoint" | "model">;

interface RouteRow {
  id: number;
  site: string;
  endpoint: string;
  model: string;
  learned_at: number;
  last_used_at: number;
  calls: number;
}

const toRoute = (row: RouteRow): BrowserRoute => ({
  id: row.id,
  site: row.site,
  endpoint: row.endpoint,
  model: row.model,
  learnedAt: row.learned_at,
  lastUsedAt: row.last_used_at,
  calls: row.calls,
});

/** Every learned route, oldest first. */
export function listBrowserRoutes(db: Db): BrowserRoute[] {
  const rows = statement(
    db,
    `SELECT id, site, endpoint, model, learned_at, last_used_at, calls
     FROM browser_routes ORDER BY learned_at, id`,
  ).all() as unknown as RouteRow[];
  return rows.map(toRoute);
}

/** Learns a route (again): its clock restarts, its call count too. */
export function upsertBrowserRoute(db: Db, key: BrowserRouteKey, now: number): BrowserRoute {
  const row = statement(
    db,
    `INSERT INTO browser_routes (site, endpoint, model, learned_at, last_used_at, calls)
     VALUES (?, ?, ?, ?, ?, 1)
     ON CONFLICT (site, endpoint, model) DO UPDATE SET learned_at = excluded.learned_at,
       last_used_at = excluded.last_used_at, calls = 1
     RETURNING id, site, endpoint, model, learned_at, last_used_at, calls`,
  ).get(key.site, key.endpoint, key.model, now, now) as unknown as RouteRow;
  return toRoute(row);
}

/** Counts one more call through the page on a route. */
export function touchBrowserRoute(db: Db, id: number, now: number): void {
  statement(db, "UPDATE browser_routes SET last_used_at = ?, calls = calls + 1 WHERE id = ?")
    .run(now, id);
}

/** Forgets one route; returns whether there was one. */
export function deleteBrowserRoute(db: Db, id: number): boolean {
  return Number(statement(db, "DELETE FROM browser_routes WHERE id = ?").run(id).changes) > 0;
}

/** Forgets every route; returns how many there were. */
export function deleteAllBrowserRoutes(db: Db): number {
  return Number(statement(db, "DELETE FROM browser_routes").run().changes);
}

/**
 * The browser transport for the console: its mode, whether Chromium runs,
 * the calls it carried and the routes it learned, which can be reset.
 *
 * | Method | Path                              | Answer |
 * |--------|-----------------------------------|--------|
 * | GET    | /api/admin/browser                | `BrowserJson` |
 * | DELETE | /api/admin/browser/routes         | `{forgotten}`: every learned route forgotten |
 * | DELETE | /api/admin/browser/routes/:id     | `{forgotten: 1}`, 404 for an unknown id |
 *
 * `BrowserJson` = `{mode, modeSource, running, pages, launches, active, executable, problem,
 * calls: {ok, failed}, switches, blockedRequests, routes: RouteJson[]}`; `modeSource` is where
 * `JIMENG_BROWSER_TRANSPORT` comes from (`environment`, `console`, `default`; change it with
 * `PUT /api/admin/settings/JIMENG_BROWSER_TRANSPORT`); `RouteJson` = `{id, site, endpoint, model,
 * learnedAt, lastUsedAt, calls}` (Unix ms).
 * @module
 */
import { Hono } from "hono";
import { ApiError } from "../api/errors.ts";
import type { PageRouting } from "../jimeng/page_routing.ts";
import type { RuntimeSettings } from "../runtime_settings.ts";
import type { AdminEnv } from "./auth.ts";
import { RUNTIME_SETTINGS } from "../config.ts";

/** What the browser routes need. */
export interface TransportRouteDeps {
  page: PageRouting;
  settings: RuntimeSettings;
}

/** The browser transport router. */
export function transportRoutes(deps: TransportRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const { page, settings } = deps;

  app.get("/browser", (c) => {
    const status = page.status();
    return c.json({
      mode: status.mode,
      modeSource: settings.source(RUNTIME_SETTINGS.browserTransport.env),
      ...status.browser,
      calls: status.calls,
      switches: status.switches,
      routes: page.routes(),
    });
  });

  app.delete("/browser/routes", (c) => c.json({ forgotten: page.forget() }));

  app.delete("/browser/routes/:id", (c) => {
    const raw = c.req.param("id");
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || page.forget(id) === 0) {
      throw new ApiError(
        404,
        `No learned route with id ${raw}`,
        "invalid_request_error",
        "not_found",
      );
    }
    return c.json({ forgotten: 1 });
  });

  return app;
}

/**
 * The configuration, for the console's settings page.
 *
 * | Method | Path               | Answer |
 * |--------|--------------------|--------|
 * | GET    | /api/admin/config  | `{settings: [{env, value, default, description, secret?}], degraded}` |
 *
 * `value` is what was set (environment or flag), `null` when the default applies; secrets show
 * only `"(set)"`. `degraded` is true when `DATA_DIR` was unusable and the database lives in memory.
 * @module
 */
import { Hono } from "hono";
import { type Config, describeSettings } from "../config.ts";
import type { AdminEnv } from "./auth.ts";

/** The configuration router. */
export function configRoutes(config: Config, degraded: boolean): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const settings = describeSettings(config);
  app.get("/config", (c) => c.json({ settings, degraded }));
  return app;
}

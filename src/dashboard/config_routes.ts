/**
 * The configuration, for the console's settings page, and the settings it
 * may change at run time.
 *
 * | Method | Path                       | Body                     | Answer |
 * |--------|----------------------------|--------------------------|--------|
 * | GET    | /api/admin/config          | –                        | `{settings: SettingJson[], degraded}` |
 * | PUT    | /api/admin/settings/:env   | `{value: string \| null}` | `SettingJson` (the new effective value) |
 *
 * `SettingJson` = `{env, value, default, description, secret?, runtime?, source}`: `value` is the
 * effective raw value (`null` when the default applies; secrets only `"(set)"`); `source` is
 * `environment`, `console` or `default`; `runtime` settings can be changed with PUT unless the
 * environment sets them (it wins). `degraded` is true when `DATA_DIR` was unusable and the database
 * lives in memory. A PUT with `value: null` removes the console's value.
 * @module
 */
import { Hono } from "hono";
import { badRequest } from "../api/errors.ts";
import { readJson } from "../api/fields.ts";
import { type Config, describeSettings, type SettingView } from "../config.ts";
import { type RuntimeSettings, SettingError, type SettingSource } from "../runtime_settings.ts";
import type { AdminEnv } from "./auth.ts";

/** A setting as the console sees it. */
export interface SettingJson extends SettingView {
  source: SettingSource;
}

/** What the configuration routes need. */
export interface ConfigRouteDeps {
  config: Config;
  settings: RuntimeSettings;
  degraded: boolean;
}

/** The configuration router. */
export function configRoutes(deps: ConfigRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const { config, settings } = deps;

  function describe(): SettingJson[] {
    return describeSettings(config).map((view) => {
      const source = view.runtime
        ? settings.source(view.env)
        : view.value === null
        ? "default"
        : "environment";
      const value = source === "console" ? settings.storedValue(view.env) : view.value;
      return { ...view, value, source };
    });
  }

  app.get("/config", (c) => c.json({ settings: describe(), degraded: deps.degraded }));

  app.put("/settings/:env", async (c) => {
    const env = c.req.param("env");
    const body = await readJson(c);
    const value = body.values.value;
    if (value !== null && typeof value !== "string") {
      throw badRequest("value", "'value' must be a string, or null to return to the default");
    }
    try {
      settings.set(env, value);
    } catch (error) {
      if (error instanceof SettingError) throw badRequest("env", error.message, "not_changeable");
      if (error instanceof TypeError || error instanceof RangeError) {
        throw badRequest("value", error.message);
      }
      throw error;
    }
    return c.json(describe().find((s) => s.env === env));
  });
  return app;
}

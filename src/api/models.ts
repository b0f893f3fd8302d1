/**
 * `GET /v1/models` and `GET /v1/models/{id}`. With credentials (a key, the
 * caller's sessionids or the console's session) they answer what the
 * caller's accounts can use, read from the accounts' own model catalogs
 * (`?refresh=true` reads them again); without, the built-in table.
 * `?type=image|video` filters. An alias's entry carries `alias_of`, the id
 * it stands for, so a menu can list each model once.
 * @module
 */
import { type Context, Hono } from "hono";
import type { ListedModel, ModelSource } from "../accounts/catalogs.ts";
import { listModelNames, type Model } from "../jimeng/models.ts";
import { takesOmniReferences } from "../jimeng/omni.ts";
import { identifyCaller } from "./auth.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { badRequest } from "./errors.ts";
import { resolveModel } from "./image_request.ts";
import { unavailableModel } from "./model_resolution.ts";

/** One entry of the list, OpenAI's shape plus what a client needs to pick parameters. */
export function toModelObject(name: string, model: Model, source: ModelSource = "builtin") {
  const base = {
    id: name,
    object: "model" as const,
    created: model.created,
    owned_by: model.kind === "image" ? "jimeng-image" : "jimeng-video",
    name: model.name,
    kind: model.kind,
    regions: model.regions,
    source,
  };
  if (model.kind === "image") {
    return { ...base, resolutions: model.resolutions, default_resolution: model.resolutions[0] };
  }
  return {
    ...base,
    resolutions: model.resolutions,
    default_resolution: model.resolutions[0],
    durations: model.durations,
    /** Whether it takes omni references (images, videos, audio with `@` placeholders). */
    omni_references: takesOmniReferences(model),
  };
}

/** An alias's entry: the model's object under the alias, naming the id it stands for. */
function aliasObject(alias: string, model: Model, source: ModelSource = "builtin") {
  return { ...toModelObject(alias, model, source), alias_of: model.id };
}

/** Ids first, then the aliases of the listed models (the seed's short names, with `alias_of`). */
function withAliases(listed: readonly ListedModel[]) {
  return [
    ...listed.map(({ model, source }) => toModelObject(model.id, model, source)),
    ...listed.flatMap(({ model, source }) =>
      model.aliases.map((alias) => aliasObject(alias, model, source))
    ),
  ];
}

function kindFilter(c: Context<ApiEnv>): Model["kind"] | undefined {
  const kind = c.req.query("type");
  if (kind === undefined || kind === "") return undefined;
  if (kind !== "image" && kind !== "video") {
    throw badRequest("type", "'type' must be image or video");
  }
  return kind;
}

/** The model routes. */
export function modelRoutes(deps?: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const builtin = listModelNames().map(({ name, model }) =>
    name === model.id ? toModelObject(name, model) : aliasObject(name, model)
  );
  /**
   * The caller's accounts when credentials came, catalogs are on and one of
   * them can serve. With none (no stored account, or all disabled or
   * expired) the table is listed: a generation then says precisely why it
   * cannot run (503 `no_account_available`, 401 `session_expired`).
   */
  const accountsOf = (c: Context<ApiEnv>) => {
    if (!deps?.catalogs) return undefined;
    const accounts = identifyCaller(deps, c, { admit: false })?.accounts;
    return accounts?.some((a) => !a.disabled && !a.expired) ? accounts : undefined;
  };

  app.get("/models", async (c) => {
    const kind = kindFilter(c);
    const accounts = accountsOf(c);
    if (!accounts || !deps?.catalogs) {
      const data = kind ? builtin.filter((m) => m.kind === kind) : builtin;
      return c.json({ object: "list", data });
    }
    const listed = await deps.catalogs.list(accounts, {
      kinds: kind ? [kind] : undefined,
      refresh: c.req.query("refresh") === "true",
      signal: c.req.raw.signal,
    });
    return c.json({ object: "list", data: withAliases(listed) });
  });

  app.get("/models/:id{.+}", async (c) => {
    const id = c.req.param("id");
    const accounts = accountsOf(c);
    if (!accounts || !deps) {
      return c.json(toModelObject(id, resolveModel(id, undefined as unknown as Model)));
    }
    const lookup = await deps.catalogs!.resolve(id, accounts, { signal: c.req.raw.signal });
    if (lookup.status === "found") return c.json(toModelObject(id, lookup.model, lookup.source));
    if (lookup.status === "unavailable") {
      throw unavailableModel(lookup.id, lookup.reason, lookup.alternatives);
    }
    // Unknown everywhere: the table's 404.
    return c.json(toModelObject(id, resolveModel(id, undefined as unknown as Model)));
  });
  return app;
}

/**
 * `GET /v1/models` and `GET /v1/models/{id}`.
 * @module
 */
import { Hono } from "hono";
import { listModelNames, type Model } from "../jimeng/models.ts";
import { takesOmniReferences } from "../jimeng/omni.ts";
import type { ApiEnv } from "./deps.ts";
import { resolveModel } from "./image_request.ts";

/** One entry of the list, OpenAI's shape plus what a client needs to pick parameters. */
export function toModelObject(name: string, model: Model) {
  const base = {
    id: name,
    object: "model" as const,
    created: model.created,
    owned_by: model.kind === "image" ? "jimeng-image" : "jimeng-video",
    name: model.name,
    kind: model.kind,
    regions: model.regions,
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

/** The model routes. */
export function modelRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const list = listModelNames().map(({ name, model }) => toModelObject(name, model));
  app.get("/models", (c) => {
    const kind = c.req.query("type");
    const data = kind === "image" || kind === "video" ? list.filter((m) => m.kind === kind) : list;
    return c.json({ object: "list", data });
  });
  app.get("/models/:id{.+}", (c) => {
    const id = c.req.param("id");
    return c.json(toModelObject(id, resolveModel(id, undefined as unknown as Model)));
  });
  return app;
}

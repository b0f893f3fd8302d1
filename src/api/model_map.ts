/**
 * `MODEL_MAP`: model names a client insists on (e.g. OpenAI's `dall-e-3`)
 * stand for this server's models. The map is a runtime setting; the request
 * keeps the name the client sent for echoing it back.
 * @module
 */
import { RUNTIME_SETTINGS } from "../config.ts";
import type { ApiDeps } from "./deps.ts";
import type { Fields } from "./fields.ts";

/**
 * Replaces a mapped `model` in `fields` by this server's model id and
 * returns the name the client sent (`undefined` when it sent none).
 */
export function applyModelMap(deps: ApiDeps, fields: Fields): string | undefined {
  const requested = fields.values.model;
  if (typeof requested !== "string") return undefined;
  const target = deps.settings.get(RUNTIME_SETTINGS.modelMap).get(requested.trim().toLowerCase());
  if (target !== undefined) fields.values.model = target;
  return requested;
}

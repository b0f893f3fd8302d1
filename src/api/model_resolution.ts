/**
 * A request's `model` resolved against the accounts that will serve it: a
 * model their catalogs list comes with the catalog's resolutions, durations
 * and benefit types; one the catalogs mark unavailable is a 404 before
 * anything is submitted; without catalogs, the built-in table answers.
 * @module
 */
import type { Account } from "../accounts/pool.ts";
import type { ImageModel, Model } from "../jimeng/models.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiError } from "./errors.ts";
import { imageModelOnly, resolveModel } from "./image_request.ts";

/** The 404 for a model the catalogs say cannot be used now. */
export function unavailableModel(id: string, reason: string, alternatives: string[]): ApiError {
  const instead = alternatives.length > 0
    ? `; use one of ${alternatives.map((a) => `'${a}'`).join(", ")} instead`
    : "";
  return new ApiError(
    404,
    `The model '${id}' is not available to your Jimeng account(s): ${reason}${instead}`,
    "invalid_request_error",
    "model_not_found",
    "model",
  );
}

/**
 * Resolves `name` (or `fallback` when absent) for `accounts`.
 *
 * @throws {ApiError} 400 for an empty name, 404 for an unknown or unavailable model
 */
export async function resolveModelFor(
  deps: Pick<ApiDeps, "catalogs">,
  accounts: readonly Account[],
  name: string | undefined,
  fallback: Model,
  signal?: AbortSignal,
): Promise<Model> {
  const builtin = resolveModel(name, fallback, { allowUnknown: deps.catalogs !== undefined });
  if (!deps.catalogs) return builtin!;
  const lookup = await deps.catalogs.resolve(name ?? fallback.id, accounts, { signal });
  if (lookup.status === "found") return lookup.model;
  if (lookup.status === "unavailable") {
    throw unavailableModel(lookup.id, lookup.reason, lookup.alternatives);
  }
  // Not a built-in and no catalog lists it: the 404 the table gives.
  return resolveModel(name, fallback)!;
}

/** Like {@linkcode resolveModelFor}, for an image endpoint: a video model is a 400. */
export async function resolveImageModelFor(
  deps: Pick<ApiDeps, "catalogs">,
  accounts: readonly Account[],
  name: string | undefined,
  fallback: ImageModel,
  signal?: AbortSignal,
): Promise<ImageModel> {
  return imageModelOnly(await resolveModelFor(deps, accounts, name, fallback, signal));
}

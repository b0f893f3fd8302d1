/**
 * Admission of a generation once its request is parsed and before anything
 * is submitted upstream: the caller's key may use the model, and the
 * credits the request may cost are reserved against the key's daily quota
 * and total cap (see `api_keys.ts`). The usage recorder releases the
 * reservation when the request's row, which carries it, is written.
 * @module
 */
import type { Context } from "hono";
import { createCreditEstimator, type CreditAsk, type CreditEstimator } from "./credit_estimate.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { publicBaseUrl } from "./public_url.ts";

const fallbackEstimator: CreditEstimator = createCreditEstimator();

/**
 * Admits a generation for the request's caller.
 * @throws {ApiError} 403 `model_not_allowed` or 429 `insufficient_quota`
 */
export function admitGeneration(c: Context<ApiEnv>, deps: ApiDeps, ask: CreditAsk): void {
  const usage = c.get("usage");
  const estimate = (deps.estimator ?? fallbackEstimator).estimate(ask);
  usage.estimate = estimate;
  if (ask.kind === "video") usage.seconds = ask.seconds;
  const key = c.get("auth").key;
  if (!key || !deps.keys || usage.reservation) return;
  usage.reservation = deps.keys.reserve(key, ask.model.id, estimate.credits);
}

/**
 * The base of the links to this server's own copies of results for a
 * request: `null` when results are to be handed out as upstream links.
 */
export function linkBase(c: Context, deps: ApiDeps): string | null {
  if (deps.config.mediaUrls !== "local") return null;
  return publicBaseUrl(c, deps.config);
}

/**
 * Builds the generation services' dependencies from the API's.
 * @module
 */
import type { ImageServiceDeps } from "../generation/images.ts";
import type { ApiDeps } from "./deps.ts";

/** The image service's dependencies. */
export function imageServiceDeps(deps: ApiDeps): ImageServiceDeps {
  return {
    pool: deps.pool,
    client: deps.client,
    log: deps.log,
    now: deps.now,
    timeZone: deps.config.claimTimeZone,
    onClaimed: deps.onClaimed,
    ledger: deps.ledger,
    imageTimeoutMs: deps.config.imageTimeoutS * 1000,
    afterAttempt: (account) => deps.credits.refreshSoon(account),
    knowBalance: (account, signal) => deps.credits.know(account, signal),
  };
}

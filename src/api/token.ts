/**
 * The seed's token routes: `POST /token/check` (is a sessionid alive),
 * `POST /token/points` (credits of the Bearer sessionids) and
 * `POST /token/receive` (claim today's free credits). Tokens in answers are masked.
 * @module
 */
import { type Context, Hono } from "hono";
import { maskSecret, registerSecret } from "../redact.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { ApiError, badRequest, toApiError } from "./errors.ts";
import { optionalString, readJson } from "./fields.ts";
import { bareSessionTokens, requireAuth } from "./auth.ts";

/** Refuses API keys: these routes act on the sessionids of the Bearer header. */
function sessionIdsOnly(c: Context<ApiEnv>): void {
  if (c.get("auth").apiKeyId !== null) {
    throw new ApiError(
      403,
      "The token routes work on the sessionids sent as the Bearer value; an API key has none (the operator manages accounts in the console)",
      "permission_error",
      "sessionid_required",
    );
  }
}

/** The token routes. */
export function tokenRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.post("/check", async (c) => {
    const fields = await readJson(c);
    const token = optionalString(fields, "token", { max: 512 })?.trim();
    if (!token) throw badRequest("token", "'token' is required", "missing_required_parameter");
    registerSecret(token);
    bareSessionTokens([token], deps.config.allowTokenProxy);
    // Through the pool: a stored account is checked through its own proxy.
    const [account] = deps.pool.bearerAccounts([token]);
    const live = await deps.client.isSessionAlive(account.session, c.req.raw.signal);
    return c.json({ live });
  });

  app.post("/points", requireAuth(deps), async (c) => {
    sessionIdsOnly(c);
    const results = await Promise.all(
      c.get("auth").accounts.map(async (account) => {
        try {
          const credits = await deps.credits.refreshNow(account, c.req.raw.signal);
          return {
            token: account.label,
            points: {
              giftCredit: credits.gift,
              purchaseCredit: credits.purchase,
              vipCredit: credits.vip,
              totalCredit: credits.total,
            },
          };
        } catch (error) {
          return { token: account.label, error: toApiError(error).toBody().error };
        }
      }),
    );
    return c.json(results);
  });

  app.post("/receive", requireAuth(deps), async (c) => {
    sessionIdsOnly(c);
    const results = await Promise.all(
      c.get("auth").accounts.map(async (account) => {
        try {
          const claim = await deps.client.receiveDailyCredits(account.session, c.req.raw.signal);
          const credits = await deps.credits.refreshNow(account, c.req.raw.signal);
          return { token: maskSecret(account.session.token), received: claim.received, credits };
        } catch (error) {
          return { token: account.label, error: toApiError(error).toBody().error };
        }
      }),
    );
    return c.json(results);
  });

  return app;
}

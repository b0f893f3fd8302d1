/**
 * The seed's token routes: `POST /token/check` (is a sessionid alive),
 * `POST /token/points` (credits of the Bearer sessionids) and
 * `POST /token/receive` (claim today's free credits). Tokens in answers are masked.
 *
 * They exist for sessionid users: with `ALLOW_SESSIONID_AUTH=false` they
 * answer 401 as `/v1` does. `/token/check` needs no credentials, so each
 * client address may check {@linkcode TOKEN_CHECKS_PER_MINUTE} tokens a
 * minute; the others act on at most {@linkcode MAX_TOKENS_PER_CALL} tokens.
 * @module
 */
import { type Context, Hono } from "hono";
import { sessionTokenProblem } from "../accounts/token_rule.ts";
import { clientNetwork } from "../net/cidr.ts";
import { maskSecret, registerSecret } from "../redact.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { ApiError, badRequest, toApiError } from "./errors.ts";
import { optionalString, readJson } from "./fields.ts";
import { bareSessionTokens, requireAuth, sessionIdAuthOff } from "./auth.ts";
import { createRateLimiter } from "./rate_limit.ts";

/** `/token/check` calls one client address may make per minute (each costs an upstream call). */
export const TOKEN_CHECKS_PER_MINUTE = 10;
/** Sessionids one `/token/points` or `/token/receive` call may act on (each costs upstream calls). */
export const MAX_TOKENS_PER_CALL = 10;
/** Client addresses whose `/token/check` window is remembered. */
const MAX_TRACKED_ADDRESSES = 10_000;

function peerOf(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

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

/** Refuses calls that would fan out to more than {@linkcode MAX_TOKENS_PER_CALL} sessionids. */
function boundedFanOut(c: Context<ApiEnv>): void {
  const count = c.get("auth").accounts.length;
  if (count > MAX_TOKENS_PER_CALL) {
    throw new ApiError(
      400,
      `At most ${MAX_TOKENS_PER_CALL} sessionids per call; got ${count}: split them over several calls`,
      "invalid_request_error",
      "too_many_tokens",
    );
  }
}

/** The token routes. */
export function tokenRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const checks = createRateLimiter<string>(deps.now, MAX_TRACKED_ADDRESSES);
  const clientAddress = deps.clientAddress ?? peerOf;

  app.post("/check", async (c) => {
    if (!deps.config.allowSessionIdAuth) throw sessionIdAuthOff();
    const verdict = checks.take(clientNetwork(clientAddress(c)), TOKEN_CHECKS_PER_MINUTE);
    if (!verdict.ok) {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      throw new ApiError(
        429,
        `Rate limit reached: ${TOKEN_CHECKS_PER_MINUTE} token checks per minute per client. Retry in ${seconds} s`,
        "requests",
        "rate_limit_exceeded",
        null,
        { "Retry-After": String(seconds) },
      );
    }
    const fields = await readJson(c);
    const token = optionalString(fields, "token", { max: 512 })?.trim();
    if (!token) throw badRequest("token", "'token' is required", "missing_required_parameter");
    registerSecret(token);
    const [bare] = bareSessionTokens([token], deps.config.allowTokenProxy);
    const problem = sessionTokenProblem(bare);
    if (problem) throw badRequest("token", `'token' ${problem.reason}`, "invalid_value");
    // Through the pool: a stored account is checked through its own proxy.
    const [account] = deps.pool.bearerAccounts([token]);
    const live = await deps.client.isSessionAlive(account.session, c.req.raw.signal);
    return c.json({ live });
  });

  app.post("/points", requireAuth(deps), async (c) => {
    sessionIdsOnly(c);
    boundedFanOut(c);
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
    boundedFanOut(c);
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

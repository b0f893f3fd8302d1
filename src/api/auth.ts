/**
 * Authentication of OpenAI requests. `Authorization: Bearer sk-…` is a key
 * this server issued (served by the operator's stored accounts, under its
 * rate limit and quota). Any other Bearer value is, as in the seed, one or
 * more Jimeng sessionids separated by commas, served by those accounts only,
 * unless `ALLOW_SESSIONID_AUTH=false`.
 * @module
 */
import { createHash } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { maskSecret } from "../redact.ts";
import { looksLikeApiKey } from "./api_keys.ts";
import { isCreation } from "./creations.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { ApiError } from "./errors.ts";

/** Splits an Authorization header into tokens; empty when there are none. */
export function parseBearer(header: string | undefined): string[] {
  if (!header || /^\s*bearer\s*$/i.test(header)) return [];
  const match = /^\s*bearer\s+(.*)$/i.exec(header);
  const value = match ? match[1] : header;
  return value.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
}

/** The owner of jobs created with a set of sessionids: a hash, order-insensitive. */
export function sessionOwner(tokens: readonly string[]): string {
  const digest = createHash("sha256").update([...tokens].sort().join(",")).digest("hex");
  return `sid:${digest.slice(0, 32)}`;
}

/** Largest number of sessionids one header may carry. */
const MAX_TOKENS = 50;

function invalidKey(message: string): ApiError {
  return new ApiError(401, message, "authentication_error", "invalid_api_key");
}

/** Middleware that resolves the caller into {@linkcode AuthInfo}. */
export function requireAuth(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function authenticate(c, next) {
    const tokens = parseBearer(c.req.header("authorization"));
    const sessionIds = deps.config.allowSessionIdAuth;
    const consoleUser = tokens.length === 0 ? deps.consoleUser?.(c) : undefined;
    if (consoleUser !== undefined) {
      c.set("auth", {
        accounts: deps.pool.storedAccounts(),
        label: `console:${consoleUser}`,
        apiKeyId: null,
        owner: "console",
        tokens: null,
      });
      await next();
      return;
    }
    if (tokens.length === 0) {
      throw new ApiError(
        401,
        sessionIds
          ? "Missing credentials: send 'Authorization: Bearer <API key>' or 'Bearer <Jimeng sessionid>' (several separated by commas)"
          : "Missing credentials: send 'Authorization: Bearer <API key>' with a key issued by this server",
        "authentication_error",
        "missing_api_key",
      );
    }
    if (
      tokens.length > MAX_TOKENS || tokens.some((t) => t.length > 512 || !/^[\x21-\x7e]+$/.test(t))
    ) {
      throw invalidKey("The Authorization header is malformed");
    }
    if (tokens.some(looksLikeApiKey)) {
      if (tokens.length > 1 || !deps.keys) {
        throw invalidKey("Incorrect API key provided: send exactly one key this server issued");
      }
      const key = deps.keys.authenticate(tokens[0]);
      // Refused by the rate limit: counted in /metrics, not a usage record.
      deps.keys.admit(key, isCreation(c) ? "create" : "read");
      const usage = c.get("usage") as ApiEnv["Variables"]["usage"] | undefined;
      if (usage) usage.apiKeyId = key.id;
      c.set("auth", {
        accounts: deps.pool.storedAccounts(),
        label: key.prefix,
        apiKeyId: key.id,
        key,
        owner: `key:${key.id}`,
        tokens: null,
      });
      await next();
      return;
    }
    if (!sessionIds) {
      throw invalidKey(
        "This server accepts only API keys it issued (sessionid authentication is off); ask the operator for a key",
      );
    }
    const accounts = deps.pool.bearerAccounts(tokens);
    c.set("auth", {
      accounts,
      label: tokens.map(maskSecret).join(","),
      apiKeyId: null,
      owner: sessionOwner(tokens),
      tokens,
    });
    await next();
  });
}

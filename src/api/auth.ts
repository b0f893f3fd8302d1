/**
 * Authentication of OpenAI requests. As in the seed, the Bearer value is one
 * or more Jimeng sessionids separated by commas.
 * @module
 */
import { createHash } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { maskSecret } from "../redact.ts";
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

/** Middleware that resolves the caller into {@linkcode AuthInfo}. */
export function requireAuth(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function authenticate(c, next) {
    const tokens = parseBearer(c.req.header("authorization"));
    if (tokens.length === 0) {
      throw new ApiError(
        401,
        "Missing credentials: send 'Authorization: Bearer <Jimeng sessionid>' (several separated by commas)",
        "authentication_error",
        "missing_api_key",
      );
    }
    if (
      tokens.length > MAX_TOKENS || tokens.some((t) => t.length > 512 || !/^[\x21-\x7e]+$/.test(t))
    ) {
      throw new ApiError(
        401,
        "The Authorization header is malformed",
        "authentication_error",
        "invalid_api_key",
      );
    }
    const accounts = deps.pool.bearerAccounts(tokens);
    c.set("auth", {
      accounts,
      label: tokens.map(maskSecret).join(","),
      owner: sessionOwner(tokens),
      tokens,
    });
    await next();
  });
}

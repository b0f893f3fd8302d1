/**
 * Authentication of OpenAI requests. `Authorization: Bearer sk-…` is a key
 * this server issued (served by the operator's stored accounts, under its
 * rate limit and quota). Any other Bearer value is, as in the seed, one or
 * more Jimeng sessionids separated by commas, served by those accounts only,
 * unless `ALLOW_SESSIONID_AUTH=false`. Sessionids must pass the same rule as
 * the console's "Add accounts" (`src/accounts/token_rule.ts`) before any is
 * used upstream.
 * @module
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { sessionTokenProblem } from "../accounts/token_rule.ts";
import { hasTokenProxy, ProxyUrlError, splitProxyToken } from "../net/proxy.ts";
import { maskSecret } from "../redact.ts";
import type { ApiKeyRow } from "../store/api_keys.ts";
import { looksLikeApiKey } from "./api_keys.ts";
import { isCreation } from "./creations.ts";
import type { ApiDeps, ApiEnv, AuthInfo } from "./deps.ts";
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

/** The answer to a sessionid (or a sessionid route) while `ALLOW_SESSIONID_AUTH=false`. */
export function sessionIdAuthOff(): ApiError {
  return invalidKey(
    "This server accepts only API keys it issued (sessionid authentication is off); ask the operator for a key",
  );
}

/** A caller's credentials, checked but not yet admitted. */
export type Credentials =
  | { kind: "key"; tokens: string[]; key: ApiKeyRow }
  | { kind: "sessionids"; tokens: string[] };

/**
 * Checks an `Authorization` header as `/v1` does, without admitting the
 * request (no rate limit or quota is taken): the MCP endpoint uses it to
 * answer 401 before a session exists.
 *
 * @throws {ApiError} 401 for missing, malformed, unknown or refused credentials
 */
export function checkCredentials(deps: ApiDeps, header: string | undefined): Credentials {
  const tokens = parseBearer(header);
  if (tokens.length === 0) {
    throw new ApiError(
      401,
      deps.config.allowSessionIdAuth
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
    return { kind: "key", tokens, key: deps.keys.authenticate(tokens[0]) };
  }
  if (!deps.config.allowSessionIdAuth) throw sessionIdAuthOff();
  bareSessionTokens(tokens, deps.config.allowTokenProxy).forEach((token, i) => {
    const problem = sessionTokenProblem(token);
    if (problem) {
      const which = tokens.length > 1 ? `sessionid ${i + 1} of ${tokens.length}` : "sessionid";
      throw invalidKey(
        `Incorrect API key provided: the ${which} (${maskSecret(token)}) ${problem.reason}`,
      );
    }
  });
  return { kind: "sessionids", tokens };
}

/** Who checked credentials are and which accounts serve them. */
export function authInfoOf(deps: ApiDeps, credentials: Credentials): AuthInfo {
  if (credentials.kind === "key") {
    const { key } = credentials;
    return {
      accounts: deps.pool.storedAccounts(),
      label: key.prefix,
      apiKeyId: key.id,
      key,
      owner: `key:${key.id}`,
      tokens: null,
    };
  }
  const { tokens } = credentials;
  // The owner and the label are the sessionids': a proxy is how, not who.
  const bare = bareSessionTokens(tokens, true);
  return {
    accounts: deps.pool.bearerAccounts(tokens),
    label: bare.map(maskSecret).join(","),
    apiKeyId: null,
    owner: sessionOwner(bare),
    tokens,
  };
}

/**
 * Who the caller is: an issued key, the caller's own sessionids, or the
 * console's signed-in user; `undefined` when the request carries no
 * credentials at all. `admit` applies the key's rate limit (creations and
 * reads apart); quotas and the model allow-list are checked when a generation
 * is admitted (`admission.ts`), once its request is parsed.
 *
 * @throws {ApiError} 401 for malformed, unknown or refused credentials; 429 from `admit`
 */
export function identifyCaller(
  deps: ApiDeps,
  c: Context<ApiEnv>,
  options: { admit: boolean },
): AuthInfo | undefined {
  const header = c.req.header("authorization");
  if (parseBearer(header).length === 0) {
    const consoleUser = deps.consoleUser?.(c);
    if (consoleUser === undefined) return undefined;
    return {
      accounts: deps.pool.storedAccounts(),
      label: `console:${consoleUser}`,
      apiKeyId: null,
      owner: "console",
      tokens: null,
    };
  }
  const credentials = checkCredentials(deps, header);
  if (credentials.kind === "key") {
    // Creations and reads have separate rate bounds; a refusal is counted in
    // /metrics, not a usage record.
    if (options.admit) deps.keys!.admit(credentials.key, isCreation(c) ? "create" : "read");
    const usage = c.get("usage") as ApiEnv["Variables"]["usage"] | undefined;
    if (usage) usage.apiKeyId = credentials.key.id;
  }
  return authInfoOf(deps, credentials);
}

/**
 * The sessionids of Bearer tokens without their proxies. A proxy in a token
 * (`socks5://host:port@sessionid`) is refused unless `ALLOW_TOKEN_PROXY`:
 * it would let any client make this server connect to any address.
 *
 * @throws {ApiError} 400 `token_proxy_not_allowed` or `invalid_proxy`
 */
export function bareSessionTokens(tokens: readonly string[], allowProxy: boolean): string[] {
  return tokens.map((token) => {
    if (!hasTokenProxy(token)) return token;
    if (!allowProxy) {
      throw new ApiError(
        400,
        "A proxy in the Bearer token (proxy@sessionid) is refused: it would let any client make this server connect anywhere. Ask the operator to set the account's proxy in the console, or to allow it with ALLOW_TOKEN_PROXY=true",
        "invalid_request_error",
        "token_proxy_not_allowed",
      );
    }
    try {
      return splitProxyToken(token).token;
    } catch (error) {
      if (!(error instanceof ProxyUrlError)) throw error;
      throw new ApiError(
        400,
        `The proxy in the Bearer token is not usable: ${error.message}`,
        "invalid_request_error",
        "invalid_proxy",
      );
    }
  });
}

/** Middleware that resolves the caller into {@linkcode AuthInfo}. */
export function requireAuth(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function authenticate(c, next) {
    // Without credentials, checkCredentials() throws the 401 that says what to send.
    c.set(
      "auth",
      identifyCaller(deps, c, { admit: true }) ??
        authInfoOf(deps, checkCredentials(deps, undefined)),
    );
    await next();
  });
}

/**
 * The one rule for what may be used as a Jimeng/Dreamina sessionid: a Bearer
 * value of an OpenAI request and a line pasted into the console's "Add
 * accounts" both go through it, so whatever one accepts the other does too.
 *
 * A token is `[us-|hk-|jp-|sg-]<sessionid>` (region prefix in any case). Real
 * sessionids are 32 lower-case hex characters; the rule tolerates other
 * cookie-safe forms — 16 to 256 ASCII letters, digits, `_` and `-` — but
 * refuses what cannot be one: an empty id after the prefix, a second region
 * prefix, short or long junk, anything a cookie cannot carry, and anything
 * shaped like one of this server's own keys (`sk-…`, in any case), which is
 * never to be forwarded upstream.
 * @module
 */
import { parseSessionToken } from "../jimeng/regions.ts";

/** Shortest sessionid accepted (after the region prefix). */
export const MIN_SESSIONID_LENGTH = 16;
/** Longest sessionid accepted. */
export const MAX_SESSIONID_LENGTH = 256;

/** Why a token is refused: a stable code (the console translates it) and an English reason. */
export interface TokenProblem {
  code:
    | "empty"
    | "spaces"
    | "bad_characters"
    | "api_key"
    | "double_prefix"
    | "too_short"
    | "too_long"
    | "not_sessionid";
  reason: string;
}

const problem = (code: TokenProblem["code"], reason: string): TokenProblem => ({ code, reason });

/** Whether a value is shaped like a key this server issues (`sk-…`), in any case. */
export function looksLikeOwnKey(token: string): boolean {
  return /^sk-/i.test(token);
}

/** Why `token` cannot be a sessionid, or `null` when it can. */
export function sessionTokenProblem(token: string): TokenProblem | null {
  if (token === "") return problem("empty", "is empty");
  if (/\s/.test(token)) {
    return problem(
      "spaces",
      "contains spaces (put one sessionid per line, or separate them with commas)",
    );
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return problem("bad_characters", "contains characters a cookie cannot hold");
  }
  const { region, sessionId } = parseSessionToken(token);
  if (looksLikeOwnKey(token) || looksLikeOwnKey(sessionId)) {
    return problem("api_key", "this is an API key, not a Jimeng sessionid");
  }
  if (region !== "cn") {
    if (sessionId === "") return problem("empty", "has a region prefix but no sessionid after it");
    if (parseSessionToken(sessionId).region !== "cn") {
      return problem("double_prefix", "has two region prefixes (write one, e.g. us-<sessionid>)");
    }
  }
  if (sessionId.length > MAX_SESSIONID_LENGTH) {
    return problem("too_long", `is longer than ${MAX_SESSIONID_LENGTH} characters`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(sessionId)) {
    return problem("not_sessionid", "is not a sessionid (letters, digits, - and _ only)");
  }
  if (sessionId.length < MIN_SESSIONID_LENGTH) {
    return problem(
      "too_short",
      `is too short to be a sessionid (they have 32 characters; at least ${MIN_SESSIONID_LENGTH})`,
    );
  }
  return null;
}

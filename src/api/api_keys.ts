/**
 * API keys the server issues: `sk-` + 32 random bytes (base64url), stored as
 * the SHA-256 of the whole key, shown once. The guard authenticates a key
 * and enforces its rate limit (requests per minute) and daily quota
 * (credits per day of the claim time zone).
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { startOfDay } from "../days.ts";
import { looksLikeOwnKey } from "../accounts/token_rule.ts";
import { registerSecret } from "../redact.ts";
import type { Db } from "../store/db.ts";
import { type ApiKeyRow, apiKeyUsage, findApiKeyByHash, touchApiKey } from "../store/api_keys.ts";
import { ApiError } from "./errors.ts";
import { createRateLimiter, type RateLimiter } from "./rate_limit.ts";

/** The prefix of every issued key. */
export const KEY_PREFIX = "sk-";

/** A new key: the secret (shown once), its hash and its display prefix. */
export interface GeneratedKey {
  secret: string;
  hash: string;
  prefix: string;
}

/** The SHA-256 (hex) a key is stored as. */
export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** The masked form of a key shown after creation (`sk-abcd…wxyz`). */
export function maskApiKey(secret: string): string {
  return `${secret.slice(0, KEY_PREFIX.length + 4)}…${secret.slice(-4)}`;
}

/** Generates a key. */
export function generateApiKey(): GeneratedKey {
  const secret = KEY_PREFIX + Buffer.from(randomBytes(32)).toString("base64url");
  registerSecret(secret, { lasting: true });
  return { secret, hash: hashApiKey(secret), prefix: maskApiKey(secret) };
}

/**
 * Whether a Bearer token claims to be an issued key: `sk-` in any case, so
 * that a key with a mangled prefix is refused as a key, never taken for a
 * sessionid and sent upstream.
 */
export function looksLikeApiKey(token: string): boolean {
  return looksLikeOwnKey(token);
}

/** What the guard needs. */
export interface KeyGuardDeps {
  db: Db;
  now: () => number;
  /** IANA zone of the quota day. */
  timeZone: string;
  /** Shortest time between two `last_used_at` writes of one key. @default 60 s */
  touchIntervalMs?: number;
}

/** The guard. */
export interface KeyGuard {
  /**
   * The key a Bearer token names.
   * @throws {ApiError} 401 when it is unknown or revoked
   */
  authenticate(token: string): ApiKeyRow;
  /**
   * Lets a request of `key` through or refuses it.
   * @throws {ApiError} 429 `rate_limit_exceeded` (with Retry-After) or `insufficient_quota`
   */
  admit(key: ApiKeyRow): void;
  /** Requests and credits of a key today. */
  usageToday(id: number): { requests: number; credits: number };
  /** Start of today in the quota zone. */
  todayStart(): number;
  /** Drops the in-memory state of a key (after its revocation; a change keeps its rate window). */
  forget(id: number): void;
}

/** Creates the guard. */
export function createKeyGuard(deps: KeyGuardDeps): KeyGuard {
  const limiter: RateLimiter = createRateLimiter(deps.now);
  const touchInterval = deps.touchIntervalMs ?? 60_000;
  const touched = new Map<number, number>();
  const todayStart = () => startOfDay(deps.now(), deps.timeZone);

  return {
    authenticate(token) {
      registerSecret(token);
      const key = findApiKeyByHash(deps.db, hashApiKey(token));
      if (!key) {
        throw new ApiError(
          401,
          "Incorrect API key provided: it is not a key this server issued. Create one in the console (API keys)",
          "authentication_error",
          "invalid_api_key",
        );
      }
      if (key.revokedAt !== null) {
        throw new ApiError(
          401,
          `The API key ${key.prefix} ("${key.name}") has been revoked`,
          "authentication_error",
          "invalid_api_key",
        );
      }
      return key;
    },
    admit(key) {
      if (key.ratePerMinute !== null) {
        const verdict = limiter.take(key.id, key.ratePerMinute);
        if (!verdict.ok) {
          const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
          throw new ApiError(
            429,
            `Rate limit reached for API key ${key.prefix}: ${key.ratePerMinute} requests per minute. Retry in ${seconds} s`,
            "requests",
            "rate_limit_exceeded",
            null,
            { "Retry-After": String(seconds) },
          );
        }
      }
      if (key.quotaPerDay !== null) {
        const used = apiKeyUsage(deps.db, key.id, todayStart()).credits;
        if (used >= key.quotaPerDay) {
          throw new ApiError(
            429,
            `API key ${key.prefix} has used its daily quota: ${used} of ${key.quotaPerDay} credits today. The quota resets at midnight (${deps.timeZone}); ask the operator to raise it`,
            "insufficient_quota",
            "insufficient_quota",
          );
        }
      }
      const now = deps.now();
      if (now - (touched.get(key.id) ?? -Infinity) >= touchInterval) {
        touched.set(key.id, now);
        touchApiKey(deps.db, key.id, now);
      }
    },
    usageToday: (id) => apiKeyUsage(deps.db, id, todayStart()),
    todayStart,
    forget(id) {
      limiter.forget(id);
      touched.delete(id);
    },
  };
}

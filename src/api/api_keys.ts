/**
 * API keys the server issues: `sk-` + 32 random bytes (base64url), stored as
 * the SHA-256 of the whole key, shown once. The guard authenticates a key
 * (revoked and expired keys are refused) and enforces its rate limits
 * (creations per minute; reads get a much higher bound of their own), its
 * model allow-list, its daily quota (credits per day of the claim time zone)
 * and its total credit cap. Quotas reserve each request's estimated credits
 * before the upstream submit, so parallel or large requests cannot overshoot.
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { startOfDay } from "../days.ts";
import { looksLikeOwnKey } from "../accounts/token_rule.ts";
import { registerSecret } from "../redact.ts";
import type { Db } from "../store/db.ts";
import {
  apiKeyCredits,
  apiKeyCreditsUsed,
  type ApiKeyRow,
  apiKeyUsage,
  findApiKeyByHash,
  type KeyUsage,
  touchApiKey,
} from "../store/api_keys.ts";
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

/** What a request of a key does: create work (counted, metered) or read its results. */
export type KeyUse = "create" | "read";

/** Credits held for a request until its row (and later its real spend) counts them. */
export interface Reservation {
  readonly credits: number;
  /** Ends the hold; idempotent. */
  release(): void;
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
   * @throws {ApiError} 401 when it is unknown, revoked or expired
   */
  authenticate(token: string): ApiKeyRow;
  /**
   * Lets a request of `key` through its rate limit or refuses it. Creations
   * count against `ratePerMinute`; reads (status, results, lists) have their
   * own, much higher bound and never touch the quota.
   * @throws {ApiError} 429 `rate_limit_exceeded` (with Retry-After)
   */
  admit(key: ApiKeyRow, use?: KeyUse): void;
  /**
   * Checks the key's model allow-list and reserves `credits` against its daily
   * quota and total cap, atomically with every other reservation: what was
   * charged, plus what running requests hold, plus this one must fit.
   * @throws {ApiError} 403 `model_not_allowed`, 429 `insufficient_quota`
   */
  reserve(key: ApiKeyRow, model: string, credits: number): Reservation;
  /** Requests, credits (charged or reserved) and errors of a key today. */
  usageToday(id: number): KeyUsage;
  /** Credits held right now by running requests of a key. */
  held(id: number): number;
  /** Start of today in the quota zone. */
  todayStart(): number;
  /** Drops the in-memory state of a key (after its revocation; a change keeps its rate window). */
  forget(id: number): void;
}

/** Reads of a key per minute: ten times its creation rate, at least this. */
export const MIN_READS_PER_MINUTE = 600;

/** The read bound of a key with a creation rate of `perMinute`. */
export function readsPerMinute(perMinute: number): number {
  return Math.max(MIN_READS_PER_MINUTE, perMinute * 10);
}

function quotaError(message: string): ApiError {
  return new ApiError(429, message, "insufficient_quota", "insufficient_quota");
}

/** Creates the guard. */
export function createKeyGuard(deps: KeyGuardDeps): KeyGuard {
  const creations: RateLimiter = createRateLimiter(deps.now);
  const reads: RateLimiter = createRateLimiter(deps.now);
  const touchInterval = deps.touchIntervalMs ?? 60_000;
  const touched = new Map<number, number>();
  /** Credits held per key by requests whose row is not written yet. */
  const holds = new Map<number, Set<{ credits: number }>>();
  const todayStart = () => startOfDay(deps.now(), deps.timeZone);
  const held = (id: number) => {
    let sum = 0;
    for (const hold of holds.get(id) ?? []) sum += hold.credits;
    return sum;
  };
  const resets = () =>
    `The quota resets at midnight (${deps.timeZone}); ask the operator to raise it`;

  function limit(key: ApiKeyRow, use: KeyUse): void {
    if (key.ratePerMinute === null) return;
    const perMinute = use === "create" ? key.ratePerMinute : readsPerMinute(key.ratePerMinute);
    const verdict = (use === "create" ? creations : reads).take(key.id, perMinute);
    if (verdict.ok) return;
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new ApiError(
      429,
      use === "create"
        ? `Rate limit reached for API key ${key.prefix}: ${perMinute} requests per minute. Retry in ${seconds} s`
        : `Rate limit reached for API key ${key.prefix}: ${perMinute} reads (status polls, downloads, lists) per minute. Retry in ${seconds} s`,
      "requests",
      "rate_limit_exceeded",
      null,
      { "Retry-After": String(seconds) },
    );
  }

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
      if (key.expiresAt !== null && deps.now() >= key.expiresAt) {
        throw new ApiError(
          401,
          `The API key ${key.prefix} ("${key.name}") expired at ${
            new Date(key.expiresAt).toISOString()
          }; ask the operator for a new key or a later expiry`,
          "authentication_error",
          "api_key_expired",
        );
      }
      return key;
    },
    admit(key, use = "create") {
      limit(key, use);
      const now = deps.now();
      if (now - (touched.get(key.id) ?? -Infinity) >= touchInterval) {
        touched.set(key.id, now);
        touchApiKey(deps.db, key.id, now);
      }
    },
    reserve(key, model, credits) {
      if (key.models !== null && !key.models.includes(model)) {
        throw new ApiError(
          403,
          `API key ${key.prefix} may not use the model '${model}'; it may use ${
            key.models.map((m) => `'${m}'`).join(", ")
          }. Ask the operator to allow it`,
          "permission_error",
          "model_not_allowed",
          "model",
        );
      }
      const holding = held(key.id);
      if (key.quotaPerDay !== null) {
        const used = apiKeyCredits(deps.db, key.id, todayStart());
        if (used + holding >= key.quotaPerDay) {
          throw quotaError(
            `API key ${key.prefix} has used its daily quota: ${
              used + holding
            } of ${key.quotaPerDay} credits today. ${resets()}`,
          );
        }
        if (used + holding + credits > key.quotaPerDay) {
          const left = Math.max(0, key.quotaPerDay - used - holding);
          throw quotaError(
            `API key ${key.prefix} cannot start this request: it may cost up to ${credits} credits and ${left} of its daily quota of ${key.quotaPerDay} are left (${used} charged today, ${holding} held by requests still running). ${resets()}`,
          );
        }
      }
      if (key.creditCap !== null) {
        const used = apiKeyCreditsUsed(deps.db, key.id);
        if (used + holding >= key.creditCap) {
          throw quotaError(
            `API key ${key.prefix} has used its credit cap: ${
              used + holding
            } of ${key.creditCap} credits in total; ask the operator to raise it`,
          );
        }
        if (used + holding + credits > key.creditCap) {
          const left = Math.max(0, key.creditCap - used - holding);
          throw quotaError(
            `API key ${key.prefix} cannot start this request: it may cost up to ${credits} credits and ${left} of its credit cap of ${key.creditCap} are left (${used} charged, ${holding} held by requests still running); ask the operator to raise it`,
          );
        }
      }
      const hold = { credits };
      let set = holds.get(key.id);
      if (!set) holds.set(key.id, set = new Set());
      set.add(hold);
      return {
        credits,
        release() {
          const current = holds.get(key.id);
          if (!current?.delete(hold)) return;
          if (current.size === 0) holds.delete(key.id);
        },
      };
    },
    usageToday: (id) => apiKeyUsage(deps.db, id, todayStart()),
    held,
    todayStart,
    forget(id) {
      creations.forget(id);
      reads.forget(id);
      touched.delete(id);
    },
  };
}

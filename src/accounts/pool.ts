/**
 * The account pool: which upstream account serves a request, and what the
 * server has learned about each one (credits, expiry, cool-down, load).
 *
 * Accounts come from the operator (stored/configured) or, for compatibility
 * with the seed, from a request's Bearer header; both live here, keyed by a
 * hash of the token so the token itself is never a map key in logs.
 * @module
 */
import { createHash } from "node:crypto";
import type { Credits } from "../jimeng/account.ts";
import { JimengError } from "../jimeng/errors.ts";
import { createSession, type Session, type SessionOptions } from "../jimeng/http.ts";
import { parseSessionToken, type Region } from "../jimeng/regions.ts";
import { splitProxyToken } from "../net/proxy.ts";
import { maskSecret, registerSecret } from "../redact.ts";

/**
 * No account can serve because there is none (or every one is disabled): a
 * state of the server, not an authentication failure of the caller.
 */
export class NoAccountError extends Error {
  override name = "NoAccountError";
}

/** What the pool knows about one account. */
export interface Account {
  /** Stable key: hex SHA-256 prefix of the token. */
  key: string;
  /** Row id when the account is stored; `null` for Bearer-only accounts. */
  id: number | null;
  /** Masked token for display. */
  label: string;
  session: Session;
  source: "stored" | "bearer";
  disabled: boolean;
  expired: boolean;
  /** No generation is routed here before this time (ms) after running dry. */
  coolingUntil: number;
  credits: Credits | null;
  creditsAt: number;
  inFlight: number;
  /** Day (YYYY-MM-DD, in the claim time zone) of the last daily claim. */
  claimedDay: string | null;
  /** When the last daily claim was made (ms), and what it received. */
  lastClaimAt: number | null;
  lastClaimReceived: number | null;
  /** When liveness and credits were last checked (ms), and the error if the check failed. */
  lastCheckAt: number | null;
  lastCheckError: string | null;
  /** The last failure of the account's proxy, until a call through it works again. */
  proxyError: { message: string; at: number } | null;
  /** When the account was added (ms). */
  createdAt: number;
  /** The operator's name for a stored account, and a note. */
  name: string | null;
  note: string | null;
}

/** Hex key of a token. */
export function tokenKey(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 32);
}

/**
 * How an account is shown: the sessionid masked, after its region prefix
 * (`us-3c4d…1a2b`, not `us-3…1a2b`, which would hide the sessionid's start).
 */
export function accountLabel(token: string): string {
  const { sessionId } = parseSessionToken(token);
  return `${token.slice(0, token.length - sessionId.length)}${maskSecret(sessionId)}`;
}

/** Creates the in-memory record of an account. */
export function newAccount(
  token: string,
  source: Account["source"],
  id: number | null,
  createdAt = Date.now(),
  options: SessionOptions = {},
): Account {
  const session = createSession(token, options);
  // The operator's accounts stay masked however many other tokens requests bring.
  const lasting = source === "stored";
  registerSecret(token, { lasting });
  registerSecret(session.sessionId, { lasting });
  return {
    key: tokenKey(token),
    id,
    label: accountLabel(token),
    session,
    source,
    disabled: false,
    expired: false,
    coolingUntil: 0,
    credits: null,
    creditsAt: 0,
    inFlight: 0,
    claimedDay: null,
    lastClaimAt: null,
    lastClaimReceived: null,
    lastCheckAt: null,
    lastCheckError: null,
    proxyError: null,
    createdAt,
    name: null,
    note: null,
  };
}

/** Which accounts may serve a request. */
export interface PickFilter {
  /** Regions that offer the model. */
  regions: readonly Region[];
  /** Accounts already tried for this request. */
  exclude: ReadonlySet<string>;
}

/** How an attempt on an account ended. */
export type AttemptOutcome = "ok" | "expired" | "no_credits" | "proxy_error";

/** The pool. */
export interface AccountPool {
  /**
   * Accounts for a request that brought its own tokens (cached, never stored).
   * A token may carry a proxy (`proxy@[region-]sessionid`; the caller decides
   * whether that is allowed); a stored account keeps its own.
   */
  bearerAccounts(tokens: readonly string[]): Account[];
  /** The operator's accounts. */
  storedAccounts(): Account[];
  /** A stored or remembered Bearer account by key. */
  find(key: string): Account | undefined;
  /** Adds or replaces an operator account. */
  putStored(account: Account): void;
  removeStored(key: string): void;
  /** The best account among `accounts` for a request, or `undefined`. */
  pick(accounts: readonly Account[], filter: PickFilter): Account | undefined;
  /** Records the outcome of an attempt (`detail`: what failed, for `proxy_error`). */
  note(account: Account, outcome: AttemptOutcome, detail?: string): void;
  /** Explains why no account in `accounts` can serve, as the error to return. */
  exhausted(accounts: readonly Account[], filter: PickFilter): JimengError | NoAccountError;
}

/** Options of {@linkcode createAccountPool}. */
export interface AccountPoolOptions {
  now?: () => number;
  random?: () => number;
  /** Cool-down after "insufficient credits". @default 10 min */
  coolDownMs?: number;
  /** How long an account whose proxy failed is tried only after the others. @default 1 min */
  proxyCoolDownMs?: number;
  /** Bearer accounts remembered. @default 1000 */
  bearerCacheSize?: number;
  /** Called when an account's state changes (for persistence). */
  onChange?: (account: Account) => void;
}

/** Creates the pool. */
export function createAccountPool(options: AccountPoolOptions = {}): AccountPool {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const coolDownMs = options.coolDownMs ?? 10 * 60_000;
  const proxyCoolDownMs = options.proxyCoolDownMs ?? 60_000;
  const bearerLimit = options.bearerCacheSize ?? 1000;
  const stored = new Map<string, Account>();
  const bearer = new Map<string, Account>();

  function usable(account: Account, filter: PickFilter): boolean {
    return !account.disabled && !account.expired && !filter.exclude.has(account.key) &&
      filter.regions.includes(account.session.region);
  }

  /** Lower is better: healthy first, then most credits, then least busy. */
  function score(account: Account): number[] {
    const proxyFailing = account.proxyError !== null &&
      now() - account.proxyError.at < proxyCoolDownMs;
    const cooling = account.coolingUntil > now() || proxyFailing ? 1 : 0;
    const known = account.credits?.total;
    const credits = known === undefined ? 50 : known;
    return [cooling, credits <= 0 ? 1 : 0, -credits, account.inFlight];
  }

  return {
    bearerAccounts(tokens) {
      return tokens.map((raw) => {
        const { proxy, token } = splitProxyToken(raw);
        const storedAccount = stored.get(tokenKey(token));
        if (storedAccount) return storedAccount;
        // Cached by the whole token: the same sessionid through another proxy is another egress.
        const cacheKey = tokenKey(raw);
        let account = bearer.get(cacheKey);
        if (account) {
          bearer.delete(cacheKey);
        } else {
          account = newAccount(token, "bearer", null, now(), proxy ? { proxy } : {});
          if (bearer.size >= bearerLimit) bearer.delete(bearer.keys().next().value!);
        }
        bearer.set(cacheKey, account);
        return account;
      });
    },
    storedAccounts: () => [...stored.values()],
    find(key) {
      const found = stored.get(key);
      if (found) return found;
      for (const account of bearer.values()) if (account.key === key) return account;
      return undefined;
    },
    putStored(account) {
      stored.set(account.key, account);
      bearer.delete(account.key);
    },
    removeStored(key) {
      stored.delete(key);
    },
    pick(accounts, filter) {
      let best: Account | undefined;
      let bestScore: number[] | undefined;
      let ties = 0;
      for (const account of accounts) {
        if (!usable(account, filter)) continue;
        const s = score(account);
        const cmp = bestScore === undefined ? -1 : compare(s, bestScore);
        if (cmp < 0) {
          best = account;
          bestScore = s;
          ties = 1;
        } else if (cmp === 0 && random() < 1 / ++ties) {
          // Reservoir choice among equals spreads load like the seed's random pick.
          best = account;
        }
      }
      return best;
    },
    note(account, outcome, detail) {
      // Any answer at all came back through the proxy: it works.
      if (outcome === "proxy_error") {
        account.proxyError = { message: detail ?? "The proxy failed", at: now() };
        options.onChange?.(account);
        return;
      }
      account.proxyError = null;
      if (outcome === "expired") account.expired = true;
      else if (outcome === "no_credits") {
        account.coolingUntil = now() + coolDownMs;
        if (account.credits) account.credits = { ...account.credits, total: 0 };
      } else if (account.expired) account.expired = false;
      options.onChange?.(account);
    },
    exhausted(accounts, filter) {
      // Disabled accounts are the operator's choice, not a state to report as a shortage.
      const enabled = accounts.filter((a) => !a.disabled);
      const inRegion = enabled.filter((a) => filter.regions.includes(a.session.region));
      if (enabled.length === 0) {
        const disabled = accounts.length > 0 ? ` (all ${accounts.length} are disabled)` : "";
        return new NoAccountError(
          `No Jimeng account is available${disabled}: add one in the console (Accounts), or send a sessionid in the Authorization header instead of an API key`,
        );
      }
      if (inRegion.length === 0) {
        return new JimengError(
          "invalid_parameter",
          `This model is not offered in the region of your accounts (it needs ${
            filter.regions.join("/")
          })`,
          { code: "model_not_in_region" },
        );
      }
      const expired = inRegion.filter((a) => a.expired).length;
      const proxyFailed = inRegion.filter((a) => !a.expired && a.proxyError !== null);
      const dry = inRegion.length - expired - proxyFailed.length;
      if (proxyFailed.length > 0 && dry === 0) {
        return new JimengError(
          "proxy_error",
          `No Jimeng account could be reached: the proxy of ${proxyFailed.length} of ${inRegion.length} account(s) failed${
            expired > 0 ? ` and ${expired} expired` : ""
          } (${proxyFailed[0].proxyError!.message})`,
          { code: "proxy_error", retriable: false },
        );
      }
      if (expired === inRegion.length) {
        return new JimengError(
          "session_expired",
          `Every Jimeng session has expired (${expired} of ${inRegion.length})`,
        );
      }
      return new JimengError(
        "insufficient_credits",
        `No Jimeng account has credits for this request (${dry} out of credits, ${expired} expired${
          proxyFailed.length > 0 ? `, ${proxyFailed.length} unreachable through its proxy` : ""
        })`,
      );
    },
  };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

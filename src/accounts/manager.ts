/**
 * The operator's accounts: stored in SQLite (sessionids sealed by
 * `secrets.ts`), served from the in-memory pool. Loads them at start, adds
 * and removes them, checks liveness and credits, claims daily credits, and
 * writes every state change back to the store.
 * @module
 */
import type { CreditClaim } from "../jimeng/account.ts";
import type { JimengClient } from "../jimeng/client.ts";
import { type Logger } from "../log.ts";
import { JimengError } from "../jimeng/errors.ts";
import { parseSessionToken, regionInfo } from "../jimeng/regions.ts";
import { maskSecret, redact, registerSecret } from "../redact.ts";
import {
  type AccountRow,
  deleteAccount,
  getAccountByHash,
  insertAccounts,
  listAccounts,
  saveAccountState,
  updateAccountSecret,
} from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { claimDailyCredits } from "./claims.ts";
import type { CreditRefresher } from "./credits.ts";
import type { CreditLedger } from "./ledger.ts";
import { type Account, accountLabel, type AccountPool, newAccount, tokenKey } from "./pool.ts";
import type { SecretBox } from "./secrets.ts";
import { sessionTokenProblem, type TokenProblem } from "./token_rule.ts";

/** How an account looks to the operator. */
export type AccountHealth = "ok" | "expired" | "cooling" | "disabled" | "unknown";

/** The result of adding one pasted token. */
export type AddResult =
  | { status: "added" | "existing"; account: Account }
  | { status: "invalid"; label: string; reason: string; code: TokenProblem["code"] };

/** What the manager needs. */
export interface AccountManagerDeps {
  db: Db;
  pool: AccountPool;
  client: JimengClient;
  credits: CreditRefresher;
  ledger?: CreditLedger;
  box: SecretBox;
  log: Logger;
  now: () => number;
  /** IANA zone of the claim day. */
  timeZone: string;
  /** Called with a stored account after its state was written (e.g. to alert on a change). */
  onSaved?: (account: Account) => void;
}

/** The manager. */
export interface AccountManager {
  /** Loads the stored accounts into the pool; returns how many. */
  load(): number;
  /** Stores tokens (sessionids, region prefixes allowed); known ones are reported as existing. */
  add(tokens: readonly string[]): AddResult[];
  /** Stored accounts, oldest first. */
  list(): Account[];
  get(id: number): Account | undefined;
  setDisabled(account: Account, disabled: boolean): void;
  remove(account: Account): void;
  /** Checks liveness and reads credits now; the result is recorded on the account. */
  check(account: Account, signal?: AbortSignal): Promise<void>;
  /** Claims the daily credits (once a day unless `force`); `null` = already claimed today. */
  claim(
    account: Account,
    options?: { force?: boolean; signal?: AbortSignal },
  ): Promise<CreditClaim | null>;
  /** Writes the account's state to the store (the pool's `onChange`). */
  persist(account: Account): void;
  /** Records a claim made elsewhere (the failover's `onClaimed`). */
  claimed(account: Account, claim: CreditClaim): void;
}

/** One entry of pasted text and the line (1-based) it is on. */
export interface PastedToken {
  token: string;
  line: number;
}

/**
 * Splits pasted text into tokens: one per line, or several on a line
 * separated by commas or semicolons; a `sessionid=` cookie prefix is dropped.
 * Spaces inside an entry are kept (the rule refuses them, naming the line):
 * splitting at them would turn one bad line into several wrong accounts.
 * Repeated tokens are kept once, at their first line.
 */
export function splitPasted(text: string): PastedToken[] {
  const seen = new Set<string>();
  const entries: PastedToken[] = [];
  text.split(/\r\n|\r|\n/).forEach((content, index) => {
    for (const part of content.split(/[,;]/)) {
      const token = part.trim().replace(/^sessionid=/i, "");
      if (token === "" || seen.has(token)) continue;
      seen.add(token);
      entries.push({ token, line: index + 1 });
    }
  });
  return entries;
}

/** The operator's view of an account's state. */
export function accountHealth(account: Account, now: number): AccountHealth {
  if (account.disabled) return "disabled";
  if (account.expired) return "expired";
  if (account.coolingUntil > now) return "cooling";
  if (account.lastCheckAt === null && account.credits === null) return "unknown";
  return "ok";
}

/** Creates the manager. */
export function createAccountManager(deps: AccountManagerDeps): AccountManager {
  const { db, pool, box, log } = deps;
  const byId = new Map<number, Account>();

  function fromRow(row: AccountRow, token: string): Account {
    const account = newAccount(token, "stored", row.id, row.createdAt);
    Object.assign(account, {
      disabled: row.disabled,
      expired: row.expired,
      coolingUntil: row.coolingUntil,
      credits: row.credits,
      creditsAt: row.creditsAt ?? 0,
      lastCheckAt: row.lastCheckAt,
      lastCheckError: row.lastCheckError,
      lastClaimAt: row.lastClaimAt,
      claimedDay: row.lastClaimDay,
      lastClaimReceived: row.lastClaimReceived,
    });
    return account;
  }

  function adopt(account: Account): void {
    byId.set(account.id!, account);
    pool.putStored(account);
  }

  function persist(account: Account): void {
    if (account.id === null || account.source !== "stored") return;
    try {
      saveAccountState(db, account.id, {
        disabled: account.disabled,
        expired: account.expired,
        coolingUntil: account.coolingUntil,
        credits: account.credits,
        creditsAt: account.creditsAt || null,
        lastCheckAt: account.lastCheckAt,
        lastCheckError: account.lastCheckError,
        lastClaimAt: account.lastClaimAt,
        lastClaimDay: account.claimedDay,
        lastClaimReceived: account.lastClaimReceived,
        updatedAt: deps.now(),
      });
    } catch (error) {
      log.warn("Could not save the account's state", { account: account.label, error });
    }
    try {
      deps.onSaved?.(account);
    } catch (error) {
      log.warn("Acting on an account's change failed", { account: account.label, error });
    }
  }

  function claimed(account: Account, claim: CreditClaim): void {
    deps.ledger?.credited(account, claim);
    if (claim.received > 0) account.coolingUntil = 0;
    persist(account);
    deps.credits.refreshSoon(account);
  }

  return {
    load() {
      let loaded = 0;
      for (const row of listAccounts(db)) {
        let token: string;
        try {
          token = box.open(row.secret, row.tokenHash);
        } catch {
          log.error(
            `Stored account ${row.label} cannot be decrypted (key ${row.keyId}, now ${box.keyId}): ` +
              "SECRET_KEY or DATA_DIR/secret.key changed; restore the key or add the sessionid again",
          );
          continue;
        }
        adopt(fromRow(row, token));
        loaded++;
      }
      return loaded;
    },
    add(tokens) {
      const results: (AddResult | null)[] = [];
      const fresh: { token: string; index: number }[] = [];
      for (const token of tokens) {
        registerSecret(token);
        const problem = sessionTokenProblem(token);
        if (problem) {
          results.push({ status: "invalid", label: maskSecret(token), ...problem });
          continue;
        }
        const known = pool.storedAccounts().find((a) => a.key === tokenKey(token));
        if (known) {
          results.push({ status: "existing", account: known });
          continue;
        }
        fresh.push({ token, index: results.length });
        results.push(null);
      }
      const now = deps.now();
      const rows = insertAccounts(
        db,
        fresh.map(({ token }) => {
          const hash = tokenKey(token);
          return {
            tokenHash: hash,
            label: accountLabel(token),
            region: parseSessionToken(token).region,
            secret: box.seal(token, hash),
            keyId: box.keyId,
            createdAt: now,
          };
        }),
      );
      rows.forEach(({ row, added }, i) => {
        const { token, index } = fresh[i];
        if (!added) {
          // Stored under a key that is gone: seal it again with the current one.
          updateAccountSecret(db, row.id, box.seal(token, row.tokenHash), box.keyId);
        }
        const account = fromRow(getAccountByHash(db, row.tokenHash) ?? row, token);
        adopt(account);
        results[index] = { status: added ? "added" : "existing", account };
        if (added) log.info("Account added", { account: account.label });
      });
      return results as AddResult[];
    },
    list: () => [...byId.values()].sort((a, b) => a.id! - b.id!),
    get: (id) => byId.get(id),
    setDisabled(account, disabled) {
      account.disabled = disabled;
      persist(account);
      log.info(disabled ? "Account disabled" : "Account enabled", { account: account.label });
    },
    remove(account) {
      deleteAccount(db, account.id!);
      byId.delete(account.id!);
      pool.removeStored(account.key);
      log.info("Account removed", { account: account.label });
    },
    async check(account, signal) {
      account.lastCheckAt = deps.now();
      const expired = () => {
        account.expired = true;
        account.lastCheckError = "The session has expired";
        log.warn("Account session has expired", { account: account.label });
      };
      try {
        // Dreamina has no liveness call of its own: the credit read below is the check.
        if (!regionInfo(account.session.region).international) {
          if (!(await deps.client.isSessionAlive(account.session, signal))) return expired();
          account.expired = false;
        }
        const credits = await deps.credits.refreshNow(account, signal);
        account.expired = false;
        if (credits.total > 0) account.coolingUntil = 0;
        account.lastCheckError = null;
      } catch (error) {
        if (error instanceof JimengError && error.kind === "session_expired") return expired();
        account.lastCheckError = redact((error as Error).message ?? String(error));
        log.warn("Account check failed", { account: account.label, error });
      } finally {
        persist(account);
      }
    },
    claim(account, options = {}) {
      return claimDailyCredits(
        {
          client: deps.client,
          log,
          now: deps.now,
          timeZone: deps.timeZone,
          onClaimed: claimed,
        },
        account,
        options,
      );
    },
    persist,
    claimed,
  };
}

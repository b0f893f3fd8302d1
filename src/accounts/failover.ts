/**
 * Runs one unit of upstream work on the best account, moving to the next
 * account when the upstream says the current one has no credits or has
 * expired, so the client sees one success while any account can serve it.
 * @module
 */
import { JimengError } from "../jimeng/errors.ts";
import type { Region } from "../jimeng/regions.ts";
import { claimDailyCredits, type ClaimDeps } from "./claims.ts";
import type { Charge, ChargeOutcome, CreditLedger } from "./ledger.ts";
import type { Account, AccountPool } from "./pool.ts";

/** What {@linkcode runWithFailover} needs. */
export interface FailoverDeps extends ClaimDeps {
  pool: AccountPool;
  /** Measures the credits each attempt spends. */
  ledger?: CreditLedger;
  /** Called after every attempt, to refresh the account's balance off the hot path. */
  afterAttempt?: (account: Account) => void;
  /**
   * Reads the balance of an account whose balance was never read (a
   * sessionid seen for the first time), so that its first generation is
   * measured like the others. Once per account; failures are ignored.
   */
  knowBalance?: (account: Account, signal?: AbortSignal) => Promise<void>;
}

/** Options of {@linkcode runWithFailover}. */
export interface FailoverOptions {
  /**
   * Key of the account to try first, whatever its score: a resumed job whose
   * submission may already have reached that account must repeat it there.
   */
  prefer?: string;
  /** Told about every attempt's charge (failed ones too), for the request's usage. */
  onCharge?: (charge: Charge) => void;
}

/** The outcome of {@linkcode runWithFailover}. */
export interface FailoverResult<T> {
  value: T;
  account: Account;
  /** The successful attempt's credits (settled later by the ledger). */
  charge?: Charge;
}

/**
 * Runs `work` on an account from `accounts` that serves one of `regions`.
 *
 * On "insufficient credits" the account's daily free credits are claimed
 * once per day and the work is retried on it; otherwise the account cools
 * down and the next one is tried. Expired accounts, and accounts whose proxy
 * failed, are marked and skipped.
 *
 * @throws {JimengError} when no account can serve (summarising why), or the
 * first error that is not about the account
 */
export async function runWithFailover<T>(
  deps: FailoverDeps,
  accounts: readonly Account[],
  regions: readonly Region[],
  work: (account: Account) => Promise<T>,
  signal?: AbortSignal,
  options: FailoverOptions = {},
): Promise<FailoverResult<T>> {
  const exclude = new Set<string>();
  let prefer = options.prefer;
  for (;;) {
    signal?.throwIfAborted();
    const preferred = prefer === undefined
      ? undefined
      : accounts.find((a) => a.key === prefer && !a.disabled && !a.expired);
    prefer = undefined;
    const account = preferred ?? deps.pool.pick(accounts, { regions, exclude });
    if (!account) throw deps.pool.exhausted(accounts, { regions, exclude });
    if (account.credits === null && deps.ledger && deps.knowBalance) {
      await deps.knowBalance(account, signal);
      signal?.throwIfAborted();
    }
    account.inFlight++;
    const charge = deps.ledger?.begin(account);
    if (charge) options.onCharge?.(charge);
    let outcome: ChargeOutcome = "failed";
    try {
      const value = await work(account);
      outcome = "ok";
      deps.pool.note(account, "ok");
      return { value, account, charge };
    } catch (error) {
      if (!(error instanceof JimengError)) throw error;
      if (error.kind === "session_expired") {
        outcome = "free";
        deps.pool.note(account, "expired");
        exclude.add(account.key);
        deps.log.warn(
          `Jimeng session expired${nextAccount(deps, accounts, regions, exclude)}`,
          { account: account.label },
        );
        continue;
      }
      if (error.kind === "proxy_error") {
        // The request may not even have left: another account (another egress) may serve it.
        outcome = "free";
        deps.log.warn("The Jimeng account's proxy failed; trying the next account", {
          account: account.label,
          error: error.message,
        });
        deps.pool.note(account, "proxy_error", error.message);
        exclude.add(account.key);
        continue;
      }
      if (error.kind !== "insufficient_credits") throw error;
      outcome = "free";
      // The cached balance was wrong; what is left is less than the task costs.
      if (account.credits) account.credits = { ...account.credits, total: 0 };
      deps.ledger?.dry(account);
      if (await claimDaily(deps, account, signal)) continue;
      deps.pool.note(account, "no_credits");
      exclude.add(account.key);
      deps.log.warn(
        `Jimeng account has no credits${nextAccount(deps, accounts, regions, exclude)}`,
        { account: account.label },
      );
    } finally {
      account.inFlight--;
      if (charge) deps.ledger!.end(charge, outcome);
      deps.afterAttempt?.(account);
    }
  }
}

/** "; trying the next account" when there is one left to try, else nothing. */
function nextAccount(
  deps: FailoverDeps,
  accounts: readonly Account[],
  regions: readonly Region[],
  exclude: ReadonlySet<string>,
): string {
  return deps.pool.pick(accounts, { regions, exclude }) ? "; trying the next account" : "";
}

/** Claims the day's free credits once; true when credits were added. */
async function claimDaily(
  deps: FailoverDeps,
  account: Account,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const claim = await claimDailyCredits(deps, account, { signal });
    return claim !== null && claim.received > 0;
  } catch (error) {
    deps.log.warn("Daily credit claim failed", { account: account.label, error });
    return false;
  }
}

/**
 * Credits spent per generation, measured as the account's balance before
 * minus its balance after, without extra upstream calls on the request path:
 * "before" is the cached balance when a task starts, "after" is the next
 * background refresh (see `credits.ts`) that began once no task was running
 * on the account.
 *
 * Tasks that overlap on one account form an epoch and share its drop in
 * balance (equally among the tasks that succeeded), so the recorded credits
 * always add up to what the account lost. Under constant load an epoch is
 * closed after `maxEpochMs` with the best reading available.
 * @module
 */
import type { CreditClaim, Credits } from "../jimeng/account.ts";
import type { Account } from "./pool.ts";

/** How a task ended. */
export type ChargeOutcome =
  /** It produced a result: it cost credits. */
  | "ok"
  /** It failed after it may have reached the upstream: it may have cost credits. */
  | "failed"
  /** The upstream refused it for lack of credits or an expired session: it cost nothing. */
  | "free";

/** One task's share of an account's credits. */
export interface Charge {
  readonly account: Account;
  /** Credits spent, once settled; `null` when the balance before was unknown. */
  spent: number | null;
  /** The account's balance after, once settled. */
  remaining: number | null;
  settled: boolean;
  /** Resolves when the charge is settled. */
  readonly done: Promise<void>;
}

/** A balance read in progress. */
export interface BalanceRead {
  account: Account;
  /** No task was running on the account when the read started. */
  quiet: boolean;
  /** Charges that had ended when the read started. */
  ended: readonly Charge[];
}

/** The ledger. */
export interface CreditLedger {
  /** A task starts on `account`. */
  begin(account: Account): Charge;
  /** The task ended. */
  end(charge: Charge, outcome: ChargeOutcome): void;
  /** The upstream refused work for lack of credits: the cached balance is not to be trusted. */
  dry(account: Account): void;
  /** Free credits were added to the account. */
  credited(account: Account, claim: CreditClaim): void;
  /** A balance read of `account` starts. */
  readStarted(account: Account): BalanceRead;
  /** That read returned `credits`. */
  readLanded(read: BalanceRead, credits: Credits): void;
  /** Charges not settled yet (for tests and metrics). */
  pending(): number;
}

/** Options of {@linkcode createCreditLedger}. */
export interface CreditLedgerOptions {
  now?: () => number;
  /** Longest an epoch waits for a quiet reading. @default 5 min */
  maxEpochMs?: number;
}

interface InternalCharge extends Charge {
  outcome: ChargeOutcome | null;
  resolve(): void;
}

interface Epoch {
  /** Balance before the epoch's first task; `null` = unknown. */
  base: number | null;
  openedAt: number;
  running: Set<InternalCharge>;
  ended: InternalCharge[];
}

/** Creates the ledger. */
export function createCreditLedger(options: CreditLedgerOptions = {}): CreditLedger {
  const now = options.now ?? Date.now;
  const maxEpochMs = options.maxEpochMs ?? 5 * 60_000;
  const epochs = new Map<string, Epoch>();
  let unsettled = 0;

  function settle(charge: InternalCharge, spent: number | null, remaining: number | null): void {
    if (charge.settled) return;
    charge.spent = spent;
    charge.remaining = remaining;
    charge.settled = true;
    unsettled--;
    charge.resolve();
  }

  function dropIfIdle(key: string, epoch: Epoch): void {
    if (epoch.running.size === 0 && epoch.ended.length === 0) epochs.delete(key);
  }

  /** Shares `base - after` among `charges`: equally among the successful ones, else all. */
  function distribute(charges: InternalCharge[], base: number | null, after: number): void {
    if (base === null) {
      for (const charge of charges) settle(charge, null, after);
      return;
    }
    const drop = Math.max(0, base - after);
    const paying = charges.filter((c) => c.outcome === "ok");
    const payers = paying.length > 0 ? paying : charges;
    const share = Math.floor(drop / payers.length);
    let rest = drop - share * payers.length;
    for (const charge of charges) {
      if (!payers.includes(charge)) {
        settle(charge, 0, after);
        continue;
      }
      const extra = rest > 0 ? 1 : 0;
      rest -= extra;
      settle(charge, share + extra, after);
    }
  }

  return {
    begin(account) {
      let epoch = epochs.get(account.key);
      if (!epoch) {
        epoch = {
          base: account.credits?.total ?? null,
          openedAt: now(),
          running: new Set(),
          ended: [],
        };
        epochs.set(account.key, epoch);
      }
      const { promise, resolve } = Promise.withResolvers<void>();
      const charge: InternalCharge = {
        account,
        spent: null,
        remaining: null,
        settled: false,
        done: promise,
        outcome: null,
        resolve,
      };
      epoch.running.add(charge);
      unsettled++;
      return charge;
    },
    end(publicCharge, outcome) {
      const charge = publicCharge as InternalCharge;
      const epoch = epochs.get(charge.account.key);
      if (!epoch || !epoch.running.delete(charge)) return;
      charge.outcome = outcome;
      if (outcome === "free") settle(charge, 0, null);
      else epoch.ended.push(charge);
      dropIfIdle(charge.account.key, epoch);
    },
    dry(account) {
      const epoch = epochs.get(account.key);
      if (epoch) epoch.base = null;
    },
    credited(account, claim) {
      const epoch = epochs.get(account.key);
      if (!epoch) return;
      if (claim.total !== undefined) epoch.base = claim.total;
      else if (epoch.base !== null) epoch.base += claim.received;
    },
    readStarted(account) {
      const epoch = epochs.get(account.key);
      return {
        account,
        quiet: !epoch || epoch.running.size === 0,
        ended: epoch ? [...epoch.ended] : [],
      };
    },
    readLanded(read, credits) {
      const key = read.account.key;
      const epoch = epochs.get(key);
      if (!epoch) return;
      const closing = (read.ended as InternalCharge[]).filter((c) =>
        !c.settled && epoch.ended.includes(c)
      );
      if (closing.length === 0) return;
      if (!read.quiet && now() - epoch.openedAt < maxEpochMs) return;
      distribute(closing, epoch.base, credits.total);
      epoch.ended = epoch.ended.filter((c) => !c.settled);
      epoch.base = credits.total;
      epoch.openedAt = now();
      dropIfIdle(key, epoch);
    },
    pending: () => unsettled,
  };
}

/**
 * Keeps account balances fresh without adding upstream calls to the request
 * path: after a generation the balance is re-read in the background, at most
 * once per account per interval (a trailing refresh catches the rest).
 * @module
 */
import type { Credits } from "../jimeng/account.ts";
import type { JimengClient } from "../jimeng/client.ts";
import type { Logger } from "../log.ts";
import type { CreditLedger } from "./ledger.ts";
import type { Account } from "./pool.ts";

/** Options of {@linkcode createCreditRefresher}. */
export interface CreditRefresherOptions {
  client: JimengClient;
  log: Logger;
  now?: () => number;
  /** Minimum time between two reads of one account. @default 2000 */
  minIntervalMs?: number;
  /** Told about every read, to settle the credits of finished generations. */
  ledger?: CreditLedger;
  /** Called with every balance read. */
  onCredits?: (account: Account, credits: Credits) => void;
}

/** The refresher. */
export interface CreditRefresher {
  /** Schedules a background refresh. */
  refreshSoon(account: Account): void;
  /** Reads the balance now. */
  refreshNow(account: Account, signal?: AbortSignal): Promise<Credits>;
  /**
   * Reads the balance of an account whose balance is unknown, once: callers
   * at the same time share one read. Failures are logged, not thrown.
   */
  know(account: Account, signal?: AbortSignal): Promise<void>;
  /** Resolves when no refresh is pending (for tests and shutdown). */
  idle(): Promise<void>;
  close(): void;
}

/** Creates the refresher. */
export function createCreditRefresher(options: CreditRefresherOptions): CreditRefresher {
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 2000;
  const lastRead = new Map<string, number>();
  const running = new Map<string, Promise<unknown>>();
  const trailing = new Map<string, ReturnType<typeof setTimeout>>();
  const first = new Map<string, Promise<void>>();
  let closed = false;

  async function refreshNow(
    account: Account,
    signal?: AbortSignal,
    retry = true,
  ): Promise<Credits> {
    lastRead.set(account.key, now());
    const read = options.ledger?.readStarted(account);
    const credits = await options.client.getCredits(account.session, signal, { retry });
    account.credits = credits;
    account.creditsAt = now();
    if (read) options.ledger!.readLanded(read, credits);
    options.onCredits?.(account, credits);
    return credits;
  }

  function start(account: Account): void {
    const task = refreshNow(account)
      .catch((error) =>
        options.log.debug("Credit refresh failed", { account: account.label, error })
      )
      .finally(() => running.delete(account.key));
    running.set(account.key, task);
  }

  return {
    refreshSoon(account) {
      if (closed || account.expired || trailing.has(account.key)) return;
      const wait = (lastRead.get(account.key) ?? -Infinity) + minInterval - now();
      if (wait <= 0 && !running.has(account.key)) return start(account);
      const timer = setTimeout(() => {
        trailing.delete(account.key);
        if (!closed) start(account);
      }, Math.max(wait, 50));
      trailing.set(account.key, timer);
    },
    refreshNow,
    async know(account, signal) {
      if (account.credits !== null) return;
      let read = first.get(account.key);
      if (!read) {
        // One attempt: the generation waits for it, and a balance is bookkeeping.
        read = refreshNow(account, undefined, false)
          .then(() => {}, (error) =>
            options.log.debug("Could not read a new account's balance", {
              account: account.label,
              error,
            }))
          .finally(() => first.delete(account.key));
        first.set(account.key, read);
      }
      if (!signal) return await read;
      // The read goes on for the others; this caller stops waiting.
      const stop = Promise.withResolvers<void>();
      const onAbort = () => stop.resolve();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await Promise.race([read, stop.promise]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
    async idle() {
      while (running.size > 0 || trailing.size > 0) {
        await Promise.all([...running.values()]);
        if (trailing.size > 0) await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      closed = true;
      for (const timer of trailing.values()) clearTimeout(timer);
      trailing.clear();
    },
  };
}

/**
 * Background care of the stored accounts: the daily free-credit claim for
 * every account once per day (at start, then at each day boundary of the
 * claim time zone) and a periodic liveness and credit check. Time and timers
 * are injected, so tests drive it with a virtual clock.
 * @module
 */
import { nextDayStart } from "../days.ts";
import type { Logger } from "../log.ts";
import type { Account } from "./pool.ts";

/** What the scheduler needs. */
export interface SchedulerDeps {
  /** The accounts to look after (disabled ones are skipped). */
  accounts: () => readonly Account[];
  /** Claims an account's daily credits if not claimed today. */
  claim: (account: Account, signal: AbortSignal) => Promise<unknown>;
  /** Checks liveness and credits, recording the result. */
  check: (account: Account, signal: AbortSignal) => Promise<void>;
  log: Logger;
  now: () => number;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  setTimer: (fn: () => void, ms: number) => () => void;
}

/** Options of {@linkcode startAccountScheduler}. */
export interface SchedulerOptions {
  /** IANA zone whose day boundaries trigger the claim. */
  timeZone: string;
  /** Whether to claim daily credits at all. */
  dailyClaim: boolean;
  /** Interval of liveness checks; 0 = none. */
  checkIntervalMs: number;
  /** Delay after midnight before claiming (the upstream's day may turn a little late). @default 60 s */
  claimDelayMs?: number;
}

/** A running scheduler. */
export interface AccountScheduler {
  /** Runs the daily claim (when on) and a check for newly added accounts, in the background. */
  adopt(accounts: readonly Account[]): void;
  /** Resolves when the current round (if any) is finished. */
  idle(): Promise<void>;
  /** Cancels timers and aborts a running round; resolves once it stopped. */
  close(): Promise<void>;
}

/** Starts the scheduler: a claim round and a check round right away, then on their timers. */
export function startAccountScheduler(
  deps: SchedulerDeps,
  options: SchedulerOptions,
): AccountScheduler {
  const abort = new AbortController();
  const claimDelay = options.claimDelayMs ?? 60_000;
  const cancels = new Set<() => void>();
  let chain: Promise<void> = Promise.resolve();

  /** Runs rounds one after the other so the upstream never sees two at once. */
  function enqueue(round: () => Promise<void>): void {
    chain = chain.then(() => (abort.signal.aborted ? undefined : round()));
  }

  function schedule(fn: () => void, ms: number): void {
    const cancel = deps.setTimer(() => {
      cancels.delete(cancel);
      if (!abort.signal.aborted) fn();
    }, ms);
    cancels.add(cancel);
  }

  async function eachAccount(
    what: string,
    run: (account: Account, signal: AbortSignal) => Promise<unknown>,
    accounts: readonly Account[] = deps.accounts(),
  ): Promise<void> {
    for (const account of accounts) {
      if (abort.signal.aborted) return;
      if (account.disabled) continue;
      try {
        await run(account, abort.signal);
      } catch (error) {
        if (abort.signal.aborted) return;
        deps.log.warn(`Scheduled ${what} failed`, { account: account.label, error });
      }
    }
  }

  const claimUnlessExpired = (account: Account, signal: AbortSignal) =>
    account.expired ? Promise.resolve() : deps.claim(account, signal);

  function claimRound(): void {
    enqueue(() => eachAccount("daily claim", claimUnlessExpired));
    const now = deps.now();
    schedule(claimRound, nextDayStart(now, options.timeZone) + claimDelay - now);
  }

  function checkRound(): void {
    enqueue(() => eachAccount("account check", deps.check));
    schedule(checkRound, options.checkIntervalMs);
  }

  if (options.dailyClaim) claimRound();
  if (options.checkIntervalMs > 0) checkRound();

  return {
    adopt(accounts) {
      const list = [...accounts];
      if (options.dailyClaim) enqueue(() => eachAccount("daily claim", claimUnlessExpired, list));
      enqueue(() => eachAccount("account check", deps.check, list));
    },
    idle: () => chain,
    async close() {
      abort.abort();
      for (const cancel of cancels) cancel();
      cancels.clear();
      await chain;
    },
  };
}

/**
 * The daily free-credit claim: at most one successful claim per account per
 * day of the claim time zone, whether the scheduler, the failover (an
 * account that ran dry) or the operator asks.
 * @module
 */
import type { CreditClaim, Credits } from "../jimeng/account.ts";
import type { JimengClient } from "../jimeng/client.ts";
import { dayOf } from "../days.ts";
import type { Logger } from "../log.ts";
import type { Account } from "./pool.ts";

/** What a claim needs. */
export interface ClaimDeps {
  client: JimengClient;
  log: Logger;
  now: () => number;
  /** IANA zone of the claim day. @default "Asia/Shanghai" */
  timeZone?: string;
  /** Called after every claim the upstream answered (for persistence and the ledger). */
  onClaimed?: (account: Account, claim: CreditClaim) => void;
}

/** Options of {@linkcode claimDailyCredits}. */
export interface ClaimOptions {
  /** Claim even if a claim was made today (the operator's "claim now"). */
  force?: boolean;
  signal?: AbortSignal;
}

/**
 * Claims the day's free credits for `account` unless it already did today.
 *
 * @returns the claim, or `null` when it was skipped (already claimed today)
 * @throws {JimengError} when the upstream refuses the claim (the day is then
 * not marked, so a later attempt may try again)
 */
export async function claimDailyCredits(
  deps: ClaimDeps,
  account: Account,
  options: ClaimOptions = {},
): Promise<CreditClaim | null> {
  const timeZone = deps.timeZone ?? "Asia/Shanghai";
  const today = dayOf(deps.now(), timeZone);
  if (!options.force && account.claimedDay === today) return null;
  const claim = await deps.client.receiveDailyCredits(account.session, options.signal);
  account.credits = creditsAfterClaim(account.credits, claim);
  account.claimedDay = today;
  account.lastClaimAt = deps.now();
  account.lastClaimReceived = claim.received;
  deps.log.info("Claimed daily free credits", {
    account: account.label,
    received: claim.received,
  });
  deps.onClaimed?.(account, claim);
  return claim;
}

/** The cached balance after a claim: the upstream's total when it says, else plus what came in. */
export function creditsAfterClaim(before: Credits | null, claim: CreditClaim): Credits | null {
  if (claim.total !== undefined) {
    const purchase = before?.purchase ?? 0;
    const vip = before?.vip ?? 0;
    return { gift: Math.max(0, claim.total - purchase - vip), purchase, vip, total: claim.total };
  }
  if (before === null) return null;
  return { ...before, gift: before.gift + claim.received, total: before.total + claim.received };
}

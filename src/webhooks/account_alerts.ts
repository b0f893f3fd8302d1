/**
 * Operator alerts about stored accounts, sent as webhooks:
 * `jimeng.account.expired` when an account's session is found expired, and
 * `jimeng.account.low_credits` when its credits fall below the threshold
 * (`WEBHOOK_LOW_CREDITS`). Each fires once per change: an account must
 * recover (be renewed, or get credits above the threshold) before it alerts
 * again. The state at start comes from the store, so a restart does not
 * repeat an alert already sent.
 * @module
 */
import type { Account } from "../accounts/pool.ts";
import type { WebhookOutbox } from "./outbox.ts";

/** What the alerts need. */
export interface AccountAlertDeps {
  emit: WebhookOutbox["emit"];
  /** Credits below which an account is low; 0 = never. */
  threshold: () => number;
}

/** The alerts. */
export interface AccountAlerts {
  /** Takes the accounts' current state as known (at start): no alert for it. */
  seed(accounts: readonly Account[]): void;
  /** Looks at an account after a change and alerts on a new problem. */
  observe(account: Account): void;
}

interface Known {
  expired: boolean;
  low: boolean;
}

function isLow(account: Account, threshold: number): boolean {
  return threshold > 0 && account.credits !== null && account.credits.total < threshold;
}

/** Creates the alerts. */
export function createAccountAlerts(deps: AccountAlertDeps): AccountAlerts {
  const known = new Map<string, Known>();
  return {
    seed(accounts) {
      const threshold = deps.threshold();
      for (const account of accounts) {
        known.set(account.key, { expired: account.expired, low: isLow(account, threshold) });
      }
    },
    observe(account) {
      if (account.source !== "stored" || account.id === null) return;
      const threshold = deps.threshold();
      const before = known.get(account.key) ?? { expired: false, low: false };
      const now = { expired: account.expired, low: isLow(account, threshold) };
      known.set(account.key, now);
      const data = {
        id: String(account.id),
        label: account.label,
        region: account.session.region,
      };
      if (now.expired && !before.expired) deps.emit("jimeng.account.expired", data);
      if (now.low && !before.low) {
        deps.emit("jimeng.account.low_credits", {
          ...data,
          credits: account.credits!.total,
          threshold,
        });
      }
    },
  };
}

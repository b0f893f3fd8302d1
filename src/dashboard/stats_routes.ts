/**
 * The console's statistics, read from the hourly rollup of requests (so they
 * stay fast over millions of rows).
 *
 * | Method | Path                              | Answer |
 * |--------|-----------------------------------|--------|
 * | GET    | /api/admin/stats?range=24h\|30d   | `{range, totals, series, byModel, byKey, byAccount}` |
 *
 * Statistics are about generations (requests that create work; reads and refused calls are
 * only in `/metrics`). `totals` = `{requestsToday, requestsTotal, errorsInRange, successRate
 * (0..1 or null), creditsSpentToday, creditsSpentTotal, creditsRemaining, storedAccounts,
 * accountsNote}`: `creditsRemaining` is the sum over stored accounts whose balance is known,
 * `null` when there is no stored account (then `accountsNote` is "no stored accounts");
 * a request whose client went away counts as a request, not an error; `series` = `[{t, requests, errors,
 * credits}]` (hourly for 24 h, daily for 30 d; `t` is the bucket's start, Unix ms);
 * `byModel` = `[{model, requests, errors, credits, latencyMs}]`; `byKey` = `[{keyId, name,
 * requests, errors, credits}]` (`keyId: null` = sessionid callers); `byAccount` = `[{accountKey,
 * label, name, requests, errors, credits}]`.
 * @module
 */
import { Hono } from "hono";
import type { AccountManager } from "../accounts/manager.ts";
import { badRequest } from "../api/errors.ts";
import { startOfDay } from "../days.ts";
import { listApiKeys } from "../store/api_keys.ts";
import type { Db } from "../store/db.ts";
import { usageBy, usageSeries, usageTotal } from "../store/request_hours.ts";
import type { AdminEnv } from "./auth.ts";

/** What the statistics need. */
export interface StatsRouteDeps {
  db: Db;
  accounts: AccountManager;
  now: () => number;
  /** Whose calendar "today" follows. */
  timeZone: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The span and bucket size of a range, ending now. */
export function rangeSpan(
  range: "24h" | "30d",
  now: number,
  timeZone: string,
): { since: number; bucketMs: number } {
  if (range === "24h") {
    return { since: Math.floor(now / HOUR) * HOUR - 23 * HOUR, bucketMs: HOUR };
  }
  return { since: startOfDay(now, timeZone) - 29 * DAY, bucketMs: DAY };
}

/** The statistics router. */
export function statsRoutes(deps: StatsRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.get("/stats", (c) => {
    const range = c.req.query("range") ?? "24h";
    if (range !== "24h" && range !== "30d") {
      throw badRequest("range", "'range' must be 24h or 30d");
    }
    const now = deps.now();
    const { since, bucketMs } = rangeSpan(range, now, deps.timeZone);
    const today = usageTotal(deps.db, startOfDay(now, deps.timeZone));
    const total = usageTotal(deps.db, 0);
    const inRange = usageTotal(deps.db, since);
    const accounts = deps.accounts.list();
    const creditsRemaining = accounts.length === 0
      ? null
      : accounts.reduce((sum, a) => sum + (a.credits?.total ?? 0), 0);
    const keyNames = new Map(listApiKeys(deps.db).map((key) => [key.id, key.name]));
    const labels = new Map(accounts.map((account) => [account.key, account]));
    return c.json({
      range,
      totals: {
        requestsToday: today.requests,
        requestsTotal: total.requests,
        errorsInRange: inRange.errors,
        successRate: inRange.requests === 0
          ? null
          : (inRange.requests - inRange.errors) / inRange.requests,
        creditsSpentToday: today.credits,
        creditsSpentTotal: total.credits,
        creditsRemaining,
        storedAccounts: accounts.length,
        accountsNote: accounts.length === 0 ? "no stored accounts" : null,
      },
      series: usageSeries(deps.db, since, now, bucketMs),
      byModel: usageBy(deps.db, "model", since).map((row) => ({
        model: row.group ?? "(none)",
        requests: row.requests,
        errors: row.errors,
        credits: row.credits,
        latencyMs: row.latencyMs,
      })),
      byKey: usageBy(deps.db, "api_key_id", since).map((row) => ({
        keyId: row.group,
        name: row.group === null
          ? "sessionid callers"
          : keyNames.get(row.group as number) ?? `key #${row.group}`,
        requests: row.requests,
        errors: row.errors,
        credits: row.credits,
      })),
      byAccount: usageBy(deps.db, "account_key", since).map((row) => ({
        accountKey: row.group,
        label: row.group === null
          ? "(none)"
          : labels.get(row.group as string)?.label ?? "(not stored)",
        name: row.group === null ? null : labels.get(row.group as string)?.name ?? null,
        requests: row.requests,
        errors: row.errors,
        credits: row.credits,
      })),
    });
  });

  return app;
}

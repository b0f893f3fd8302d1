/**
 * Retention of the usage log and the stored log (`REQUESTS_KEEP_DAYS`):
 * rows older than the limit are deleted shortly after start and then every
 * hour, in small batches (an index range each), so a run never holds the
 * database for long. Statistics keep their totals: the hourly rollup does
 * not follow deletions.
 * @module
 */
import type { Logger } from "./log.ts";
import type { Db } from "./store/db.ts";
import { pruneLogs } from "./store/logs.ts";
import { pruneRequests } from "./store/requests.ts";

/** What the retention needs. */
export interface RetentionDeps {
  db: Db;
  log: Logger;
  now: () => number;
  keepDays: number;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  setTimer: (fn: () => void, ms: number) => () => void;
  /** Time between runs. @default 1 h */
  intervalMs?: number;
  /** Delay of the first run after start. @default 1 min */
  firstRunMs?: number;
  /** Rows deleted per statement. @default 2000 */
  batch?: number;
  /** Batches per table and run; the next run goes on. @default 50 */
  maxBatches?: number;
}

/** A running retention. */
export interface Retention {
  /** Prunes now; returns the rows deleted per table. */
  run(): { requests: number; logs: number };
  close(): void;
}

const DAY_MS = 86_400_000;

/** Starts the retention schedule. */
export function startRetention(deps: RetentionDeps): Retention {
  const interval = deps.intervalMs ?? 3_600_000;
  const batch = deps.batch ?? 2000;
  const maxBatches = deps.maxBatches ?? 50;
  let cancel: (() => void) | null = null;
  let closed = false;

  function prune(table: (db: Db, cutoff: number, batch: number) => number, cutoff: number) {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const deleted = table(deps.db, cutoff, batch);
      total += deleted;
      if (deleted < batch) break;
    }
    return total;
  }

  function run(): { requests: number; logs: number } {
    const cutoff = deps.now() - deps.keepDays * DAY_MS;
    const requests = prune(pruneRequests, cutoff);
    const logs = prune(pruneLogs, cutoff);
    if (requests > 0 || logs > 0) {
      deps.log.debug("Deleted usage and log records past REQUESTS_KEEP_DAYS", {
        requests,
        logs,
        keepDays: deps.keepDays,
      });
    }
    return { requests, logs };
  }

  function schedule(ms: number): void {
    if (closed) return;
    cancel = deps.setTimer(() => {
      try {
        run();
      } catch (error) {
        deps.log.warn("Deleting old usage and log records failed", { error });
      }
      schedule(interval);
    }, ms);
  }

  schedule(deps.firstRunMs ?? 60_000);
  return {
    run,
    close() {
      closed = true;
      cancel?.();
    },
  };
}

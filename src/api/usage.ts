/**
 * Usage recording: every generation request — a call that creates work,
 * after authentication — leaves one row (route, model, kind, outcome, API
 * key, account, credits, latency, upstream record ids). Reads and calls
 * refused before authentication are not rows; `/metrics` counts them.
 *
 * Handlers fill in what they learn; streams report when they end. The
 * credits are known only when the account's balance has been re-read in the
 * background, so the row is completed then, off the request path. Until
 * then the credits a key's quota reserved for the request count instead.
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import type { Charge } from "../accounts/ledger.ts";
import type { Account } from "../accounts/pool.ts";
import type { JobOutcome } from "../jobs/runner.ts";
import { redact } from "../redact.ts";
import type { RequestRecord, RequestStatus } from "../store/requests.ts";
import type { Reservation } from "./api_keys.ts";
import { isCreation } from "./creations.ts";
import type { CreditEstimate } from "./credit_estimate.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { failureOf } from "./errors.ts";

/** One upstream task of a request. */
export interface UsageTask {
  historyId: string;
  account: Account;
  /** Its credits (see `src/accounts/ledger.ts`). */
  charge?: Charge;
}

/** What a handler tells the recorder. */
export interface Usage {
  model: string | null;
  kind: RequestRecord["kind"];
  n: number;
  /** A video's length. */
  seconds?: number;
  /** Upstream tasks that produced a result. */
  tasks: UsageTask[];
  /** Every upstream attempt's credits, failed ones included. */
  charges: Charge[];
  /** The issued key that made the request, set by authentication. */
  apiKeyId: number | null;
  /** What the request may cost, when it got that far. */
  estimate?: CreditEstimate;
  /** The credits the key's quota holds for it. */
  reservation?: Reservation;
  /**
   * For streamed answers: settles when the stream ends, with the error that
   * ended it if any. The row is written then.
   */
  stream?: Promise<unknown>;
  /** For requests that started a job: its outcome, whose credits complete the row. */
  job?: Promise<JobOutcome | undefined>;
}

/** A new, empty usage. */
export function newUsage(): Usage {
  return { model: null, kind: "other", n: 0, tasks: [], charges: [], apiKeyId: null };
}

/** Adds a charge to a request's usage once (tasks and attempts may report the same one). */
export function noteCharge(usage: Usage, charge: Charge | undefined): void {
  if (charge && !usage.charges.includes(charge)) usage.charges.push(charge);
}

/** Status, HTTP status and error of an answer as recorded. */
function outcomeOf(
  c: Context<ApiEnv>,
  status: number,
  error: unknown,
): { status: RequestStatus; httpStatus: number; code: string | null; message: string | null } {
  if (c.req.raw.signal.aborted) {
    return {
      status: "cancelled",
      httpStatus: 499,
      code: "client_closed",
      message: "The client closed the connection before the answer",
    };
  }
  if (error === undefined && status < 400) {
    return { status: "ok", httpStatus: status, code: null, message: null };
  }
  const apiError = failureOf(c, error);
  return {
    status: "error",
    httpStatus: error !== undefined ? apiError.status : status,
    code: error !== undefined ? apiError.code : null,
    message: error !== undefined ? redact(apiError.message) : null,
  };
}

/** Middleware that records a generation request after it is answered. */
export function recordUsage(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function record(c, next) {
    const started = performance.now();
    const createdAt = deps.now();
    const usage = newUsage();
    c.set("usage", usage);
    try {
      await next();
    } finally {
      if (!isCreation(c) || !c.get("auth") || !deps.recordRequest) {
        usage.reservation?.release();
      } else if (usage.stream) {
        usage.stream.then(
          () => write(c, deps, usage, createdAt, started, c.res.status, undefined),
          (error) => write(c, deps, usage, createdAt, started, c.res.status, error),
        );
      } else write(c, deps, usage, createdAt, started, c.res.status, c.error);
    }
  });
}

function write(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  usage: Usage,
  createdAt: number,
  started: number,
  status: number,
  error: unknown,
): void {
  const account = usage.tasks[0]?.account;
  const outcome = outcomeOf(c, status, error);
  const credits = chargedCredits(usage.charges);
  // Nothing reached the upstream and no job will: nothing was spent.
  const nothing = usage.charges.length === 0 && usage.job === undefined;
  try {
    const id = deps.recordRequest!({
      createdAt,
      requestId: c.get("requestId"),
      endpoint: c.req.path,
      model: usage.model,
      kind: usage.kind,
      n: usage.n,
      seconds: usage.seconds ?? null,
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      errorCode: outcome.code,
      errorMessage: outcome.message,
      accountKey: account?.key ?? null,
      accountLabel: account?.label ?? null,
      creditsSpent: nothing ? 0 : credits.spent,
      creditsRemaining: usage.charges.length > 0
        ? credits.remaining
        : account?.credits?.total ?? null,
      creditsReserved: usage.reservation?.credits ?? null,
      latencyMs: Math.round(performance.now() - started),
      historyIds: usage.tasks.length ? usage.tasks.map((t) => t.historyId).join(",") : null,
      apiKeyId: usage.apiKeyId,
    });
    if (typeof id !== "number") return;
    if (usage.job) {
      usage.job.then((job) => {
        if (!job) return;
        const ok = job.account !== null;
        completeLater(deps, id, job.charges, ok ? usage : undefined);
      });
    } else if (!credits.settled) {
      completeLater(deps, id, usage.charges, outcome.status === "ok" ? usage : undefined);
    } else if (outcome.status === "ok" && credits.spent !== null) {
      learn(deps, usage, credits.spent);
    }
  } catch (storeError) {
    deps.log.warn("Could not record the request", { error: storeError });
  } finally {
    // The row holds the reservation now (or could not be written).
    usage.reservation?.release();
  }
}

/** Teaches the estimator what a successful request spent (what it asked for is its estimate's). */
function learn(deps: ApiDeps, usage: Usage, spent: number): void {
  if (usage.estimate) deps.estimator?.learn(usage.estimate, spent);
}

/** Fills in a row's credits once every charge is settled; no charge at all spent nothing. */
function completeLater(
  deps: ApiDeps,
  id: number,
  charges: readonly Charge[],
  succeeded: Usage | undefined,
): void {
  Promise.all(charges.map((c) => c.done)).then(() => {
    const { spent, remaining } = charges.length === 0
      ? { spent: 0, remaining: null }
      : chargedCredits(charges);
    try {
      deps.completeRequestCredits?.(id, spent, remaining);
    } catch (storeError) {
      deps.log.warn("Could not record the request's credits", { error: storeError });
    }
    if (succeeded && spent !== null) learn(deps, succeeded, spent);
  });
}

/**
 * The credits of a request's charges: the sum spent (unknown if any is) and
 * the balance left on the account of the last attempt that read one (the one
 * that served, after a failover). `settled` is false while a balance read is
 * still due.
 */
export function chargedCredits(
  charges: readonly Charge[],
): { spent: number | null; remaining: number | null; settled: boolean } {
  if (charges.length === 0) return { spent: null, remaining: null, settled: true };
  if (charges.some((c) => !c.settled)) return { spent: null, remaining: null, settled: false };
  const spent = charges.some((c) => c.spent === null)
    ? null
    : charges.reduce((sum, c) => sum + c.spent!, 0);
  const remaining = charges.findLast((c) => c.remaining !== null)?.remaining ?? null;
  return { spent, remaining, settled: true };
}

/**
 * Usage recording: every API request leaves one row (endpoint, model, kind,
 * status, API key, account, credits, latency, upstream record ids). Handlers
 * fill in what they learn; streams report when they end. The credits are
 * known only when the account's balance has been re-read in the background,
 * so the row is completed then, off the request path.
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { Charge } from "../accounts/ledger.ts";
import type { Account } from "../accounts/pool.ts";
import type { JobOutcome } from "../jobs/runner.ts";
import type { RequestRecord } from "../store/requests.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { toApiError } from "./errors.ts";

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
  tasks: UsageTask[];
  /** The issued key that made the request, set by authentication. */
  apiKeyId: number | null;
  /**
   * For streamed answers: settles when the stream ends, with the error that
   * ended it if any. The row is written then.
   */
  stream?: Promise<unknown>;
  /** For requests that started a job: its outcome, whose credits complete the row. */
  job?: Promise<JobOutcome | undefined>;
}

/** Middleware that records the request after it is answered. */
export function recordUsage(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function record(c, next) {
    const started = performance.now();
    const createdAt = deps.now();
    const usage: Usage = { model: null, kind: "other", n: 0, tasks: [], apiKeyId: null };
    c.set("usage", usage);
    await next();
    const write = (status: number, error: unknown) => {
      if (!deps.recordRequest) return;
      const account = usage.tasks[0]?.account;
      const errorCode = error === undefined ? null : toApiError(error).code;
      const charges = usage.tasks.flatMap((t) => (t.charge ? [t.charge] : []));
      const credits = chargedCredits(charges);
      try {
        const id = deps.recordRequest({
          createdAt,
          requestId: c.get("requestId"),
          endpoint: c.req.path,
          model: usage.model,
          kind: usage.kind,
          n: usage.n,
          status: status < 400 && error === undefined ? "ok" : "error",
          httpStatus: error !== undefined && status < 400 ? toApiError(error).status : status,
          errorCode,
          accountKey: account?.key ?? null,
          accountLabel: account?.label ?? null,
          creditsSpent: credits.spent,
          creditsRemaining: charges.length > 0
            ? credits.remaining
            : account?.credits?.total ?? null,
          latencyMs: Math.round(performance.now() - started),
          historyIds: usage.tasks.length ? usage.tasks.map((t) => t.historyId).join(",") : null,
          apiKeyId: usage.apiKeyId,
        });
        if (typeof id !== "number") return;
        if (!credits.settled) completeLater(id, charges);
        usage.job?.then((outcome) => {
          if (outcome?.charge) completeLater(id, [outcome.charge]);
        });
      } catch (storeError) {
        deps.log.warn("Could not record the request", { error: storeError });
      }
    };
    const completeLater = (id: number, charges: Charge[]) => {
      Promise.all(charges.map((c) => c.done)).then(() => {
        const { spent, remaining } = chargedCredits(charges);
        try {
          deps.completeRequestCredits?.(id, spent, remaining);
        } catch (storeError) {
          deps.log.warn("Could not record the request's credits", { error: storeError });
        }
      });
    };
    if (usage.stream) {
      usage.stream.then(
        () => write(c.res.status, undefined),
        (error) => write(c.res.status, error),
      );
    } else write(c.res.status, c.error);
  });
}

/**
 * The credits of a request's tasks: the sum spent (unknown if any is) and the
 * balance left on the first task's account. `settled` is false while a
 * balance read is still due.
 */
export function chargedCredits(
  charges: readonly Charge[],
): { spent: number | null; remaining: number | null; settled: boolean } {
  if (charges.length === 0) return { spent: null, remaining: null, settled: true };
  if (charges.some((c) => !c.settled)) return { spent: null, remaining: null, settled: false };
  const spent = charges.some((c) => c.spent === null)
    ? null
    : charges.reduce((sum, c) => sum + c.spent!, 0);
  return { spent, remaining: charges[0].remaining, settled: true };
}

/**
 * Usage recording: every API request leaves one row (endpoint, model, kind,
 * status, account, latency, upstream record ids). Handlers fill in what they
 * learn; streams report when they end.
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { Account } from "../accounts/pool.ts";
import type { RequestRecord } from "../store/requests.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { toApiError } from "./errors.ts";

/** One upstream task of a request. */
export interface UsageTask {
  historyId: string;
  account: Account;
}

/** What a handler tells the recorder. */
export interface Usage {
  model: string | null;
  kind: RequestRecord["kind"];
  n: number;
  tasks: UsageTask[];
  /**
   * For streamed answers: settles when the stream ends, with the error that
   * ended it if any. The row is written then.
   */
  stream?: Promise<unknown>;
}

/** Middleware that records the request after it is answered. */
export function recordUsage(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function record(c, next) {
    const started = performance.now();
    const createdAt = deps.now();
    const usage: Usage = { model: null, kind: "other", n: 0, tasks: [] };
    c.set("usage", usage);
    await next();
    const write = (status: number, error: unknown) => {
      if (!deps.recordRequest) return;
      const account = usage.tasks[0]?.account;
      const errorCode = error === undefined ? null : toApiError(error).code;
      try {
        deps.recordRequest({
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
          creditsSpent: null,
          creditsRemaining: account?.credits?.total ?? null,
          latencyMs: Math.round(performance.now() - started),
          historyIds: usage.tasks.length ? usage.tasks.map((t) => t.historyId).join(",") : null,
        });
      } catch (storeError) {
        deps.log.warn("Could not record the request", { error: storeError });
      }
    };
    if (usage.stream) {
      usage.stream.then(
        () => write(c.res.status, undefined),
        (error) => write(c.res.status, error),
      );
    } else write(c.res.status, c.error);
  });
}

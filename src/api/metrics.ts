/**
 * `GET /metrics` in the Prometheus text format, guarded by `METRICS_TOKEN`
 * when set (`Authorization: Bearer <token>` or `?token=<token>`). Without a
 * token it is open to anyone who reaches the server, so it then serves only
 * aggregate series: nothing per account (masked labels, balances).
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/registry.ts";
import { parseBearer } from "./auth.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { isCreation } from "./creations.ts";
import { lazilyMatchedRoutes } from "./lazy_routes.ts";
import { ApiError, CLIENT_CLOSED_STATUS, failureOf } from "./errors.ts";

/** Compares two secrets in time independent of where they differ. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The metrics route. */
export function metricsRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get("/metrics", (c) => {
    const expected = deps.config.metricsToken;
    if (expected !== null) {
      const given = parseBearer(c.req.header("authorization"))[0] ?? c.req.query("token");
      if (given === undefined || !sameSecret(given, expected)) {
        throw new ApiError(
          401,
          "GET /metrics needs the METRICS_TOKEN: send 'Authorization: Bearer <token>' or '?token=<token>'",
          "authentication_error",
          "invalid_metrics_token",
        );
      }
    }
    return c.body(deps.metrics.render({ perAccount: expected !== null }), 200, {
      "Content-Type": EXPOSITION_CONTENT_TYPE,
      "Cache-Control": "no-store",
    });
  });

  return app;
}

/**
 * The route pattern that answered (never the raw path, to bound label values),
 * also when a lazily loaded application answered.
 */
export function routeLabel(c: Context): string {
  const routes = [...matchedRoutes(c), ...lazilyMatchedRoutes(c.req.raw)];
  for (let i = routes.length - 1; i >= 0; i--) {
    if (routes[i].method !== "ALL") return routes[i].path;
  }
  return "unmatched";
}

/** Middleware that counts and times every request (streams: until they end). */
export function measureRequests(deps: ApiDeps) {
  return createMiddleware<ApiEnv>(async function measure(c, next) {
    const started = performance.now();
    deps.metrics.requestStarted();
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      const auth = c.get("auth");
      if (auth) deps.metrics.noteAccounts(auth.accounts);
      if (c.req.path.startsWith("/v1/")) {
        // Without a caller: a public read (the model list) or a call refused before authentication.
        const kind = auth
          ? (isCreation(c) ? "generation" : "read")
          : (status < 400 ? "read" : "refused");
        deps.metrics.apiRequest(kind);
      }
      deps.metrics.requestFinished({
        route: routeLabel(c),
        method: c.req.method,
        model: c.get("usage")?.model ?? null,
        // A client that went away is not a server error.
        status: c.req.raw.signal.aborted ? CLIENT_CLOSED_STATUS : status,
        seconds: (performance.now() - started) / 1000,
      });
    };
    try {
      await next();
    } catch (error) {
      finish(failureOf(c, error).status);
      throw error;
    }
    const stream = c.get("usage")?.stream;
    if (stream) {
      stream.then(() => finish(c.res.status), (error) => finish(failureOf(c, error).status));
    } else finish(c.res.status);
  });
}

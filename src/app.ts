/**
 * Builds the HTTP application from its dependencies; used by `main.ts` and
 * by tests. Serving and shutdown live in `main.ts`.
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requireAuth } from "./api/auth.ts";
import { chatRoutes } from "./api/chat.ts";
import type { ApiDeps, ApiEnv } from "./api/deps.ts";
import { ApiError, CLIENT_CLOSED_STATUS, clientClosed, toApiError } from "./api/errors.ts";
import { parseLargeJson } from "./api/fields.ts";
import { guardHosts } from "./api/host_guard.ts";
import { imageRoutes } from "./api/images.ts";
import { mediaRoutes } from "./api/media.ts";
import { measureRequests, metricsRoutes, routeLabel } from "./api/metrics.ts";
import { modelRoutes } from "./api/models.ts";
import { tokenRoutes } from "./api/token.ts";
import { videoRoutes } from "./api/videos.ts";
import { recordUsage } from "./api/usage.ts";
import { lazyRoutes, type OuterAnswers } from "./api/lazy_routes.ts";
import type { AdminDeps } from "./dashboard/admin.ts";
import { CONSOLE_PAGES } from "./dashboard/console_pages.ts";

/**
 * Creates the application; with `admin`, the console's API is mounted at
 * `/api/admin`.
 */
export function createApp(deps: ApiDeps, admin?: AdminDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const maxBytes = deps.config.maxBodyMb * 1048576;

  app.use(async function logRequest(c, next) {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
    const path = c.req.path;
    // The console's own files would drown the log, and its live tail.
    if (path === "/ping" || path.startsWith("/static/") || path.startsWith("/vendor/")) return;
    // Media files, scrapes and the console's own calls are frequent and say little: they
    // stay out of the stored log (debug only).
    const quiet = path === "/metrics" || path.startsWith("/media/") ||
      path.startsWith("/api/admin/") || CONSOLE_PAGES.includes(path);
    // The route pattern, and the raw path (any length a client likes) only cut short.
    const route = routeLabel(c);
    const cut = path.length > 120 ? `${path.slice(0, 120)}…` : path;
    const status = c.req.raw.signal.aborted ? CLIENT_CLOSED_STATUS : c.res.status;
    const shown = route === "unmatched" ? cut : route;
    deps.log[quiet ? "debug" : "info"](`${c.req.method} ${shown} ${status}`, {
      requestId,
      ms: Math.round(performance.now() - started),
      auth: c.get("auth")?.label,
      path: shown === path ? undefined : cut,
    });
  });

  // Also the answers of the parts loaded on first use (`lazyRoutes`).
  const answers: OuterAnswers<ApiEnv> = {
    onError(error, c) {
      if (c.req.raw.signal.aborted) {
        // The client went away: its own outcome, not a server error. Nobody reads this answer.
        deps.log.debug("The client closed the connection before the answer", {
          requestId: c.get("requestId"),
        });
        const closed = clientClosed();
        return c.json(closed.toBody(), closed.status);
      }
      const apiError = toApiError(error);
      if (apiError.code === "internal_error") {
        deps.log.error("Unhandled error", { requestId: c.get("requestId"), error });
      } else if (apiError.code?.startsWith("storage_")) {
        deps.log.error("The database could not be written", {
          requestId: c.get("requestId"),
          error,
        });
      }
      return c.json(apiError.toBody(), apiError.status, apiError.headers);
    },
    notFound(c) {
      const error = new ApiError(
        404,
        `Unknown route ${c.req.method} ${c.req.path}; the API lives under /v1 (e.g. POST /v1/chat/completions)`,
        "invalid_request_error",
        "unknown_route",
      );
      return c.json(error.toBody(), 404);
    },
  };
  app.onError(answers.onError);
  app.notFound(answers.notFound);

  app.use(measureRequests(deps));
  app.use(guardHosts({
    allowedHosts: deps.config.allowedHosts,
    publicBaseUrl: deps.config.publicBaseUrl,
    trustProxy: deps.config.trustProxy,
  }));

  const limitBody = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(
        413,
        `The request body is larger than ${deps.config.maxBodyMb} MiB`,
        "invalid_request_error",
        "request_too_large",
      );
    },
  });
  // A body without a length is read whole and the request replaced by a copy holding its bytes;
  // the copy takes the received request's signal, which also says when the client left.
  const limit: MiddlewareHandler<ApiEnv> = (c, next) => {
    const received = c.req.raw;
    return limitBody(c, () => {
      if (c.req.raw !== received) c.req.raw = new Request(c.req.raw, { signal: received.signal });
      return next();
    });
  };

  app.get("/ping", (c) => c.text("pong"));
  app.route("/", metricsRoutes(deps));
  app.route("/", mediaRoutes(deps));
  // The console's files (~0.3 MB of text, ~1.7 MiB of memory) load with its first request.
  const consoleFiles = lazyRoutes<ApiEnv>(
    async () => (await import("./dashboard/static.ts")).consoleRoutes(),
    answers,
  );
  for (const path of [...CONSOLE_PAGES, "/static/*", "/vendor/*"]) app.get(path, consoleFiles);

  const v1 = new Hono<ApiEnv>();
  v1.use(cors({ origin: "*", exposeHeaders: ["X-Request-Id"], maxAge: 86400 }));
  v1.use(limit);
  v1.route("/", modelRoutes(deps));
  v1.use(recordUsage(deps));
  v1.use(requireAuth(deps));
  // After authentication: only callers who may use the API get their large bodies parsed.
  if (deps.jsonParser) v1.use(parseLargeJson(deps.jsonParser));
  v1.route("/", imageRoutes(deps));
  v1.route("/", chatRoutes(deps));
  v1.route("/", videoRoutes(deps));
  app.route("/v1", v1);

  // MCP tools call the /v1 routes above in-process, with the caller's credentials.
  app.use("/mcp", limit);
  // Its routes and tools load with the first /mcp request (the SDK itself with the first session).
  app.all(
    "/mcp",
    lazyRoutes<ApiEnv>(
      async () =>
        (await import("./mcp/routes.ts")).mcpRoutes(deps, (request) => app.fetch(request)),
      answers,
    ),
  );

  const token = new Hono<ApiEnv>();
  token.use(limit);
  token.route("/", tokenRoutes(deps));
  app.route("/token", token);

  if (admin) {
    app.use("/api/admin/*", limit);
    // The console's API, every router of it, loads with its first call.
    app.all(
      "/api/admin/*",
      lazyRoutes<ApiEnv>(async () => {
        const { adminRoutes } = await import("./dashboard/admin.ts");
        return new Hono<ApiEnv>().route("/api/admin", adminRoutes(admin));
      }, answers),
    );
  }

  return app;
}

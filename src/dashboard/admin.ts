/**
 * The console's JSON API under `/api/admin`. Setup and login are public
 * (same-origin POSTs only); everything else needs a session, and
 * state-changing calls also the same origin and the `X-CSRF-Token` header.
 * The route tables are at the top of `session_routes.ts`,
 * `accounts_routes.ts`, `keys_routes.ts`, `usage_routes.ts` and the other
 * router files. The application imports this module, and with it every
 * router, on the console's first call (`src/api/lazy_routes.ts`).
 * @module
 */
import { type Context, Hono } from "hono";
import type { AccountManager } from "../accounts/manager.ts";
import type { Account } from "../accounts/pool.ts";
import type { KeyGuard } from "../api/api_keys.ts";
import type { Config } from "../config.ts";
import type { Session } from "../jimeng/http.ts";
import type { PageRouting } from "../jimeng/page_routing.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { LogRecorder } from "../logs/recorder.ts";
import type { MediaLibrary } from "../media/library.ts";
import type { ProxySpec } from "../net/proxy.ts";
import type { Logger } from "../log.ts";
import type { RuntimeSettings } from "../runtime_settings.ts";
import type { Db } from "../store/db.ts";
import type { WebhookOutbox } from "../webhooks/outbox.ts";
import { accountRoutes } from "./accounts_routes.ts";
import { type AdminAuth, type AdminEnv, requireAdmin, requireSameOrigin } from "./auth.ts";
import { configRoutes } from "./config_routes.ts";
import { jobAdminRoutes } from "./jobs_routes.ts";
import { keyRoutes } from "./keys_routes.ts";
import { logRoutes } from "./logs_routes.ts";
import { mediaAdminRoutes } from "./media_routes.ts";
import { publicSessionRoutes, sessionRoutes } from "./session_routes.ts";
import { statsRoutes } from "./stats_routes.ts";
import { transportRoutes } from "./transport_routes.ts";
import { usageRoutes } from "./usage_routes.ts";
import { webhookRoutes } from "./webhooks_routes.ts";

/** What the admin API is built from. */
export interface AdminDeps {
  db: Db;
  auth: AdminAuth;
  accounts: AccountManager;
  keys: KeyGuard;
  log: Logger;
  now: () => number;
  /** Whether X-Forwarded-For/-Host describe the client (behind your own proxy). */
  trustProxy: boolean;
  /** The client's address (see `src/net/client_address.ts`). */
  clientAddress: (c: Context) => string;
  /** `PUBLIC_BASE_URL`, for the base URL shown with new API keys. */
  publicBaseUrl?: string | null;
  /** Called with accounts added through the API (first claim and check in the background). */
  onAccountsAdded?: (accounts: Account[]) => void;
  /** The proxy an account's traffic takes (its own or the default); `null` = directly. */
  proxyOf?: (session: Session) => ProxySpec | null;
  config: Config;
  settings: RuntimeSettings;
  /** Whether the database is only in memory because DATA_DIR was unusable. */
  degraded: boolean;
  logs: LogRecorder;
  media: MediaLibrary;
  jobs: JobRunner;
  webhooks: WebhookOutbox;
  page: PageRouting;
  /** Interval of SSE keep-alive comments (the live log). */
  keepAliveMs?: number;
}

/** Paths (under `/api/admin`) that answer without a session. */
export const PUBLIC_ADMIN_ROUTES: readonly string[] = ["GET /setup", "POST /setup", "POST /login"];

/** Builds the admin API, to be mounted at `/api/admin`. */
export function adminRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.use(async function noStore(c, next) {
    await next();
    c.header("Cache-Control", "no-store");
  });

  const sessions = { auth: deps.auth, now: deps.now, clientAddress: deps.clientAddress };
  const open = new Hono<AdminEnv>();
  // Scoped to the public paths: elsewhere a missing session must answer 401 first.
  open.use("/setup", requireSameOrigin(deps.trustProxy));
  open.use("/login", requireSameOrigin(deps.trustProxy));
  open.route("/", publicSessionRoutes(sessions));
  app.route("/", open);

  const guarded = new Hono<AdminEnv>();
  guarded.use(requireAdmin(deps.auth, deps.trustProxy));
  guarded.route("/", sessionRoutes(sessions));
  guarded.route(
    "/",
    accountRoutes({
      accounts: deps.accounts,
      now: deps.now,
      onAdded: deps.onAccountsAdded,
      proxyOf: deps.proxyOf,
    }),
  );
  guarded.route(
    "/",
    keyRoutes({
      db: deps.db,
      keys: deps.keys,
      log: deps.log,
      now: deps.now,
      publicUrl: { publicBaseUrl: deps.publicBaseUrl ?? null, trustProxy: deps.trustProxy },
    }),
  );
  const { db, now, settings } = deps;
  for (
    const routes of [
      statsRoutes({ db, accounts: deps.accounts, now, timeZone: deps.config.claimTimeZone }),
      usageRoutes({ db, now, accounts: deps.accounts }),
      logRoutes({ db, logs: deps.logs, keepAliveMs: deps.keepAliveMs }),
      mediaAdminRoutes({ db, media: deps.media }),
      jobAdminRoutes(deps.jobs),
      configRoutes({ config: deps.config, settings, degraded: deps.degraded }),
      webhookRoutes({ outbox: deps.webhooks, settings }),
      transportRoutes({ page: deps.page, settings }),
    ]
  ) guarded.route("/", routes);
  app.route("/", guarded);
  return app;
}

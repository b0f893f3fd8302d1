/**
 * Wires a running server from a configuration: logger, store, upstream
 * client, account pool and its scheduler, API keys, console authentication,
 * media library, logs, metrics, durable jobs, application, `Deno.serve`. `main.ts` calls it; tests call it in-process
 * with injected effects.
 * @module
 */
import type { Hono } from "hono";
import { createModelCatalogs, type ModelCatalogs } from "./accounts/catalogs.ts";
import { createCreditRefresher } from "./accounts/credits.ts";
import { createCreditLedger, type CreditLedger } from "./accounts/ledger.ts";
import { type AccountManager, createAccountManager } from "./accounts/manager.ts";
import { createAccountPool } from "./accounts/pool.ts";
import { type AccountScheduler, startAccountScheduler } from "./accounts/scheduler.ts";
import { createSecretBox, loadSecretKey, type SecretBox } from "./accounts/secrets.ts";
import { createKeyGuard, type KeyGuard } from "./api/api_keys.ts";
import { createCreditEstimator } from "./api/credit_estimate.ts";
import type { ApiDeps, ApiEnv } from "./api/deps.ts";
import { toApiError } from "./api/errors.ts";
import { createJsonParser } from "./api/json_worker.ts";
import { createApp } from "./app.ts";
import { type AdminAuth, consoleCaller, createAdminAuth } from "./dashboard/auth.ts";
import { type Config, RUNTIME_SETTINGS } from "./config.ts";
import { startRetention } from "./retention.ts";
import { createJimengClient } from "./jimeng/client.ts";
import { createEgress, proxyError } from "./jimeng/egress.ts";
import { browserProxy, ProxyUrlError } from "./net/proxy.ts";
import { createEstimateRecorder } from "./jimeng/estimate_recorder.ts";
import { JimengError } from "./jimeng/errors.ts";
import { lazyBrowserTransport } from "./jimeng/browser.ts";
import type { BrowserTransportOptions } from "./jimeng/browser_transport.ts";
import {
  createPageRouting,
  type LearnedRoute,
  type PageRouting,
  type RouteStore,
} from "./jimeng/page_routing.ts";
import type { UpstreamDeps } from "./jimeng/http.ts";
import { createLogger, type Logger } from "./log.ts";
import { createReferenceFiles } from "./jobs/reference_files.ts";
import { createJobRunner, type SecretVault } from "./jobs/runner.ts";
import { createLogRecorder } from "./logs/recorder.ts";
import { createMediaLibrary } from "./media/library.ts";
import { createServerMetrics } from "./metrics/server_metrics.ts";
import { createProxyClients, type ProxyClientsOptions } from "./net/proxy_clients.ts";
import { clientAddressOf } from "./net/client_address.ts";
import { ensurePrivateDir, ensurePrivateFile } from "./private_files.ts";
import { type ConnectionGuard, startConnectionGuard } from "./net/connection_guard.ts";
import type { Resolver } from "./net/safe_fetch.ts";
import { type Db, openDatabase } from "./store/db.ts";
import { migrate } from "./store/migrate.ts";
import { listPollEstimates, savePollEstimate } from "./store/poll_estimates.ts";
import {
  deleteAllBrowserRoutes,
  deleteBrowserRoute,
  listBrowserRoutes,
  touchBrowserRoute,
  upsertBrowserRoute,
} from "./store/browser_routes.ts";
import { completeRequestCredits, insertRequest } from "./store/requests.ts";
import { createRuntimeSettings, type RuntimeSettings } from "./runtime_settings.ts";
import { registerSecret } from "./redact.ts";
import { getApiKey } from "./store/api_keys.ts";
import { createAccountAlerts } from "./webhooks/account_alerts.ts";
import {
  createWebhookOutbox,
  type WebhookOutbox,
  type WebhookOutboxDeps,
} from "./webhooks/outbox.ts";

/** Test and benchmark hooks; production uses none. */
export interface ServerOverrides {
  logger?: Logger;
  upstream?: Partial<UpstreamDeps>;
  resolver?: Resolver;
  keepAliveMs?: number;
  /** Backoff of upstream retries. */
  backoffMs?: number;
  /** Timers of the account scheduler (a virtual clock in tests). */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /** Shortest time between two balance reads of one account. @default 2000 */
  creditRefreshMs?: number;
  /** Options of the proxies' HTTP clients (e.g. a test CA). */
  proxyClients?: ProxyClientsOptions;
  /** Webhook delivery: timeout, backoff, timers, fetch. */
  webhooks?: Partial<
    Pick<
      WebhookOutboxDeps,
      "timeoutMs" | "backoffMs" | "retryForMs" | "setTimer" | "fetch" | "random"
    >
  >;
  /** Options of the browser transport (e.g. shorter timeouts). */
  browser?: Partial<BrowserTransportOptions>;
  /** How long a streamed chat answer waits after its first bytes before it submits. */
  streamHoldMs?: number;
}

/** The port the server should listen on is taken: nothing was created. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
  constructor(readonly host: string, readonly port: number) {
    super(
      `Port ${port} is already in use on ${host}: another program (perhaps another jimeng-api) listens there. Stop it, or start on another port: PORT=${
        port === 65535 ? 8001 : port + 1
      } deno task start (or --port ${port === 65535 ? 8001 : port + 1})`,
    );
  }
}

/** Where the server listens, in words: the bound address and who can reach it. */
export function describeListen(host: string, port: number): string {
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  if (host === "0.0.0.0" || host === "::") return `${address} (every network interface)`;
  if (host === "127.0.0.1" || host === "::1" || host === "localhost") {
    return `${address} (this machine only)`;
  }
  return address;
}

/** The console's address for the operator: the public URL, else this machine's view. */
export function consoleUrl(config: Config, port: number): string {
  if (config.publicBaseUrl) return `${config.publicBaseUrl}/`;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}

/** A running server. */
export interface RunningServer {
  db: Db;
  /** Whether the database is only in memory because DATA_DIR was unusable. */
  degraded: boolean;
  /** `http://host:port` as reachable from this machine. */
  url: string;
  port: number;
  deps: ApiDeps;
  /**
   * The application. Its `routes` list every route but those of the parts it
   * loads on first use (the console's files and API, MCP: `src/api/lazy_routes.ts`).
   */
  app: Hono<ApiEnv>;
  accounts: AccountManager;
  scheduler: AccountScheduler;
  ledger: CreditLedger;
  keys: KeyGuard;
  adminAuth: AdminAuth;
  /** The settings the console can change at run time. */
  settings: RuntimeSettings;
  /** The webhook outbox. */
  webhooks: WebhookOutbox;
  /** The browser transport's routing of calls. */
  page: PageRouting;
  /** Stops accepting, waits for in-flight requests up to `graceMs`, releases everything. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Opens `DATA_DIR/jimeng.db` and migrates it. A DATA_DIR that cannot be
 * written does not stop the server: it runs on an in-memory database and says
 * so loudly, so generations keep working. A database from a newer build does
 * stop it.
 */
export function openStore(config: Config, log: Logger): { db: Db; degraded: boolean } {
  const path = `${config.dataDir}/jimeng.db`;
  let db: Db;
  try {
    // Created private before SQLite opens it: SQLite gives -wal and -shm the database's mode.
    ensurePrivateDir(config.dataDir, log);
    ensurePrivateFile(path, log, [`${path}-wal`, `${path}-shm`]);
    db = openDatabase(path);
  } catch (error) {
    log.error(
      `DATA_DIR "${config.dataDir}" is not usable (${
        (error as Error).message
      }); running on an in-memory database: statistics, accounts and jobs will not survive a restart`,
    );
    db = openDatabase(":memory:");
    migrate(db);
    return { db, degraded: true };
  }
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return { db, degraded: false };
}

function closeStore(db: Db, log: Logger): void {
  try {
    if (db.isOpen) {
      db.exec("PRAGMA optimize");
      db.close();
    }
  } catch (error) {
    log.warn("Closing the database failed", { error });
  }
}

/** The learned routes of the browser transport, in the database. */
function routeStore(db: Db): RouteStore {
  return {
    list: () => listBrowserRoutes(db) as LearnedRoute[],
    learn: (key, now) => upsertBrowserRoute(db, key, now) as LearnedRoute,
    touch: (id, now) => touchBrowserRoute(db, id, now),
    remove: (id) => deleteBrowserRoute(db, id),
    removeAll: () => deleteAllBrowserRoutes(db),
  };
}

function defaultTimer(fn: () => void, ms: number): () => void {
  const id = setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
  return () => clearTimeout(id);
}

/** Seals the sessionids of callers without an API key into their jobs, so a restart can resume. */
function jobVault(box: SecretBox): SecretVault {
  const context = "job-tokens";
  return {
    seal: (plain) => btoa(String.fromCharCode(...box.seal(plain, context))),
    open: (sealed) => box.open(Uint8Array.from(atob(sealed), (ch) => ch.charCodeAt(0)), context),
  };
}

const requestSignal = Object.getOwnPropertyDescriptor(Request.prototype, "signal")!.get!;

/**
 * Makes `request.signal` also abort when `gone` does. The request itself is
 * kept (a copy would take over its body stream, and a body the handler leaves
 * unread then keeps `Deno.serve` from ending the connection); the combined
 * signal is made on first use only.
 */
function withClientGone(request: Request, gone: AbortSignal): void {
  let combined: AbortSignal | undefined;
  Object.defineProperty(request, "signal", {
    get: () => combined ??= AbortSignal.any([requestSignal.call(request), gone]),
  });
}

/**
 * Serves the application. With any of the slow-client limits on (the
 * default), `Deno.serve` listens on a loopback port of its own behind the
 * connection guard, which holds the public address and tells each request
 * its client's address; otherwise `Deno.serve` takes the public address.
 */
async function serve(
  config: Config,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  log: Logger,
): Promise<{ server: Deno.HttpServer<Deno.NetAddr>; guard?: ConnectionGuard }> {
  const limits = {
    headerTimeoutMs: config.headerTimeoutS * 1000,
    bodyTimeoutMs: config.bodyTimeoutS * 1000,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
  };
  if (!limits.headerTimeoutMs && !limits.bodyTimeoutMs && !limits.maxConnectionsPerIp) {
    const server = Deno.serve({ port: config.port, hostname: config.host, onListen() {} }, handler);
    return { server };
  }
  let guard: ConnectionGuard | undefined;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request, info) => {
    const client = guard?.track(info.remoteAddr, info.completed);
    if (!client) return handler(request, info);
    withClientGone(request, client.gone);
    return handler(request, { ...info, remoteAddr: client.remoteAddr });
  });
  try {
    guard = startConnectionGuard({
      hostname: config.host,
      port: config.port,
      target: server.addr,
      ...limits,
      onError: (error) => log.warn("Relaying a connection failed", { error }),
    });
  } catch (error) {
    await server.shutdown();
    throw error;
  }
  return { server, guard };
}

/** Starts the server. */
export async function startServer(
  config: Config,
  overrides: ServerOverrides = {},
): Promise<RunningServer> {
  const log = overrides.logger ??
    createLogger({ level: config.logLevel, format: config.logFormat });
  const now = overrides.upstream?.now ?? Date.now;
  // The port first: when it is taken, nothing else (data directory, key file) is created.
  const ready = Promise.withResolvers<Hono<ApiEnv>>();
  ready.promise.catch(() => {});
  let serving: Hono<ApiEnv> | null = null;
  let server: Deno.HttpServer<Deno.NetAddr>;
  let guard: ConnectionGuard | undefined;
  try {
    ({ server, guard } = await serve(
      config,
      (request, info) =>
        serving ? serving.fetch(request, info) : ready.promise.then(
          (app) => app.fetch(request, info),
          () => new Response("The server could not start", { status: 503 }),
        ),
      log,
    ));
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) throw new PortInUseError(config.host, config.port);
    throw error;
  }
  const stopListening = async (error: unknown) => {
    ready.reject(error);
    guard?.stopAccepting();
    await server.shutdown();
    await guard?.close();
  };
  let db: Db;
  let degraded: boolean;
  try {
    ({ db, degraded } = openStore(config, log));
  } catch (error) {
    await stopListening(error);
    throw error;
  }
  // Media cached by an older version may sit in a directory others can read.
  if (!degraded) {
    try {
      ensurePrivateDir(`${config.dataDir}/media`, log);
    } catch (error) {
      log.warn("The media directory could not be prepared; caching will report it", { error });
    }
  }
  let box: SecretBox;
  try {
    box = createSecretBox(loadSecretKey({
      secretKey: config.secretKey,
      dataDir: degraded ? null : config.dataDir,
      log,
    }));
  } catch (error) {
    closeStore(db, log);
    await stopListening(error);
    throw error;
  }
  const settings = createRuntimeSettings({ db, config, box, log, now });
  // Read on every request, so that a JIMENG_PROXY changed in the console applies at once.
  const egress = createEgress({
    clients: createProxyClients(overrides.proxyClients),
    defaultProxy: () => settings.get(RUNTIME_SETTINGS.proxy),
  });
  const defaultProxy = settings.get(RUNTIME_SETTINGS.proxy);
  if (defaultProxy) {
    log.info(`JIMENG_PROXY: accounts without their own proxy go through ${defaultProxy.label}`);
  }
  const logs = createLogRecorder({
    db,
    keep: config.logKeep,
    onError: (error, dropped) => log.warn("Could not store log records", { error, dropped }),
  });
  const removeLogSink = log.addSink(logs.sink);
  const ledger = createCreditLedger({ now });
  const webhooks = createWebhookOutbox({
    db,
    log,
    now,
    urls: () => settings.get(RUNTIME_SETTINGS.webhookUrls),
    secret: () => {
      const secret = settings.get(RUNTIME_SETTINGS.webhookSecret);
      if (secret !== null) registerSecret(secret);
      return secret;
    },
    keyUrl: (id) => {
      const key = getApiKey(db, id);
      return key && key.revokedAt === null ? key.webhookUrl : null;
    },
    ...overrides.webhooks,
  });
  const alerts = createAccountAlerts({
    emit: webhooks.emit,
    threshold: () => settings.get(RUNTIME_SETTINGS.webhookLowCredits),
  });
  // The pool and the refresher report changes to the manager, created after them (it needs
  // both); their callbacks only run once requests or the scheduler use the accounts.
  const pool = createAccountPool({ now, onChange: (account) => manager.persist(account) });
  const media = createMediaLibrary({
    db,
    dir: `${config.dataDir}/media`,
    log,
    now,
    // Without a usable DATA_DIR there is nowhere to keep files.
    cache: config.mediaCache && !degraded,
    maxCacheBytes: Math.floor(config.mediaMaxGb * 1073741824),
    publicBaseUrl: config.publicBaseUrl,
    urlMode: config.mediaUrls,
    onDownload: (kind, outcome, bytes) => metrics.mediaDownload(kind, outcome, bytes),
    onEvict: (files) => metrics.mediaEvicted(files),
  });
  // Nothing of the browser starts (or is even imported) until a call needs it.
  const page = createPageRouting({
    transport: lazyBrowserTransport({
      chromiumPath: config.browser.chromiumPath,
      searchPath: config.browser.searchPath,
      pageUrls: { jimeng: config.browser.jimengPageUrl, dreamina: config.browser.dreaminaPageUrl },
      args: config.browser.args,
      idleCloseMs: config.browser.idleCloseS * 1000,
      hosts: config.upstream,
      protocol: config.protocol,
      log,
      // The account's proxy carries its browser context too.
      proxyFor: (session) => {
        const proxy = egress.proxyOf(session);
        if (!proxy) return undefined;
        try {
          return browserProxy(proxy);
        } catch (error) {
          if (error instanceof ProxyUrlError) throw proxyError(proxy, error.message, error);
          throw error;
        }
      },
      ...overrides.browser,
    }),
    mode: () => settings.get(RUNTIME_SETTINGS.browserTransport),
    store: routeStore(db),
    routeTtlMs: config.browser.routeTtlDays * 86_400_000,
    log,
    now,
  });
  // The metrics read the client and the jobs lazily, at scrape time.
  const metrics = createServerMetrics({
    pollerSize: () => client.poller.size(),
    storedAccounts: () => pool.storedAccounts(),
    mediaCacheBytes: () => media.cacheBytes(),
    jobsByState: () => jobs.counts(),
    browser: () => page.status(),
    now,
  });
  // What the poller learns about run times is kept, so a restart starts from it.
  const learned = createEstimateRecorder({
    save: (key, runMs) => savePollEstimate(db, { modelKey: key, runMs, updatedAt: now() }),
    now,
    setTimer: defaultTimer,
    onError: (error, key) => log.warn("Could not store a learned run time", { key, error }),
  });
  const client = createJimengClient({
    egress,
    page,
    hosts: config.upstream,
    protocol: config.protocol,
    timeoutMs: config.upstreamTimeoutMs,
    backoffMs: overrides.backoffMs,
    poller: { onLearn: (key, runMs) => learned.note(key, runMs) },
    deps: {
      ...overrides.upstream,
      onCall(call) {
        metrics.upstreamCall(call);
        overrides.upstream?.onCall?.(call);
      },
    },
  });
  for (const estimate of listPollEstimates(db)) {
    learned.prime(estimate.modelKey, estimate.runMs);
    client.poller.learn(estimate.modelKey, estimate.runMs);
  }
  const catalogs: ModelCatalogs | undefined = config.modelCatalogTtlMin > 0
    ? createModelCatalogs({
      client,
      now,
      log,
      ttlMs: config.modelCatalogTtlMin * 60_000,
      // A catalog only refines the built-in table: never hold a request long for it.
      timeoutMs: Math.min(config.upstreamTimeoutMs, 5000),
    })
    : undefined;
  const credits = createCreditRefresher({
    client,
    log,
    now,
    ledger,
    minIntervalMs: overrides.creditRefreshMs,
    onCredits: (account) => manager.persist(account),
  });
  const manager = createAccountManager({
    db,
    pool,
    client,
    credits,
    ledger,
    box,
    log,
    now,
    timeZone: config.claimTimeZone,
    onSaved: (account) => alerts.observe(account),
  });
  const loaded = manager.load();
  alerts.seed(manager.list());
  if (config.sessions.length > 0) {
    const results = manager.add(config.sessions);
    for (const result of results) {
      if (result.status === "invalid") {
        log.warn(`JIMENG_SESSIONS entry ${result.label} skipped: ${result.reason}`);
      }
    }
    const added = results.filter((r) => r.status === "added").length;
    log.info(
      `JIMENG_SESSIONS: ${added} account(s) added, ${
        results.length - added
      } already stored or skipped`,
    );
  }
  log.info(`${manager.list().length} stored account(s) (${loaded} loaded from the database)`);

  const keys = createKeyGuard({ db, now, timeZone: config.claimTimeZone });
  const estimator = createCreditEstimator();
  const adminAuth = createAdminAuth({ db, log, now, ttlMs: config.sessionTtlHours * 3_600_000 });
  if (config.adminUser !== null && config.adminPassword !== null) {
    try {
      await adminAuth.bootstrap(config.adminUser, config.adminPassword);
    } catch (error) {
      removeLogSink();
      logs.close();
      closeStore(db, log);
      await stopListening(error);
      throw error;
    }
  }
  const scheduler = startAccountScheduler({
    accounts: () => manager.list(),
    claim: (account, signal) => manager.claim(account, { signal }),
    check: (account, signal) => manager.check(account, signal),
    log,
    now,
    setTimer: overrides.setTimer ?? defaultTimer,
  }, {
    timeZone: config.claimTimeZone,
    dailyClaim: config.dailyClaim,
    checkIntervalMs: config.accountCheckIntervalMin * 60_000,
  });

  // Omni references are files under DATA_DIR; without a usable one, a temporary directory
  // serves (such jobs do not survive a restart anyway).
  const referenceDir = degraded
    ? Deno.makeTempDirSync({ prefix: "jimeng-references-" })
    : `${config.dataDir}/references`;
  const referenceFiles = createReferenceFiles(referenceDir);
  const jobs = createJobRunner({
    db,
    client,
    referenceFiles,
    pool,
    log,
    now,
    vault: jobVault(box),
    imageTimeoutMs: config.imageTimeoutS * 1000,
    videoTimeoutMs: config.videoTimeoutS * 1000,
    videoQuality: config.videoQuality,
    resolveModel: catalogs && (async (name, accounts, signal) => {
      const lookup = await catalogs.resolve(name, accounts, { signal });
      if (lookup.status === "found") return lookup.model;
      if (lookup.status === "unknown") return undefined;
      const instead = lookup.alternatives.length > 0
        ? `; use one of ${lookup.alternatives.map((a) => `'${a}'`).join(", ")} instead`
        : "";
      throw new JimengError(
        "model_unavailable",
        `The model '${lookup.id}' is not available to the job's Jimeng account(s): ${lookup.reason}${instead}`,
      );
    }),
    describeError: (error) => {
      const apiError = toApiError(error);
      return { code: apiError.code ?? "internal_error", message: apiError.message };
    },
    ledger,
    afterAttempt: (account) => credits.refreshSoon(account),
    onFinished: (job) => {
      webhooks.emit(
        job.status === "completed" ? "video.completed" : "video.failed",
        { id: job.id },
        { apiKeyId: job.apiKeyId },
      );
    },
    knowBalance: (account, signal) => credits.know(account, signal),
    onClaimed: (account, claim) => manager.claimed(account, claim),
    finalize: async (job, account, results) => {
      const saved = await media.saveResults({
        kind: job.kind,
        model: job.model,
        prompt: job.prompt,
        requestId: job.requestId ?? job.id,
        accountKey: account.key,
        accountLabel: account.label,
        apiKeyId: job.apiKeyId,
        results,
        fetch: client.fetchFor(account.session),
      });
      return {
        urls: saved.map((item) => item.url),
        mediaIds: saved.flatMap((item) => (item.id === null ? [] : [item.id])),
        paths: saved.map((item) => item.path),
      };
    },
  });

  const clientAddress = clientAddressOf({
    trustProxy: config.trustProxy,
    trustedProxies: config.trustedProxies,
    onUntrustedForwarder: (peer) =>
      log.warn(
        `X-Forwarded-For from ${peer} ignored: it is not in TRUSTED_PROXIES, so every client behind it counts as ${peer}`,
      ),
  });
  const jsonParser = createJsonParser({
    maxDataUrlBytes: Math.max(config.maxImageMb, config.maxVideoMb, config.maxAudioMb) * 1048576,
  });
  const deps: ApiDeps = {
    config,
    settings,
    client,
    pool,
    credits,
    jobs,
    log,
    now,
    resolver: overrides.resolver,
    keepAliveMs: overrides.keepAliveMs,
    recordRequest: (record) => insertRequest(db, record),
    completeRequestCredits: (id, spent, remaining) =>
      completeRequestCredits(db, id, spent, remaining),
    ledger,
    keys,
    estimator,
    streamHoldMs: overrides.streamHoldMs,
    onClaimed: (account, claim) => manager.claimed(account, claim),
    consoleUser: (c) => consoleCaller(c, adminAuth, config.trustProxy)?.username,
    clientAddress,
    media,
    resultFetch: (requestId) => (input, init) => {
      const key = media.accountOf(requestId, String(input));
      const account = key === null ? undefined : pool.find(key);
      return client.fetchFor(account?.session ?? {})(input, init);
    },
    metrics,
    logs,
    catalogs,
    jsonParser,
  };
  const app = createApp(deps, {
    db,
    auth: adminAuth,
    accounts: manager,
    keys,
    log,
    now,
    trustProxy: config.trustProxy,
    clientAddress,
    publicBaseUrl: config.publicBaseUrl,
    onAccountsAdded: (added) => scheduler.adopt(added),
    proxyOf: (session) => client.proxyOf(session),
    config,
    settings,
    degraded,
    logs,
    media,
    jobs,
    webhooks,
    page,
    keepAliveMs: overrides.keepAliveMs,
  });
  jobs.resume();
  webhooks.wake();
  const retention = startRetention({
    db,
    log,
    now,
    keepDays: config.requestsKeepDays,
    setTimer: overrides.setTimer ?? defaultTimer,
  });

  async function release(): Promise<void> {
    retention.close();
    await webhooks.close();
    jsonParser.close();
    await scheduler.close();
    client.close();
    learned.flush();
    await page.close();
    credits.close();
    await media.close();
    egress.close();
    removeLogSink();
    logs.close();
    closeStore(db, log);
    if (degraded) await Deno.remove(referenceDir, { recursive: true }).catch(() => {});
  }

  serving = app;
  ready.resolve(app);
  const port = guard?.addr.port ?? server.addr.port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const consoleAt = consoleUrl(config, port);
  log.info(`Listening on ${describeListen(config.host, port)}`);
  log.info(`Console: ${consoleAt}`);
  const setupToken = adminAuth.issueSetupToken();
  if (setupToken !== null) {
    log.notice(
      "No console administrator yet. Open this one-time link to create one:",
      `${consoleAt}setup?token=${setupToken}`,
    );
  }
  return {
    url,
    port,
    deps,
    app,
    db,
    degraded,
    accounts: manager,
    scheduler,
    ledger,
    keys,
    adminAuth,
    settings,
    webhooks,
    page,
    async close(graceMs = 10_000) {
      const timer = setTimeout(() => client.close(), graceMs);
      // Jobs stay queued in the store; their waiters get a "restarting" answer now.
      jobs.close();
      try {
        guard?.stopAccepting();
        await server.shutdown();
        await guard?.close();
      } finally {
        clearTimeout(timer);
        await release();
      }
    },
  };
}

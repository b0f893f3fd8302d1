/**
 * Wires a running server from a configuration: logger, upstream client,
 * account pool, application, `Deno.serve`. `main.ts` calls it; tests call it
 * in-process with injected effects.
 * @module
 */
import { createCreditRefresher } from "./accounts/credits.ts";
import { createAccountPool } from "./accounts/pool.ts";
import type { ApiDeps } from "./api/deps.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { createJimengClient } from "./jimeng/client.ts";
import type { UpstreamDeps } from "./jimeng/http.ts";
import { createLogger, type Logger } from "./log.ts";
import { createLogRecorder } from "./logs/recorder.ts";
import { createMediaLibrary } from "./media/library.ts";
import { createServerMetrics } from "./metrics/server_metrics.ts";
import type { Resolver } from "./net/safe_fetch.ts";
import { type Db, openDatabase } from "./store/db.ts";
import { migrate } from "./store/migrate.ts";
import { insertRequest } from "./store/requests.ts";
import { createJobRunner, type SecretVault } from "./jobs/runner.ts";
import { toApiError } from "./api/errors.ts";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Test and benchmark hooks; production uses none. */
export interface ServerOverrides {
  logger?: Logger;
  upstream?: Partial<UpstreamDeps>;
  resolver?: Resolver;
  keepAliveMs?: number;
  /** Backoff of upstream retries. */
  backoffMs?: number;
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
    Deno.mkdirSync(config.dataDir, { recursive: true });
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

/** Starts the server. */
export function startServer(
  config: Config,
  overrides: ServerOverrides = {},
): Promise<RunningServer> {
  const log = overrides.logger ?? createLogger({ level: config.logLevel });
  const now = overrides.upstream?.now ?? Date.now;
  const { db, degraded } = openStore(config, log);
  const logs = createLogRecorder({
    db,
    keep: config.logKeep,
    onError: (error, dropped) => log.warn("Could not store log records", { error, dropped }),
  });
  const removeLogSink = log.addSink(logs.sink);
  const pool = createAccountPool({ now });
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
  const metrics = createServerMetrics({
    pollerSize: () => client.poller.size(),
    storedAccounts: () => pool.storedAccounts(),
    mediaCacheBytes: () => media.cacheBytes(),
    jobsByState: () => jobs.counts(),
    now,
  });
  const client = createJimengClient({
    hosts: config.upstream,
    protocol: config.protocol,
    timeoutMs: config.upstreamTimeoutMs,
    backoffMs: overrides.backoffMs,
    deps: {
      ...overrides.upstream,
      onCall(call) {
        metrics.upstreamCall(call);
        overrides.upstream?.onCall?.(call);
      },
    },
  });
  const credits = createCreditRefresher({ client, log, now });
  const jobs = createJobRunner({
    db,
    client,
    pool,
    log,
    now,
    vault: processVault(),
    imageTimeoutMs: config.imageTimeoutS * 1000,
    videoTimeoutMs: config.videoTimeoutS * 1000,
    describeError: (error) => {
      const apiError = toApiError(error);
      return { code: apiError.code ?? "internal_error", message: apiError.message };
    },
    afterAttempt: (account) => credits.refreshSoon(account),
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
      });
      return {
        urls: saved.map((item) => item.url),
        mediaIds: saved.flatMap((item) => (item.id === null ? [] : [item.id])),
      };
    },
  });
  const deps: ApiDeps = {
    config,
    client,
    pool,
    credits,
    jobs,
    log,
    now,
    resolver: overrides.resolver,
    keepAliveMs: overrides.keepAliveMs,
    recordRequest: (record) => insertRequest(db, record),
    media,
    metrics,
    logs,
  };
  const app = createApp(deps);
  jobs.resume();
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        port: config.port,
        hostname: config.host,
        onListen: () => {},
      }, app.fetch);
    } catch (error) {
      removeLogSink();
      logs.close();
      media.close().finally(() => closeStore(db, log));
      credits.close();
      client.close();
      reject(error);
      return;
    }
    const port = server.addr.port;
    const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    log.info(`Listening on ${url}`, { port });
    resolve({
      url,
      port,
      deps,
      db,
      degraded,
      async close(graceMs = 10_000) {
        const timer = setTimeout(() => client.close(), graceMs);
        // Jobs stay queued in the store; their waiters get a "restarting" answer now.
        jobs.close();
        try {
          await server.shutdown();
        } finally {
          clearTimeout(timer);
          client.close();
          credits.close();
          await media.close();
          removeLogSink();
          logs.close();
          closeStore(db, log);
        }
      },
    });
  });
}

/** Seals with a key that lives as long as the process (AES-256-GCM). */
function processVault(): SecretVault {
  const key = randomBytes(32);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64");
    },
    open(sealed) {
      const bytes = Buffer.from(sealed, "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

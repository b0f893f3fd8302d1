/**
 * What the OpenAI routes are built from, and the Hono environment they share.
 * @module
 */
import type { Context } from "hono";
import type { ModelCatalogs } from "../accounts/catalogs.ts";
import type { CreditRefresher } from "../accounts/credits.ts";
import type { CreditLedger } from "../accounts/ledger.ts";
import type { CreditClaim } from "../jimeng/account.ts";
import type { Account, AccountPool } from "../accounts/pool.ts";
import type { Config } from "../config.ts";
import type { JimengClient } from "../jimeng/client.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { Logger } from "../log.ts";
import type { LogRecorder } from "../logs/recorder.ts";
import type { MediaLibrary } from "../media/library.ts";
import type { ServerMetrics } from "../metrics/server_metrics.ts";
import type { Resolver } from "../net/safe_fetch.ts";
import type { RuntimeSettings } from "../runtime_settings.ts";
import type { ApiKeyRow } from "../store/api_keys.ts";
import type { RequestRecord } from "../store/requests.ts";
import type { CreditEstimator } from "./credit_estimate.ts";
import type { KeyGuard } from "./api_keys.ts";
import type { JsonParser, ParsedJson } from "./json_worker.ts";
import type { Usage } from "./usage.ts";

/** Dependencies of the API routes. */
export interface ApiDeps {
  config: Config;
  /** Settings the console can change at run time (read them here, not from `config`). */
  settings: RuntimeSettings;
  client: JimengClient;
  pool: AccountPool;
  credits: CreditRefresher;
  jobs: JobRunner;
  log: Logger;
  now: () => number;
  /** DNS resolver for reference-image URLs (tests inject one). */
  resolver?: Resolver;
  /** Interval of SSE keep-alive comments. @default 10000 */
  keepAliveMs?: number;
  /** Writes a usage row and returns its id; failures are logged, never returned to the client. */
  recordRequest?: (record: RequestRecord) => number | void;
  /** Fills in a row's credits once the balance after it is known. */
  completeRequestCredits?: (id: number, spent: number | null, remaining: number | null) => void;
  /** Measures the credits each generation spends. */
  ledger?: CreditLedger;
  /** Issued API keys; without it, `sk-` tokens are refused. */
  keys?: KeyGuard;
  /** What a generation may cost (the amount a key's quota reserves). */
  estimator?: CreditEstimator;
  /**
   * How long a streamed chat answer waits after its first bytes before it
   * submits upstream, so that a client that closes at once costs nothing.
   * @default 1000
   */
  streamHoldMs?: number;
  /**
   * The console user of a request without `Authorization` (the playground), if its session
   * cookie and CSRF token check out; such requests are served by the stored accounts.
   */
  consoleUser?: (c: Context) => string | undefined;
  /** The client's address, for per-address limits. @default the connection's peer */
  clientAddress?: (c: Context) => string;
  /** Called after a daily claim the failover made (persistence). */
  onClaimed?: (account: Account, claim: CreditClaim) => void;
  /** Records and caches generated media. */
  media: MediaLibrary;
  /**
   * The `fetch` for the results of one request (by request id): a result's
   * download goes through the proxy of the account that made it.
   */
  resultFetch?: (requestId: string) => typeof fetch;
  /** The accounts' own model catalogs; without it, only the built-in model table is used. */
  catalogs?: ModelCatalogs;
  metrics: ServerMetrics;
  /** The stored log: flush it, or subscribe to new records (the console's live tail). */
  logs: LogRecorder;
  /** Parses large JSON bodies off the event loop; without it they are parsed inline. */
  jsonParser?: JsonParser;
}

/** Who is calling and which accounts serve them. */
export interface AuthInfo {
  /** Accounts this request may use. */
  accounts: Account[];
  /** Masked credential, for logs. */
  label: string;
  /** The issued key, or `null` when the caller sent sessionids. */
  apiKeyId: number | null;
  /** The issued key's row (quota, cap, allow-list), or `null`. */
  key?: ApiKeyRow | null;
  /** Who owns the jobs this caller creates. */
  owner: string;
  /** The caller's own sessionids (sealed into jobs so a restart can resume them), or `null`. */
  tokens: string[] | null;
}

/** Hono environment of the API. */
export type ApiEnv = {
  Variables: {
    auth: AuthInfo;
    requestId: string;
    usage: Usage;
    /** A large body parsed before its route (`parseLargeJson`). */
    parsedJson?: ParsedJson;
  };
};

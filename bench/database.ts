/**
 * The database case (issue 4): a fresh database file filled with a million
 * request rows through the store's own insert path (`insertRequest`, so the
 * triggers keep the hourly rollup as in production), closed with
 * `PRAGMA optimize` and reopened and migrated as the server does; then the
 * console overview's queries (`GET /api/admin/stats` and each store call it
 * makes), the key quota check of the request path, and the cost of writing
 * one request row into the full table, each timed over repeats.
 * @module
 */
import type { AccountManager } from "../src/accounts/manager.ts";
import { statsRoutes } from "../src/dashboard/stats_routes.ts";
import { startOfDay } from "../src/days.ts";
import { IMAGE_MODELS, VIDEO_MODELS } from "../src/jimeng/models.ts";
import { apiKeysUsage, apiKeyUsage, insertApiKey, listApiKeys } from "../src/store/api_keys.ts";
import { type Db, openDatabase, transaction } from "../src/store/db.ts";
import { migrate } from "../src/store/migrate.ts";
import { countRollupRows, usageBy, usageSeries, usageTotal } from "../src/store/request_hours.ts";
import {
  completeRequestCredits,
  insertRequest,
  type RequestRecord,
} from "../src/store/requests.ts";
import { mib, summarize, type Summary } from "./measure.ts";
import { checkTarget, type Column, num, type TargetResult } from "./report.ts";
import type { BenchContext, ScenarioFilter } from "./scenario.ts";
import { mulberry32 } from "../tests/helpers/prng.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The server's default day (CLAIM_TIME_ZONE). */
const TIME_ZONE = "Asia/Shanghai";
const DAYS = 35;
const KEYS = 20;
const ACCOUNTS = 6;

/** The database case. */
export interface DatabaseScenario {
  id: string;
  params: ScenarioFilter;
  rows: number;
  /** Runs of each query. */
  repeats: number;
  /** Single request-row writes timed. */
  writes: number;
}

/** One million rows (quick: 100,000). */
export function databaseScenarios(quick: boolean): DatabaseScenario[] {
  const rows = quick ? 100_000 : 1_000_000;
  return [{
    id: `db rows=${rows}`,
    params: { db: rows },
    rows,
    repeats: quick ? 5 : 20,
    writes: quick ? 300 : 2000,
  }];
}

/** One timed query. */
export interface QueryFigures {
  name: string;
  /** ms over the repeats (the first run included). */
  ms: Summary;
}

/** What the case measured. */
export interface DatabaseFigures {
  id: string;
  rows: number;
  fillS: number;
  rowsPerS: number;
  /** Database file plus WAL after the fill and a checkpoint, MiB. */
  sizeMiB: number;
  /** Rows of the hourly rollup the overview reads. */
  rollupRows: number;
  /** Close with PRAGMA optimize, reopen, migrate: ms. */
  reopenMs: number;
  queries: QueryFigures[];
  /** One `insertRequest` (autocommit, as the request path writes it), ms. */
  insert: Summary;
  /** One `completeRequestCredits` (the later credits update), ms. */
  creditsUpdate: Summary;
}

/** Busier in the (Shanghai) day than at night. */
const HOUR_WEIGHT = Array.from({ length: 24 }, (_, h) => 0.25 + Math.sin(Math.PI * h / 24) ** 2);

/** Ten models: seven image and three video, used unevenly. */
const MODELS = [
  ...IMAGE_MODELS.slice(0, 7).map((m) => ({ id: m.id, kind: "image" as const })),
  ...VIDEO_MODELS.slice(0, 3).map((m) => ({ id: m.id, kind: "video" as const })),
];

/** Builds the request rows of a realistic month: `count` rows ending at `now`. */
function* requestRows(count: number, now: number): Generator<RequestRecord> {
  const next = mulberry32(42);
  const first = now - DAYS * DAY;
  // Each key favours three models; 10 % of the traffic is sessionid callers (no key).
  const favourites = Array.from(
    { length: KEYS },
    (_, k) => [k % 10, (k * 3 + 1) % 10, (k * 7 + 2) % 10],
  );
  const totalWeight = HOUR_WEIGHT.reduce((a, b) => a + b, 0);
  for (let i = 0; i < count; i++) {
    // Spread evenly over the days, shaped within each day.
    const day = Math.floor((i / count) * DAYS);
    let pick = next() * totalWeight;
    let hour = 0;
    while (pick > HOUR_WEIGHT[hour] && hour < 23) pick -= HOUR_WEIGHT[hour++];
    const createdAt = Math.min(
      now - 1,
      first + day * DAY + hour * HOUR + Math.floor(next() * HOUR),
    );
    const key = next() < 0.1 ? null : Math.floor(next() ** 1.5 * KEYS);
    const model = MODELS[
      key === null ? Math.floor(next() * MODELS.length) : favourites[key][Math.floor(next() * 3)]
    ];
    const failed = next() < 0.06;
    const account = Math.floor(next() * ACCOUNTS);
    const image = model.kind === "image";
    yield {
      createdAt,
      requestId: `req_${i.toString(36)}`,
      endpoint: image ? "/v1/images/generations" : "/v1/videos",
      model: model.id,
      kind: model.kind,
      n: image ? 1 + Math.floor(next() * 4) : 1,
      status: failed ? "error" : "ok",
      httpStatus: failed ? [400, 429, 502][Math.floor(next() * 3)] : 200,
      errorCode: failed ? "upstream_error" : null,
      accountKey: `acct_${account}`,
      accountLabel: `account ${account}`,
      creditsSpent: failed
        ? null
        : image
        ? 1 + Math.floor(next() * 4)
        : 10 * (1 + Math.floor(next() * 5)),
      creditsRemaining: failed ? null : Math.floor(next() * 5000),
      latencyMs: image ? 3000 + Math.floor(next() * 12_000) : 40_000 + Math.floor(next() * 140_000),
      historyIds: failed ? null : String(7_897_100_000_000 + i),
      apiKeyId: key === null ? null : key + 1,
    };
  }
}

function timeRepeats(repeats: number, fn: () => unknown): Summary {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

async function timeRepeatsAsync(repeats: number, fn: () => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

function fileMiB(path: string): number {
  let bytes = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      bytes += Deno.statSync(path + suffix).size;
    } catch {
      // No WAL file.
    }
  }
  return mib(bytes);
}

/** Closes the database as the server does on shutdown. */
function closeLikeServer(db: Db): void {
  db.exec("PRAGMA optimize");
  db.close();
}

async function timeQueries(db: Db, now: number, repeats: number): Promise<QueryFigures[]> {
  const since24 = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const since30 = startOfDay(now, TIME_ZONE) - 29 * DAY;
  const today = startOfDay(now, TIME_ZONE);
  // The accounts' balances come from memory (the account manager), not from requests.
  const accounts = { list: () => [] } as unknown as AccountManager;
  const stats = statsRoutes({ db, accounts, now: () => now, timeZone: TIME_ZONE });
  const queries: QueryFigures[] = [];
  const time = (name: string, fn: () => unknown) =>
    queries.push({ name, ms: timeRepeats(repeats, fn) });
  for (const [range, since, bucket] of [["24h", since24, HOUR], ["30d", since30, DAY]] as const) {
    queries.push({
      name: `GET /api/admin/stats?range=${range} (whole answer)`,
      ms: await timeRepeatsAsync(repeats, async () => {
        const response = await stats.request(`/stats?range=${range}`);
        if (!response.ok) throw new Error(`stats answered ${response.status}`);
        await response.json();
      }),
    });
    time(`${range} overview cards (3 totals)`, () => {
      usageTotal(db, today);
      usageTotal(db, 0);
      usageTotal(db, since);
    });
    time(`${range} per-model table`, () => usageBy(db, "model", since));
    time(`${range} per-key table`, () => {
      listApiKeys(db);
      usageBy(db, "api_key_id", since);
    });
    time(`${range} per-account table`, () => usageBy(db, "account_key", since));
    time(`${range} time series`, () => usageSeries(db, since, now, bucket));
  }
  time("keys page: usage today of every key", () => apiKeysUsage(db, today));
  time("request path: one key's quota today", () => apiKeyUsage(db, 7, today));
  return queries;
}

/** Runs the case in this process on its own temporary database file. */
export async function runDatabaseScenario(
  ctx: BenchContext,
  scenario: DatabaseScenario,
): Promise<DatabaseFigures> {
  const dir = await Deno.makeTempDir({ prefix: "jimeng-bench-db-" });
  const path = `${dir}/jimeng.db`;
  try {
    const now = Date.now();
    let db = openDatabase(path);
    migrate(db);
    for (let k = 1; k <= KEYS; k++) {
      insertApiKey(db, {
        name: `bench key ${k}`,
        prefix: `sk-bench${k}…`,
        secretHash: `hash-${k}`,
        quotaPerDay: null,
        ratePerMinute: null,
        createdAt: now - DAYS * DAY,
      });
    }
    ctx.progress(`${scenario.id}: filling through insertRequest`);
    const fillStarted = performance.now();
    const rows = requestRows(scenario.rows, now);
    for (let done = 0; done < scenario.rows;) {
      transaction(db, () => {
        for (let i = 0; i < 50_000 && done < scenario.rows; i++, done++) {
          insertRequest(db, rows.next().value as RequestRecord);
        }
      });
    }
    const fillS = (performance.now() - fillStarted) / 1000;
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const sizeMiB = fileMiB(path);
    const rollupRows = countRollupRows(db);

    const reopenStarted = performance.now();
    closeLikeServer(db);
    db = openDatabase(path);
    migrate(db);
    const reopenMs = performance.now() - reopenStarted;
    try {
      ctx.progress(
        `${scenario.id}: ${fillS.toFixed(1)} s to fill, ${num(sizeMiB)} MiB; timing queries`,
      );
      const queries = await timeQueries(db, now, scenario.repeats);
      // Writes as the request path makes them: one autocommit insert per answered request.
      const sample = requestRows(scenario.writes, now + 1);
      const ids: number[] = [];
      const insert = timeRepeats(scenario.writes, () => {
        ids.push(
          insertRequest(db, { ...(sample.next().value as RequestRecord), createdAt: Date.now() }),
        );
      });
      let index = 0;
      const creditsUpdate = timeRepeats(
        ids.length,
        () => completeRequestCredits(db, ids[index++], 4, 1000),
      );
      return {
        id: scenario.id,
        rows: scenario.rows,
        fillS,
        rowsPerS: scenario.rows / fillS,
        sizeMiB,
        rollupRows,
        reopenMs,
        queries,
        insert,
        creditsUpdate,
      };
    } finally {
      closeLikeServer(db);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The columns of the query table. */
export const QUERY_COLUMNS: Column<QueryFigures>[] = [
  { header: "query", value: (q) => q.name },
  { header: "runs", value: (q) => String(q.ms.count) },
  { header: "p50 ms", value: (q) => num(q.ms.p50, 2) },
  { header: "max ms", value: (q) => num(q.ms.max, 2) },
];

/** One line about the fill and the writes. */
export function databaseSummary(f: DatabaseFigures, imageP50?: number): string {
  const share = imageP50 === undefined || Number.isNaN(imageP50)
    ? ""
    : ` = ${num((f.insert.p50 / imageP50) * 100, 2)} % of the lat=0 c=1 image p50 (${
      num(imageP50, 1)
    } ms)`;
  return [
    `${f.id}: filled in ${num(f.fillS, 1)} s (${
      num(f.rowsPerS / 1000)
    }k rows/s through insertRequest), ` +
    `${
      num(f.sizeMiB, 1)
    } MiB on disk, ${f.rollupRows} rollup rows; close (PRAGMA optimize) + reopen + migrate ${
      num(f.reopenMs)
    } ms`,
    `request-row write into the full table: insert p50 ${num(f.insert.p50, 3)} ms, p99 ${
      num(f.insert.p99, 3)
    } ms, max ${num(f.insert.max, 2)} ms${share}; credits update p50 ${
      num(f.creditsUpdate.p50, 3)
    } ms, p99 ${num(f.creditsUpdate.p99, 3)} ms`,
  ].join("\n");
}

/** The targets of issue 4 that concern the database. */
export function databaseTargets(figures: DatabaseFigures | undefined): TargetResult[] {
  if (!figures) {
    return [
      checkTarget("db: slowest overview query p50", undefined, "<=", 50, "ms"),
      checkTarget("db: request-row insert p99", undefined, "<=", 2, "ms"),
    ];
  }
  const queries = figures.queries.map((q) =>
    checkTarget(`db ${figures.rows} rows: ${q.name} p50`, q.ms.p50, "<=", 50, "ms")
  );
  return [
    ...queries,
    checkTarget(
      `db ${figures.rows} rows: request-row insert p99`,
      figures.insert.p99,
      "<=",
      2,
      "ms",
    ),
  ];
}

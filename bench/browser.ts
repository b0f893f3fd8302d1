/**
 * The browser transport case (issue 12), on a fresh server with Chromium:
 * N image generations one after the other (`client.images.generate`, the
 * fake answering at once) sent directly, then — after the console switched
 * `JIMENG_BROWSER_TRANSPORT` to `always` — N more whose submit goes through
 * the site's page. The difference of the two latency distributions is what a
 * call through the page adds (its first call, which starts Chromium and opens
 * the page, is reported apart). Also measured: the server's memory and
 * Chromium's (PSS, summed over its processes) while it runs, and the server's
 * memory once the idle close ended Chromium.
 * @module
 */
import OpenAI from "openai";
import {
  mib,
  percentile,
  readDescendants,
  readRollupBytes,
  readStatusBytes,
  summarize,
  type Summary,
} from "./measure.ts";
import { checkTarget, type Column, num, type TargetResult } from "./report.ts";
import type { BenchContext, ScenarioFilter } from "./scenario.ts";
import { spawnServer } from "../tests/helpers/server_process.ts";

const ADMIN = { username: "bench", password: "bench password 1234" };
/** Seconds without calls before the server closes Chromium (short, to see memory come back). */
const IDLE_CLOSE_S = 3;

/** The case. */
export interface BrowserScenario {
  id: string;
  params: ScenarioFilter;
  calls: number;
}

/** 40 calls each way (quick: 10). */
export function browserScenarios(quick: boolean): BrowserScenario[] {
  const calls = quick ? 10 : 40;
  return [{ id: `page=${calls}`, params: { page: calls }, calls }];
}

/** What the case measured. */
export interface BrowserFigures {
  id: string;
  calls: number;
  /** Image generation latency, submit sent directly, ms. */
  direct: Summary;
  /** The same with the submit sent from the page (warm), ms. */
  page: Summary;
  /** The first call through the page: Chromium started, page opened, ms. */
  coldMs: number;
  /** p95 of `direct` and `page`, ms. */
  directP95: number;
  pageP95: number;
  /** page − direct at p50 and p95, ms. */
  addedP50: number;
  addedP95: number;
  /** Server VmRSS before the page was used, while Chromium runs, and after it closed. */
  serverRssMiB: { before: number; running: number; afterClose: number };
  /** Chromium's processes and their summed PSS while it runs. */
  chromiumProcesses: number;
  chromiumPssMiB: number;
  errors: number;
  firstError?: string;
}

/** Columns of the report. */
export const BROWSER_COLUMNS: Column<BrowserFigures>[] = [
  { header: "Browser transport", value: (f) => `${f.id}` },
  { header: "direct p50 / p95", value: (f) => `${num(f.direct.p50)} / ${num(f.directP95)} ms` },
  { header: "page p50 / p95", value: (f) => `${num(f.page.p50)} / ${num(f.pageP95)} ms` },
  { header: "added p50 / p95", value: (f) => `${num(f.addedP50)} / ${num(f.addedP95)} ms` },
  { header: "first page call", value: (f) => `${num(f.coldMs)} ms` },
  {
    header: "server RSS before / running / closed",
    value: (f) =>
      `${num(f.serverRssMiB.before, 1)} / ${num(f.serverRssMiB.running, 1)} / ${
        num(f.serverRssMiB.afterClose, 1)
      } MiB`,
  },
  {
    header: "Chromium PSS",
    value: (f) => `${num(f.chromiumPssMiB, 1)} MiB (${f.chromiumProcesses} processes)`,
  },
];

/** The targets of issue 12 this case measures. */
export function browserTargets(figures: BrowserFigures | undefined): TargetResult[] {
  return [
    checkTarget("call through the page, added p50 (warm)", figures?.addedP50, "<=", 300, "ms"),
  ];
}

async function adminHeaders(url: string): Promise<Record<string, string>> {
  const response = await fetch(`${url}/api/admin/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: url },
    body: JSON.stringify(ADMIN),
  });
  if (!response.ok) throw new Error(`Console login failed: HTTP ${response.status}`);
  const cookie = response.headers.get("set-cookie")!.split(";")[0];
  const { csrfToken } = await response.json();
  return { Cookie: cookie, "X-CSRF-Token": csrfToken, Origin: url };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the case on a server of its own. */
export async function runBrowserScenario(
  ctx: BenchContext,
  scenario: BrowserScenario,
  env: Record<string, string>,
): Promise<BrowserFigures> {
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-bench-browser-" });
  const server = await spawnServer({
    env: {
      ...env,
      DATA_DIR: dataDir,
      CHROMIUM_PATH: Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium",
      BROWSER_IDLE_CLOSE_S: String(IDLE_CLOSE_S),
      ADMIN_USER: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      DAILY_CLAIM: "false",
      ACCOUNT_CHECK_INTERVAL_MIN: "0",
    },
    keepLines: 200,
  });
  const client = new OpenAI({ apiKey: ctx.sessionId, baseURL: `${server.url}/v1`, maxRetries: 0 });
  let errors = 0;
  let firstError: string | undefined;
  const generate = async (prompt: string): Promise<number | undefined> => {
    const started = performance.now();
    try {
      await client.images.generate({ prompt });
      return performance.now() - started;
    } catch (error) {
      errors++;
      firstError ??= (error as Error).message;
      return undefined;
    }
  };
  const series = async (label: string, count: number): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const ms = await generate(`${label} ${i}`);
      if (ms !== undefined) samples.push(ms);
    }
    return samples;
  };
  // The fake answers at once, so the latencies are the gateway's and the page's own.
  const latencyBefore = ctx.fake.knobs.imageLatencyMs;
  ctx.fake.knobs.imageLatencyMs = 0;
  try {
    await series("warm-up direct", 5);
    const direct = await series("direct", scenario.calls);
    const before = readStatusBytes(server.pid) ?? NaN;

    const headers = await adminHeaders(server.url);
    const changed = await fetch(`${server.url}/api/admin/settings/JIMENG_BROWSER_TRANSPORT`, {
      method: "PUT",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ value: "always" }),
    });
    if (!changed.ok) throw new Error(`Switching the mode failed: HTTP ${changed.status}`);
    await changed.body?.cancel();
    ctx.progress(`${scenario.id}: direct p50 ${num(summarize(direct).p50)} ms; starting Chromium`);
    const coldMs = await generate("first through the page") ?? NaN;
    await series("warm-up page", 3);
    const page = await series("page", scenario.calls);

    const running = readStatusBytes(server.pid) ?? NaN;
    const chromium = readDescendants(server.pid);
    const pss = chromium.reduce((sum, pid) => sum + (readRollupBytes(pid) ?? 0), 0);
    // The idle close ends Chromium; then the server's own memory is what remains.
    const deadline = Date.now() + (IDLE_CLOSE_S + 20) * 1000;
    while (readDescendants(server.pid).length > 0 && Date.now() < deadline) await sleep(200);
    await sleep(500);
    const afterClose = readStatusBytes(server.pid) ?? NaN;

    const directSummary = summarize(direct);
    const pageSummary = summarize(page);
    return {
      id: scenario.id,
      calls: scenario.calls,
      direct: directSummary,
      page: pageSummary,
      coldMs,
      directP95: percentile(direct, 95),
      pageP95: percentile(page, 95),
      addedP50: pageSummary.p50 - directSummary.p50,
      addedP95: percentile(page, 95) - percentile(direct, 95),
      serverRssMiB: { before: mib(before), running: mib(running), afterClose: mib(afterClose) },
      chromiumProcesses: chromium.length,
      chromiumPssMiB: mib(pss),
      errors,
      firstError,
    };
  } finally {
    ctx.fake.knobs.imageLatencyMs = latencyBefore;
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

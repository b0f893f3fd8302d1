/**
 * `deno task bench`: starts the fake upstream in this process and the server
 * as a child process against it, measures start-up and idle memory, runs the
 * image scenarios, the video case (a fresh server of its own), the cold case
 * (fresh processes and their first generation) and the database case (in
 * this process, on its own file), and prints tables, the targets of issues
 * 2–4 and 11 with PASS/MISS marks and one summary line.
 *
 *     deno task bench [--quick] [--scenario c=16,lat=3500]... [--json path]
 *
 * Scenarios: `c=<clients>,lat=<ms>` (images), `videos=<jobs>` (videos),
 * `cold=<run ms>[,queue=<ms>]` (cold), `db=<rows>` (database), `page=<calls>` (the browser
 * transport; needs Chromium).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startFakeUpstream } from "../tests/fake_upstream/server.ts";
import { upstreamEnv } from "../tests/helpers/stack.ts";
import {
  IMAGE_COLUMNS,
  type ImageFigures,
  imageScenarios,
  imageTargets,
  runImageScenario,
  warmupFor,
} from "./images.ts";
import {
  COLD_COLUMNS,
  type ColdFigures,
  coldScenarios,
  coldTargets,
  runColdScenario,
} from "./cold.ts";
import {
  type DatabaseFigures,
  databaseScenarios,
  databaseSummary,
  databaseTargets,
  QUERY_COLUMNS,
  runDatabaseScenario,
} from "./database.ts";
import {
  BROWSER_COLUMNS,
  type BrowserFigures,
  browserScenarios,
  browserTargets,
  runBrowserScenario,
} from "./browser.ts";
import { clockTicksPerSecond, mib, percentile, readStatusBytes } from "./measure.ts";
import {
  checkTarget,
  formatTable,
  formatTargets,
  num,
  summaryLine,
  type TargetResult,
} from "./report.ts";
import { type BenchContext, parseScenarioFilter, selects } from "./scenario.ts";
import { type ServerProcess, spawnServer } from "../tests/helpers/server_process.ts";
import {
  DENSE_POLL_MS,
  runVideoScenario,
  VIDEO_COLUMNS,
  type VideoFigures,
  videoScenarios,
  videoTargets,
} from "./videos.ts";

const USAGE = `Usage: deno task bench [options]
  --quick               short runs (CI smoke)
  --scenario FILTER     run only matching scenarios (repeatable), e.g. c=16,lat=3500 or
                        lat=0 (images), videos=50 (videos), cold=3500 or queue=4000
                        (first generation of a fresh process), db=1000000 (database),
                        page=40 (browser transport)
  --json PATH           also write the figures as JSON to PATH
  --log-level LEVEL     the server's LOG_LEVEL (default warn)
  --help                this text`;

/** Time allowed for the server to settle before idle memory is read. */
const IDLE_SETTLE_MS = 1000;

function options() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      scenario: { type: "string", multiple: true, default: [] },
      json: { type: "string" },
      "log-level": { type: "string", default: "warn" },
      help: { type: "boolean", default: false },
    },
  });
  return {
    quick: values.quick!,
    filters: values.scenario!.map(parseScenarioFilter),
    json: values.json,
    logLevel: values["log-level"]!,
    help: values.help!,
  };
}

const progress = (line: string) => console.error(`[bench] ${line}`);

async function main(): Promise<number> {
  let opts;
  try {
    opts = options();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const began = performance.now();
  const scenarios = imageScenarios(opts.quick).filter((s) => selects(opts.filters, s.params));
  const videoCases = videoScenarios(opts.quick).filter((s) => selects(opts.filters, s.params));
  const dbCases = databaseScenarios(opts.quick).filter((s) => selects(opts.filters, s.params));
  const coldCases = coldScenarios(opts.quick).filter((s) => selects(opts.filters, s.params));
  const pageCases = browserScenarios(opts.quick).filter((s) => selects(opts.filters, s.params));
  if (
    scenarios.length + videoCases.length + coldCases.length + dbCases.length + pageCases.length ===
      0
  ) {
    console.error(`No scenario matches ${Deno.args.join(" ")}`);
    return 2;
  }

  const ticksPerSecond = await clockTicksPerSecond();
  const fake = await startFakeUpstream();
  const sessionId = crypto.randomUUID().replaceAll("-", "");
  fake.addSession(sessionId, { credits: 1_000_000_000 });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-bench-" });
  const env = {
    ...upstreamEnv(fake.url, dataDir),
    LOG_LEVEL: opts.logLevel,
    // Jimeng's links name the record, which the delivery figures are measured from; the
    // default (this server's /media/ links) also waits for the local copy first.
    MEDIA_URLS: "upstream",
  };

  let server: ServerProcess | undefined;
  try {
    // Several starts: the first one also creates and migrates the database.
    const startTrials: number[] = [];
    const starts = opts.quick ? 1 : 3;
    for (let i = 0; i < starts; i++) {
      server = await spawnServer({ env, keepLines: 200 });
      startTrials.push(server.startMs);
      if (i < starts - 1) await server.stop();
    }
    progress(
      `server pid ${server!.pid} at ${server!.url}; start → /ping ${
        startTrials.map((ms) => ms.toFixed(0)).join(", ")
      } ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const idleRss = readStatusBytes(server!.pid) ?? NaN;

    const ctx: BenchContext = {
      fake,
      server: server!,
      sessionId,
      ticksPerSecond,
      quick: opts.quick,
      progress,
    };
    const figures: ImageFigures[] = [];
    for (const [i, scenario] of scenarios.entries()) {
      const warmup = warmupFor(scenarios[i - 1], scenario);
      progress(
        `${scenario.id}: warm-up ${warmup.rounds}×${warmup.width}, then ${scenario.count} generations`,
      );
      const result = await runImageScenario(ctx, scenario, warmup);
      figures.push(result);
      progress(
        `${scenario.id}: p50 ${num(result.latency.p50)} ms, ${
          num(result.throughput, 1)
        } gen/s, fin→dlv p50 ${num(result.delivered.p50)} ms, ${result.errors} errors`,
      );
      if (result.firstError) progress(`${scenario.id}: first error: ${result.firstError}`);
      if (!server!.running()) {
        throw new Error(`The server exited:\n${server!.lines().slice(-20).join("\n")}`);
      }
    }
    const lifetimePeak = readStatusBytes(server!.pid, "VmHWM") ?? NaN;
    const serverLines = server!.lines().filter((line) => line.trim() !== "");
    const serverLineCount = server!.lineCount();
    await server!.stop();
    server = undefined;

    const videos: VideoFigures[] = [];
    for (const scenario of videoCases) {
      videos.push(...await runVideoScenario(ctx, scenario, env));
    }
    const cold: ColdFigures[] = [];
    for (const scenario of coldCases) cold.push(...await runColdScenario(ctx, scenario, env));
    let database: DatabaseFigures | undefined;
    for (const scenario of dbCases) database = await runDatabaseScenario(ctx, scenario);
    let browser: BrowserFigures | undefined;
    for (const scenario of pageCases) {
      browser = await runBrowserScenario(ctx, scenario, env);
      if (browser.firstError) progress(`${scenario.id}: first error: ${browser.firstError}`);
    }
    const imageP50 = figures.find((f) => f.concurrency === 1 && f.latencyMs === 0)?.latency.p50;

    const startMs = percentile(startTrials, 50);
    const targets: TargetResult[] = [
      checkTarget("start → first /ping (median)", startMs, "<=", 300, "ms"),
      checkTarget("idle RSS after start (browser transport unused)", mib(idleRss), "<=", 70, "MiB"),
      ...imageTargets(figures),
      ...videoTargets(videos),
      ...(coldCases.length ? coldTargets(cold) : []),
      ...databaseTargets(database),
      ...browserTargets(browser),
    ];
    const seconds = (performance.now() - began) / 1000;
    const summary = summaryLine(targets, seconds);

    console.log(
      `jimeng-api benchmark — ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}, ${
        opts.quick ? "quick" : "full"
      } run`,
    );
    console.log(
      `start → first /ping: ${startTrials.map((ms) => ms.toFixed(0)).join(", ")} ms (median ${
        num(startMs)
      }); idle RSS ${num(mib(idleRss), 1)} MiB; lifetime peak RSS ${num(mib(lifetimePeak), 1)} MiB`,
    );
    if (figures.length > 0) {
      console.log("");
      console.log(formatTable(IMAGE_COLUMNS, figures));
      console.log("");
      console.log(
        [
          "latency: client-side, end to end; CPU: /proc/<pid>/stat, bench = clients + fake upstream;",
          "other load: CPU the rest of the machine used meanwhile, % of all cores;",
          "polls: times a poll asked for a generation's record; fin→dlv: client received − upstream finishAt",
        ].join("\n"),
      );
    }
    if (videos.length > 0) {
      console.log("");
      console.log(formatTable(VIDEO_COLUMNS, videos));
      console.log("");
      console.log(
        [
          "videos: a fresh server; cold = its first batch (no duration learned), warm = the next one;",
          "jobs created with the openai SDK (videos.create), followed with raw fetch GET /v1/videos/{id}:",
          `every 1 s, then every ${DENSE_POLL_MS} ms from 1 s before the fake's finishAt;`,
          "fin→visible: first GET answer showing completed − finishAt (upper bound); lower bound: the",
          "last GET still showing it running was sent − finishAt; client step: upper − lower;",
          "seen upstream: the server's first poll that returned it finished − finishAt;",
          "srv CPU includes answering the client's GETs",
        ].join("\n"),
      );
    }
    if (cold.length > 0) {
      console.log("");
      console.log(formatTable(COLD_COLUMNS, cold));
      console.log("");
      console.log(
        [
          "cold: a fresh server process and its first image generation (POST /v1/images/generations,",
          "the default model, typical guess 12 s); after restart = its DATA_DIR holds what an earlier",
          "process learned from a few generations; empty database = nothing was ever learned;",
          "fin→dlv: client received − upstream finishAt; polls: times a poll asked for the record",
        ].join("\n"),
      );
    }
    if (database) {
      console.log("");
      console.log(formatTable(QUERY_COLUMNS, database.queries));
      console.log("");
      console.log(databaseSummary(database, imageP50));
    }
    if (browser) {
      console.log("");
      console.log(formatTable(BROWSER_COLUMNS, [browser]));
      console.log("");
      console.log(
        [
          "browser transport: a fresh server with Chromium; image generations one at a time, the fake",
          "answering at once; first sent directly, then with JIMENG_BROWSER_TRANSPORT=always (set in the",
          "console) so each submit goes through the site's page; added = page − direct; first page call",
          "= Chromium started and the page opened; Chromium PSS summed over its processes; server RSS",
          `'closed' = after the idle close (BROWSER_IDLE_CLOSE_S=3) ended Chromium`,
        ].join("\n"),
      );
    }
    if (serverLines.length > 0) {
      console.log(
        `\nthe server wrote ${serverLineCount} lines; the last: ${serverLines.at(-1)}`,
      );
    }
    console.log("");
    console.log(formatTargets(targets));
    console.log("");
    console.log(summary);

    if (opts.json) {
      const report = {
        date: new Date().toISOString(),
        machine: {
          cpus: navigator.hardwareConcurrency,
          deno: Deno.version.deno,
          kernel: Deno.osRelease(),
        },
        quick: opts.quick,
        logLevel: opts.logLevel,
        startMs: { trials: startTrials, median: startMs },
        idleRssMiB: mib(idleRss),
        lifetimePeakRssMiB: mib(lifetimePeak),
        images: figures,
        videos,
        cold,
        database,
        browser,
        targets,
        summary,
        durationS: seconds,
      };
      await Deno.writeTextFile(opts.json, JSON.stringify(report, null, 2) + "\n");
      progress(`figures written to ${opts.json}`);
    }
    // Slow figures are reported, not fatal (CI machines differ); failed requests are.
    const failed = figures.some((f) => f.errors > 0) || videos.some((f) => f.failed > 0) ||
      cold.some((f) => f.failed > 0) || (browser?.errors ?? 0) > 0;
    return failed ? 1 : 0;
  } finally {
    await server?.stop();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

Deno.exit(await main());

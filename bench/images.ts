/**
 * The image scenarios: N concurrent clients calling
 * `POST /v1/images/generations` (n=1) while the fake upstream takes a given
 * time per generation; end-to-end latency, throughput, the server's CPU and
 * memory, upstream polls, and how long after the upstream finished the
 * client had its answer.
 * @module
 */
import {
  mib,
  readCpuMs,
  readMachineBusyMs,
  startRssSampler,
  summarize,
  type Summary,
} from "./measure.ts";
import { checkTarget, type Column, num, type TargetResult } from "./report.ts";
import type { BenchContext, ScenarioFilter } from "./scenario.ts";

const HISTORY_PATH = "/mweb/v1/get_history_by_ids";

/** One image scenario. */
export interface ImageScenario {
  id: string;
  /** `{ c, lat }`, what `--scenario` matches. */
  params: ScenarioFilter;
  concurrency: number;
  /** Upstream generation latency (`knobs.imageLatencyMs`). */
  latencyMs: number;
  /** Generations measured. */
  count: number;
}

/** Generations run before a scenario and not measured. */
export interface Warmup {
  rounds: number;
  /** Clients, each running one generation per round. */
  width: number;
}

/** What one scenario measured. */
export interface ImageFigures {
  id: string;
  concurrency: number;
  latencyMs: number;
  generations: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  /** End-to-end latency of successful generations, ms. */
  latency: Summary;
  /** Successful generations per second. */
  throughput: number;
  serverCpuMsPerGen: number;
  /** CPU of the bench process (clients and fake upstream) per generation. */
  benchCpuMsPerGen: number;
  /**
   * CPU used by everything else on the machine during the run, in % of all
   * cores: other work on a shared machine skews the figures.
   */
  otherLoadPercent: number;
  rssPeakMiB: number;
  /** Times a poll asked for a generation's record, mean and max. */
  pollsPerGen: number;
  maxPollsPerGen: number;
  /** `get_history_by_ids` calls per generation (below polls when polls are batched). */
  historyCallsPerGen: number;
  /** Client received the answer − the fake's `finishAt`, ms. */
  delivered: Summary;
  warmup: Warmup;
  /** The same for the unmeasured warm-up generations (the poller still learning). */
  warmupDelivered: Summary;
}

/** [concurrency, upstream latency ms, measured generations] */
type PlanRow = [number, number, number];

const FULL_PLAN: PlanRow[] = [
  [1, 0, 200],
  [16, 0, 1000],
  [64, 0, 2000],
  [1, 3500, 10],
  [16, 3500, 64],
  [64, 3500, 192],
];

const QUICK_PLAN: PlanRow[] = [
  [1, 0, 30],
  [16, 0, 160],
  [64, 0, 320],
  [1, 3500, 3],
  [16, 3500, 16],
  [64, 3500, 64],
];

/** The scenario grid: concurrency 1, 16, 64 × latency 0 and 3500 ms. */
export function imageScenarios(quick: boolean): ImageScenario[] {
  return (quick ? QUICK_PLAN : FULL_PLAN).map(([concurrency, latencyMs, count]) => ({
    id: `c=${concurrency},lat=${latencyMs}`,
    params: { c: concurrency, lat: latencyMs },
    concurrency,
    latencyMs,
    count,
  }));
}

/** Rounds of warm-up after the upstream latency changed. */
const SETTLE_ROUNDS = 3;
/** Width of those rounds (see {@linkcode warmupFor}). */
const SETTLE_WIDTH = 16;

/**
 * The warm-up before `scenario`, given the scenario run before it. The poller
 * learns a model's duration from completed generations, so after the latency
 * knob changes it needs a few rounds before its schedule is the steady one
 * this benchmark measures (the "warm-up" column shows the cost). A round of
 * 16 parallel generations teaches it in one upstream latency what 16
 * sequential ones would; measured: three such rounds settle it from any
 * earlier estimate, two do not always. At an unchanged latency one round at
 * the scenario's own concurrency suffices.
 */
export function warmupFor(previous: ImageScenario | undefined, scenario: ImageScenario): Warmup {
  if (previous?.latencyMs === scenario.latencyMs) return { rounds: 1, width: scenario.concurrency };
  return { rounds: SETTLE_ROUNDS, width: Math.max(SETTLE_WIDTH, scenario.concurrency) };
}

/** One generation as the client saw it. */
export interface Sample {
  ok: boolean;
  ms: number;
  /** `Date.now()` when the answer was complete. */
  receivedAt: number;
  historyId?: string;
  error?: string;
}

/** One `POST /v1/images/generations` (n=1) of the default model to `ctx.server`. */
export async function generateOnce(ctx: BenchContext, index: number): Promise<Sample> {
  const started = performance.now();
  try {
    const response = await fetch(`${ctx.server.url}/v1/images/generations`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ctx.sessionId}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ prompt: `a benchmark lighthouse, take ${index}`, n: 1 }),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    const receivedAt = Date.now();
    const ms = performance.now() - started;
    if (!response.ok) {
      return { ok: false, ms, receivedAt, error: `HTTP ${response.status}: ${text.slice(0, 300)}` };
    }
    const url = JSON.parse(text)?.data?.[0]?.url;
    const match = typeof url === "string" ? /\/cdn\/image\/(\d+)\//.exec(url) : null;
    if (!match) {
      return { ok: false, ms, receivedAt, error: `Unexpected answer: ${text.slice(0, 300)}` };
    }
    return { ok: true, ms, receivedAt, historyId: match[1] };
  } catch (error) {
    return {
      ok: false,
      ms: performance.now() - started,
      receivedAt: Date.now(),
      error: String(error),
    };
  }
}

/** Runs `count` generations on `concurrency` clients, each starting the next when one ends. */
async function runLoad(ctx: BenchContext, concurrency: number, count: number): Promise<Sample[]> {
  let next = 0;
  const samples: Sample[] = [];
  const client = async () => {
    while (next < count) samples.push(await generateOnce(ctx, next++));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  return samples;
}

function deliveryDelays(ctx: BenchContext, samples: readonly Sample[]): number[] {
  const delays: number[] = [];
  for (const sample of samples) {
    const record = sample.historyId ? ctx.fake.record(sample.historyId) : undefined;
    if (record) delays.push(sample.receivedAt - record.finishAt);
  }
  return delays;
}

/** Runs one scenario against the stack. */
export async function runImageScenario(
  ctx: BenchContext,
  scenario: ImageScenario,
  warmup: Warmup,
): Promise<ImageFigures> {
  const { fake, server } = ctx;
  fake.knobs.imageLatencyMs = scenario.latencyMs;
  const warm: Sample[] = [];
  for (let round = 0; round < warmup.rounds; round++) {
    warm.push(...await runLoad(ctx, warmup.width, warmup.width));
  }

  fake.resetStats();
  const cpuBefore = readCpuMs(server.pid, ctx.ticksPerSecond);
  const benchCpuBefore = readCpuMs(Deno.pid, ctx.ticksPerSecond);
  const machineBefore = readMachineBusyMs(ctx.ticksPerSecond);
  const rss = startRssSampler(server.pid);
  const started = performance.now();
  const samples = await runLoad(ctx, scenario.concurrency, scenario.count);
  const wallMs = performance.now() - started;
  const rssPeak = rss.stop();
  const cpuMs = readCpuMs(server.pid, ctx.ticksPerSecond) - cpuBefore;
  const benchCpuMs = readCpuMs(Deno.pid, ctx.ticksPerSecond) - benchCpuBefore;
  const otherCpuMs = readMachineBusyMs(ctx.ticksPerSecond) - machineBefore - cpuMs - benchCpuMs;

  const ok = samples.filter((s) => s.ok);
  const failed = [...warm, ...samples].filter((s) => !s.ok);
  const polls = ok.map((s) => fake.stats.historyIdsPolled[s.historyId!] ?? 0);
  const generations = Math.max(ok.length, 1);
  return {
    id: scenario.id,
    concurrency: scenario.concurrency,
    latencyMs: scenario.latencyMs,
    generations: ok.length,
    errors: failed.length,
    firstError: failed[0]?.error,
    wallMs,
    latency: summarize(ok.map((s) => s.ms)),
    throughput: ok.length / (wallMs / 1000),
    serverCpuMsPerGen: cpuMs / generations,
    benchCpuMsPerGen: benchCpuMs / generations,
    otherLoadPercent: Math.max(0, otherCpuMs) / (wallMs * navigator.hardwareConcurrency) * 100,
    rssPeakMiB: mib(rssPeak),
    pollsPerGen: polls.reduce((a, b) => a + b, 0) / generations,
    maxPollsPerGen: Math.max(0, ...polls),
    historyCallsPerGen: (fake.stats.calls[HISTORY_PATH] ?? 0) / generations,
    delivered: summarize(deliveryDelays(ctx, ok)),
    warmup,
    warmupDelivered: summarize(deliveryDelays(ctx, warm.filter((s) => s.ok))),
  };
}

/** The columns of the image table. */
export const IMAGE_COLUMNS: Column<ImageFigures>[] = [
  { header: "scenario", value: (f) => f.id },
  { header: "gens", value: (f) => String(f.generations) },
  { header: "err", value: (f) => String(f.errors) },
  { header: "p50 ms", value: (f) => num(f.latency.p50) },
  { header: "p90 ms", value: (f) => num(f.latency.p90) },
  { header: "p99 ms", value: (f) => num(f.latency.p99) },
  { header: "gen/s", value: (f) => num(f.throughput, 1) },
  { header: "srv CPU ms/gen", value: (f) => num(f.serverCpuMsPerGen, 2) },
  { header: "bench CPU ms/gen", value: (f) => num(f.benchCpuMsPerGen, 2) },
  { header: "other load %", value: (f) => num(f.otherLoadPercent) },
  { header: "RSS peak MiB", value: (f) => num(f.rssPeakMiB, 1) },
  { header: "polls/gen (max)", value: (f) => `${num(f.pollsPerGen, 2)} (${f.maxPollsPerGen})` },
  { header: "history calls/gen", value: (f) => num(f.historyCallsPerGen, 2) },
  { header: "fin→dlv p50", value: (f) => num(f.delivered.p50) },
  { header: "fin→dlv p90", value: (f) => num(f.delivered.p90) },
  {
    header: "warm-up (fin→dlv max)",
    value: (f) => `${f.warmup.rounds}×${f.warmup.width} (${num(f.warmupDelivered.max)})`,
  },
];

/** The targets of issue 2 that concern images. */
export function imageTargets(figures: readonly ImageFigures[]): TargetResult[] {
  const find = (c: number, lat: number) =>
    figures.find((f) => f.concurrency === c && f.latencyMs === lat);
  const c1 = find(1, 0);
  const c64 = find(64, 0);
  const results = [
    checkTarget("lat=0 c=1: p50 latency", c1?.latency.p50, "<=", 150, "ms"),
    checkTarget("lat=0 c=64: p50 latency", c64?.latency.p50, "<=", 400, "ms"),
    checkTarget("lat=0 c=64: throughput", c64?.throughput, ">=", 120, "gen/s"),
  ];
  for (const c of [1, 16, 64]) {
    const f = find(c, 3500);
    results.push(
      checkTarget(`lat=3500 c=${c}: finished→delivered p50`, f?.delivered.p50, "<=", 200, "ms"),
      checkTarget(`lat=3500 c=${c}: polls per generation`, f?.pollsPerGen, "<=", 6, ""),
    );
  }
  const errors = figures.reduce((sum, f) => sum + f.errors, 0);
  results.push(
    checkTarget("image requests that failed", figures.length ? errors : undefined, "<=", 0, ""),
  );
  return results;
}

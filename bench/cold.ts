/**
 * The cold case (issue 11): how prompt is the first generation of a fresh
 * server process? For each upstream setting — 3.5 s of run time, 12 s, and
 * 3.5 s after 4 s in the upstream queue — a first process on a new DATA_DIR
 * learns the default image model from a few generations and stops; then, a
 * few times, a fresh process on that DATA_DIR makes one generation ("after a
 * restart"), and a fresh process on an empty DATA_DIR makes one ("empty
 * database": nothing was ever learned, the model's typical 12 s is the only
 * guess). Measured per first generation: upstream finished → the client had
 * its answer, and how often the server polled the record.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { generateOnce, type Sample } from "./images.ts";
import { summarize, type Summary } from "./measure.ts";
import { checkTarget, type Column, num, type TargetResult } from "./report.ts";
import type { BenchContext, ScenarioFilter } from "./scenario.ts";
import { spawnServer } from "../tests/helpers/server_process.ts";

/** The default image model's upstream key (what the poller learns under). */
const MODEL_KEY = "high_aes_general_v50";
/** Targets of a first generation. */
const MAX_DELIVERY_MS = 500;
const MAX_POLLS = 15;

/** One upstream setting. */
export interface ColdScenario {
  id: string;
  /** `{ cold: runMs, queue: queueMs }`, what `--scenario` matches. */
  params: ScenarioFilter;
  runMs: number;
  queueMs: number;
  /** Fresh processes per variant (one generation each). */
  trials: number;
  /** Rounds of two parallel generations the first process learns from. */
  teachRounds: number;
}

/** 3.5 s, 12 s, and 4 s queued + 3.5 s. */
export function coldScenarios(quick: boolean): ColdScenario[] {
  const [trials, teachRounds] = quick ? [1, 1] : [3, 2];
  return ([[3500, 0], [12_000, 0], [3500, 4000]] as const).map(([runMs, queueMs]) => ({
    id: queueMs ? `cold=${runMs},queue=${queueMs}` : `cold=${runMs}`,
    params: { cold: runMs, queue: queueMs },
    runMs,
    queueMs,
    trials,
    teachRounds,
  }));
}

/** What one variant of a scenario measured. */
export interface ColdFigures {
  id: string;
  variant: "after restart" | "empty database";
  runMs: number;
  queueMs: number;
  trials: number;
  failed: number;
  firstError?: string;
  /** Upstream finished (`finishAt`) → the client had the answer, ms. */
  delivered: Summary;
  /** Polls of the record (`historyIdsPolled`). */
  polls: Summary;
  /** Client-side latency, ms. */
  latency: Summary;
  /** The run time the server had stored before the restarts (ms), if any. */
  storedRunMs?: number;
}

function storedRunMs(dataDir: string): number | undefined {
  const db = new DatabaseSync(`${dataDir}/jimeng.db`, { readOnly: true });
  try {
    const row = db.prepare("SELECT run_ms FROM poll_estimates WHERE model_key = ?")
      .get(MODEL_KEY) as { run_ms: number } | undefined;
    return row?.run_ms;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

/** A fresh server process on `dataDir`: its first generation, then it stops. */
async function firstGeneration(
  ctx: BenchContext,
  env: Record<string, string>,
  dataDir: string,
  index: number,
): Promise<Sample> {
  const server = await spawnServer({ env: { ...env, DATA_DIR: dataDir }, keepLines: 200 });
  try {
    return await generateOnce({ ...ctx, server }, index);
  } finally {
    await server.stop();
  }
}

function figures(
  ctx: BenchContext,
  scenario: ColdScenario,
  variant: ColdFigures["variant"],
  samples: Sample[],
): ColdFigures {
  const ok = samples.filter((s) => s.ok);
  const failed = samples.filter((s) => !s.ok);
  const delivered: number[] = [];
  const polls: number[] = [];
  for (const sample of ok) {
    const record = ctx.fake.record(sample.historyId!);
    if (!record) continue;
    delivered.push(sample.receivedAt - record.finishAt);
    polls.push(ctx.fake.stats.historyIdsPolled[sample.historyId!] ?? 0);
  }
  return {
    id: scenario.id,
    variant,
    runMs: scenario.runMs,
    queueMs: scenario.queueMs,
    trials: samples.length,
    failed: failed.length,
    firstError: failed[0]?.error,
    delivered: summarize(delivered),
    polls: summarize(polls),
    latency: summarize(ok.map((s) => s.ms)),
  };
}

/** Runs one upstream setting: the learning process, the restarts, the empty databases. */
export async function runColdScenario(
  ctx: BenchContext,
  scenario: ColdScenario,
  env: Record<string, string>,
): Promise<ColdFigures[]> {
  const { fake } = ctx;
  const before = { image: fake.knobs.imageLatencyMs, queue: fake.knobs.queueMs };
  fake.knobs.imageLatencyMs = scenario.runMs;
  fake.knobs.queueMs = scenario.queueMs;
  const learnedDir = await Deno.makeTempDir({ prefix: "jimeng-bench-cold-" });
  let index = 0;
  try {
    ctx.progress(
      `${scenario.id}: a first process learns from ${scenario.teachRounds}×2 generations`,
    );
    const teacher = await spawnServer({ env: { ...env, DATA_DIR: learnedDir }, keepLines: 200 });
    const taught: Sample[] = [];
    try {
      for (let round = 0; round < scenario.teachRounds; round++) {
        taught.push(
          ...await Promise.all([
            generateOnce({ ...ctx, server: teacher }, index++),
            generateOnce({ ...ctx, server: teacher }, index++),
          ]),
        );
      }
    } finally {
      await teacher.stop();
    }
    const stored = storedRunMs(learnedDir);
    const restarted: Sample[] = [];
    for (let trial = 0; trial < scenario.trials; trial++) {
      restarted.push(await firstGeneration(ctx, env, learnedDir, index++));
    }
    const empty: Sample[] = [];
    for (let trial = 0; trial < scenario.trials; trial++) {
      const dir = await Deno.makeTempDir({ prefix: "jimeng-bench-empty-" });
      try {
        empty.push(await firstGeneration(ctx, env, dir, index++));
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
    const teaching = taught.filter((s) => !s.ok);
    const afterRestart = figures(ctx, scenario, "after restart", restarted);
    const results = [
      {
        ...afterRestart,
        failed: afterRestart.failed + teaching.length,
        firstError: afterRestart.firstError ?? teaching[0]?.error,
        storedRunMs: stored,
      },
      figures(ctx, scenario, "empty database", empty),
    ];
    for (const f of results) {
      ctx.progress(
        `${f.id} ${f.variant}: fin→dlv p50 ${num(f.delivered.p50)} max ${
          num(f.delivered.max)
        } ms, polls max ${num(f.polls.max)}${f.firstError ? `; first error: ${f.firstError}` : ""}`,
      );
    }
    return results;
  } finally {
    fake.knobs.imageLatencyMs = before.image;
    fake.knobs.queueMs = before.queue;
    await Deno.remove(learnedDir, { recursive: true }).catch(() => {});
  }
}

/** The columns of the cold table. */
export const COLD_COLUMNS: Column<ColdFigures>[] = [
  {
    header: "first generation",
    value: (f) => `${f.queueMs ? `${f.queueMs / 1000} s queued + ` : ""}${f.runMs / 1000} s`,
  },
  { header: "process starts on", value: (f) => f.variant },
  { header: "trials", value: (f) => String(f.trials) },
  { header: "failed", value: (f) => String(f.failed) },
  { header: "fin→dlv p50", value: (f) => num(f.delivered.p50) },
  { header: "max", value: (f) => num(f.delivered.max) },
  { header: "polls p50", value: (f) => num(f.polls.p50) },
  { header: "max", value: (f) => num(f.polls.max) },
  { header: "latency p50 ms", value: (f) => num(f.latency.p50) },
  { header: "stored run ms", value: (f) => num(f.storedRunMs) },
];

/** The targets of issue 11: a fresh process's first generation, as prompt as a warm one. */
export function coldTargets(figures: readonly ColdFigures[]): TargetResult[] {
  const results: TargetResult[] = [];
  for (const f of figures) {
    const name = `${f.id} ${f.variant}`;
    results.push(
      checkTarget(`${name}: finished→delivered max`, f.delivered.max, "<=", MAX_DELIVERY_MS, "ms"),
    );
    if (f.variant === "after restart") {
      results.push(checkTarget(`${name}: polls max`, f.polls.max, "<=", MAX_POLLS, ""));
    }
  }
  const failed = figures.length ? figures.reduce((sum, f) => sum + f.failed, 0) : undefined;
  results.push(checkTarget("cold: generations that failed", failed, "<=", 0, ""));
  return results;
}

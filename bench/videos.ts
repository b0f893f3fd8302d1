/**
 * The video case (issue 3): N concurrent jobs through the OpenAI video API
 * (`POST /v1/videos` with the official `openai` SDK) while the fake upstream
 * takes a given time per video, on a fresh server: a cold batch (nothing
 * learned about the model's duration) and then a warm one. Measured: jobs
 * completed and failed; the delay from the instant the fake's record turned
 * finished (`finishAt`) to the first `GET /v1/videos/{id}` that showed
 * `completed`; upstream polls per job and ids per call; the server's CPU and
 * memory.
 *
 * The client polls `GET /v1/videos/{id}` with raw `fetch` (the SDK's retry
 * and parsing layers add nothing to measure here): every second until one
 * second before the job's `finishAt`, then every {@linkcode DENSE_POLL_MS}.
 * The figure reported is the conservative upper bound (answer received −
 * finishAt); the lower bound (the previous, still running answer was
 * requested − finishAt) is reported next to it, so the client's own polling
 * granularity is visible.
 * @module
 */
import OpenAI from "openai";
import {
  mib,
  readCpuMs,
  readStatusBytes,
  startRssSampler,
  summarize,
  type Summary,
} from "./measure.ts";
import { checkTarget, type Column, num, type TargetResult } from "./report.ts";
import type { BenchContext, ScenarioFilter } from "./scenario.ts";
import { type ServerProcess, spawnServer } from "../tests/helpers/server_process.ts";

const HISTORY_PATH = "/mweb/v1/get_history_by_ids";
/** The client's step near the finish. */
export const DENSE_POLL_MS = 50;
/** The client's step before that. */
const SPARSE_POLL_MS = 1000;
/** Dense polling starts this long before the fake's finishAt. */
const DENSE_LEAD_MS = 1000;
const VIDEO_MODEL = "jimeng-video-3.0";

/** The video case. */
export interface VideoScenario {
  id: string;
  params: ScenarioFilter;
  jobs: number;
  /** `knobs.videoLatencyMs`. */
  latencyMs: number;
}

/** The case: 50 jobs at 20 s (quick: 10 at 5 s). */
export function videoScenarios(quick: boolean): VideoScenario[] {
  const [jobs, latencyMs] = quick ? [10, 5000] : [50, 20_000];
  return [{
    id: `videos=${jobs},lat=${latencyMs}`,
    params: { videos: jobs, lat: latencyMs },
    jobs,
    latencyMs,
  }];
}

/** What one batch measured. */
export interface VideoFigures {
  id: string;
  /** "cold" (fresh server) or "warm" (after the cold batch). */
  phase: "cold" | "warm";
  jobs: number;
  latencyMs: number;
  completed: number;
  failed: number;
  firstError?: string;
  /** Create of the first job → last job completed, ms. */
  wallMs: number;
  /** finishAt → first GET answer showing completed (upper bound), ms. */
  visible: Summary;
  /** finishAt → the last GET still showing running was sent (lower bound, ≥ 0), ms. */
  visibleLowerBound: Summary;
  /** Upper − lower bound per job: the client's polling granularity, ms. */
  granularity: Summary;
  /** finishAt → the server's first poll that returned the record finished, ms. */
  seenUpstream: Summary;
  /** Ids asked per job (`historyIdsPolled`), mean and max. */
  pollsPerJob: number;
  maxPollsPerJob: number;
  /** `get_history_by_ids` calls, all and per job. */
  historyCalls: number;
  historyCallsPerJob: number;
  /** Ids per `get_history_by_ids` call, mean and max. */
  idsPerCall: number;
  maxIdsPerCall: number;
  /** `GET /v1/videos/{id}` the client sent. */
  clientGets: number;
  /** Server CPU over the batch (including answering the client's GETs), ms per job. */
  serverCpuMsPerJob: number;
  rssPeakMiB: number;
  /** VmRSS a second after the batch. */
  rssAfterMiB: number;
}

interface JobTrace {
  id?: string;
  prompt: string;
  status: string;
  error?: string;
  historyId?: string;
  finishAt?: number;
  /** Sent-at of the last GET that still showed the job running. */
  lastRunningSentAt?: number;
  /** Received-at of the first GET that showed it completed. */
  completedSeenAt?: number;
  gets: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Finds the fake's records of this batch by their unique prompts. */
function linkRecords(ctx: BenchContext, traces: JobTrace[]): void {
  const waiting = new Map(traces.filter((t) => !t.historyId).map((t) => [t.prompt, t]));
  if (waiting.size === 0) return;
  for (const record of ctx.fake.records()) {
    if (record.kind !== "video") continue;
    const trace = waiting.get(record.prompt);
    if (!trace) continue;
    trace.historyId = record.historyId;
    trace.finishAt = record.finishAt;
  }
}

async function followJob(
  server: ServerProcess,
  auth: string,
  trace: JobTrace,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    const sentAt = Date.now();
    const response = await fetch(`${server.url}/v1/videos/${trace.id}`, {
      headers: { authorization: auth },
    });
    const text = await response.text();
    const receivedAt = Date.now();
    trace.gets++;
    if (!response.ok) {
      trace.status = "failed";
      trace.error = `GET HTTP ${response.status}: ${text.slice(0, 300)}`;
      return;
    }
    const video = JSON.parse(text) as { status: string; error?: { message: string } | null };
    trace.status = video.status;
    if (video.status === "completed") {
      trace.completedSeenAt = receivedAt;
      return;
    }
    if (video.status === "failed") {
      trace.error = video.error?.message ?? "failed";
      return;
    }
    trace.lastRunningSentAt = sentAt;
    const dense = trace.finishAt !== undefined && receivedAt >= trace.finishAt - DENSE_LEAD_MS;
    const next = dense
      ? sentAt + DENSE_POLL_MS
      : Math.min(sentAt + SPARSE_POLL_MS, (trace.finishAt ?? Infinity) - DENSE_LEAD_MS);
    await sleep(next - Date.now());
  }
  trace.status = "timeout";
  trace.error = "the bench gave up waiting";
}

async function runBatch(
  ctx: BenchContext,
  server: ServerProcess,
  scenario: VideoScenario,
  phase: "cold" | "warm",
): Promise<VideoFigures> {
  const { fake } = ctx;
  fake.resetStats();
  const auth = `Bearer ${ctx.sessionId}`;
  const client = new OpenAI({
    apiKey: ctx.sessionId,
    baseURL: `${server.url}/v1`,
    maxRetries: 0,
    timeout: 60_000,
  });
  const tag = crypto.randomUUID().slice(0, 8);
  const traces: JobTrace[] = Array.from({ length: scenario.jobs }, (_, i) => ({
    prompt: `a benchmark harbour at dusk, ${phase} ${tag} take ${i}`,
    status: "new",
    gets: 0,
  }));
  const cpuBefore = readCpuMs(server.pid, ctx.ticksPerSecond);
  const rss = startRssSampler(server.pid);
  const started = performance.now();
  const deadline = Date.now() + scenario.latencyMs + 120_000;
  let linking = true;
  const linker = (async () => {
    while (linking) {
      linkRecords(ctx, traces);
      await sleep(100);
    }
  })();
  await Promise.all(traces.map(async (trace) => {
    try {
      const created = await client.videos.create({ model: VIDEO_MODEL, prompt: trace.prompt });
      trace.id = created.id;
      trace.status = created.status;
    } catch (error) {
      trace.status = "failed";
      trace.error = `create: ${String(error)}`;
      return;
    }
    await followJob(server, auth, trace, deadline);
  }));
  const wallMs = performance.now() - started;
  linking = false;
  await linker;
  linkRecords(ctx, traces);
  const rssPeak = rss.stop();
  const cpuMs = readCpuMs(server.pid, ctx.ticksPerSecond) - cpuBefore;
  await sleep(1000);
  const rssAfter = readStatusBytes(server.pid) ?? NaN;

  const done = traces.filter((t) => t.status === "completed" && t.finishAt !== undefined);
  const failed = traces.filter((t) => t.status !== "completed");
  const upper = done.map((t) => t.completedSeenAt! - t.finishAt!);
  const lower = done.map((t) => Math.max(0, (t.lastRunningSentAt ?? 0) - t.finishAt!));
  const seen = done.flatMap((t) => {
    const at = fake.record(t.historyId!)?.firstDeliveredAt;
    return at === undefined ? [] : [at - t.finishAt!];
  });
  const polls = traces.flatMap((t) =>
    t.historyId ? [fake.stats.historyIdsPolled[t.historyId] ?? 0] : []
  );
  const sizes = fake.stats.historyCallSizes;
  const calls = fake.stats.calls[HISTORY_PATH] ?? 0;
  const jobs = Math.max(1, traces.length);
  return {
    id: scenario.id,
    phase,
    jobs: traces.length,
    latencyMs: scenario.latencyMs,
    completed: traces.length - failed.length,
    failed: failed.length,
    firstError: failed[0]?.error,
    wallMs,
    visible: summarize(upper),
    visibleLowerBound: summarize(lower),
    granularity: summarize(upper.map((u, i) => u - lower[i])),
    seenUpstream: summarize(seen),
    pollsPerJob: polls.reduce((a, b) => a + b, 0) / Math.max(1, polls.length),
    maxPollsPerJob: Math.max(0, ...polls),
    historyCalls: calls,
    historyCallsPerJob: calls / jobs,
    idsPerCall: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length),
    maxIdsPerCall: Math.max(0, ...sizes),
    clientGets: traces.reduce((sum, t) => sum + t.gets, 0),
    serverCpuMsPerJob: cpuMs / jobs,
    rssPeakMiB: mib(rssPeak),
    rssAfterMiB: mib(rssAfter),
  };
}

/**
 * Runs the case on a fresh server (its own empty DATA_DIR, so nothing about
 * video durations is learned): the cold batch, then the warm one.
 */
export async function runVideoScenario(
  ctx: BenchContext,
  scenario: VideoScenario,
  env: Record<string, string>,
): Promise<VideoFigures[]> {
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-bench-videos-" });
  const server = await spawnServer({ env: { ...env, DATA_DIR: dataDir }, keepLines: 200 });
  ctx.fake.knobs.videoLatencyMs = scenario.latencyMs;
  try {
    const figures: VideoFigures[] = [];
    for (const phase of ["cold", "warm"] as const) {
      ctx.progress(`${scenario.id} ${phase}: ${scenario.jobs} jobs on server pid ${server.pid}`);
      const result = await runBatch(ctx, server, scenario, phase);
      figures.push(result);
      ctx.progress(
        `${scenario.id} ${phase}: ${result.completed}/${result.jobs} completed, visible p50 ${
          num(result.visible.p50)
        } ms (lower bound ${num(result.visibleLowerBound.p50)}), ${
          num(result.pollsPerJob, 1)
        } polls/job, ${result.historyCalls} history calls`,
      );
      if (result.firstError) {
        ctx.progress(`${scenario.id} ${phase}: first error: ${result.firstError}`);
      }
      if (!server.running()) {
        throw new Error(`The video server exited:\n${server.lines().slice(-20).join("\n")}`);
      }
    }
    return figures;
  } finally {
    ctx.fake.knobs.videoLatencyMs = 0;
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** The columns of the video table. */
export const VIDEO_COLUMNS: Column<VideoFigures>[] = [
  { header: "videos", value: (f) => `${f.id} ${f.phase}` },
  { header: "done", value: (f) => String(f.completed) },
  { header: "failed", value: (f) => String(f.failed) },
  { header: "fin→visible p50", value: (f) => num(f.visible.p50) },
  { header: "p90", value: (f) => num(f.visible.p90) },
  { header: "max", value: (f) => num(f.visible.max) },
  { header: "lower bound p50", value: (f) => num(f.visibleLowerBound.p50) },
  { header: "client step mean", value: (f) => num(f.granularity.mean) },
  { header: "fin→seen upstream p50", value: (f) => num(f.seenUpstream.p50) },
  { header: "polls/job (max)", value: (f) => `${num(f.pollsPerJob, 1)} (${f.maxPollsPerJob})` },
  {
    header: "history calls (/job)",
    value: (f) => `${f.historyCalls} (${num(f.historyCallsPerJob, 2)})`,
  },
  { header: "ids/call (max)", value: (f) => `${num(f.idsPerCall, 1)} (${f.maxIdsPerCall})` },
  { header: "client GETs", value: (f) => String(f.clientGets) },
  { header: "srv CPU ms/job", value: (f) => num(f.serverCpuMsPerJob, 1) },
  { header: "RSS peak MiB", value: (f) => num(f.rssPeakMiB, 1) },
  { header: "RSS after MiB", value: (f) => num(f.rssAfterMiB, 1) },
];

/** The targets of issue 3 that concern videos. */
export function videoTargets(figures: readonly VideoFigures[]): TargetResult[] {
  const cold = figures.find((f) => f.phase === "cold");
  const warm = figures.find((f) => f.phase === "warm");
  const failed = figures.length ? figures.reduce((sum, f) => sum + f.failed, 0) : undefined;
  return [
    checkTarget("videos: jobs that did not complete", failed, "<=", 0, ""),
    checkTarget("videos warm: finished→completed visible p50", warm?.visible.p50, "<=", 500, "ms"),
    checkTarget("videos cold: finished→completed visible p50", cold?.visible.p50, "<=", 500, "ms"),
  ];
}

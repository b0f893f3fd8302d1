/**
 * `POST /mweb/v1/aigc_draft/generate`: validate, deduplicate on submit_id,
 * charge credits, create the history record (fact sheet 3.5, 1.7).
 * @module
 */
import { parseGenerate, submitIdOf } from "./drafts.ts";
import { progressOf, recordJson } from "./history.ts";
import { imageCost, videoCost } from "./models.ts";
import { mwebOk, rejectViolation, type Reply, retError } from "./reply.ts";
import { bump, type FakeState, type RecordState, type SessionState } from "./state.ts";

const PATH = "/mweb/v1/aigc_draft/generate";

/** The `data` of a 1006 refusal [observed]. */
const NO_CREDITS = {
  aigc_data: null,
  fail_code: "1006",
  fail_starling_key: "web_dre_m10n_generate_popup_credit_ininsufficient_title",
  fail_starling_message: "积分不足",
};

/** The accepted-task answer: always status 20 and no items, as observed (also for repeats). */
function aigcData(state: FakeState, record: RecordState): Reply {
  const { queue } = progressOf(record, state.knobs, state.options.now());
  const json = recordJson(state, record, { status: 20, failCode: "", items: false, queue });
  return mwebOk(state, { aigc_data: json });
}

/** `ms` scaled by a seeded factor in [1 − jitter, 1 + jitter]. */
function jittered(state: FakeState, ms: number): number {
  const jitter = Math.min(0.95, Math.max(0, state.knobs.jitter));
  const factor = jitter === 0 ? 1 : 1 + jitter * (2 * state.timingRandom() - 1);
  return Math.max(0, Math.round(ms * factor));
}

function isBanned(state: FakeState, prompt: string): boolean {
  const lower = prompt.toLowerCase();
  return state.knobs.bannedWords.some((word) => word !== "" && lower.includes(word.toLowerCase()));
}

/** Handles one generate call for `session`. */
export function handleGenerate(state: FakeState, session: SessionState, body: unknown): Reply {
  const submitId = submitIdOf(body);
  if (submitId) bump(state.stats.submits, submitId);
  const parsed = parseGenerate(session, body, state.knobs.catalog.extraModels);
  if (parsed.error !== undefined) return rejectViolation(state, PATH, parsed.error);
  const { request } = parsed;
  const existing = session.submits.get(request.submitId);
  if (existing) return aigcData(state, existing);
  const offline = [...state.knobs.offlineModels, ...state.knobs.catalog.unavailable];
  if (offline.includes(request.model)) {
    return retError(state, "2061", "模型已不可用");
  }

  const cost = request.kind === "image"
    ? imageCost(request.tier, request.count)
    : videoCost(request.durationMs);
  const highTier = request.kind === "image" && request.tier !== "1k";
  if ((session.freeTier && highTier) || session.credits < cost) {
    return retError(state, "1006", "积分不足", NO_CREDITS);
  }
  session.credits -= cost;

  const now = state.options.now();
  const seq = ++state.seq;
  const historyId = String(7_897_100_000_000 + seq);
  const itemCount = request.kind === "image" ? request.count : 1;
  const latencyMs = jittered(
    state,
    request.kind === "image" ? state.knobs.imageLatencyMs : state.knobs.videoLatencyMs,
  );
  const queueMs = state.knobs.queueMs > 0 ? jittered(state, state.knobs.queueMs) : 0;
  // Observed: 20 briefly, 42 for a while, 45 for the rest; where the changes fall varies.
  const running = 0.03 + 0.17 * state.timingRandom();
  const finalizing = running + 0.05 + (0.4 - running) * state.timingRandom();
  const banned = isBanned(state, request.prompt);
  const record: RecordState = {
    historyId,
    submitId: request.submitId,
    sessionId: session.id,
    kind: request.kind,
    model: request.model,
    generateType: request.generateType,
    prompt: request.prompt,
    status: 20,
    failCode: "",
    submittedAt: now,
    runStartAt: now + queueMs,
    // A moderated record fails after ~30 % of its run time.
    finishAt: now + queueMs + Math.round(banned ? latencyMs * 0.3 : latencyMs),
    visibleAt: now + Math.max(0, state.knobs.historyLagMs),
    credits: cost,
    itemCount,
    genCount: request.kind === "image" && request.countGiven ? request.count : null,
    width: request.kind === "image" ? request.width : 0,
    height: request.kind === "image" ? request.height : 0,
    resolutionType: request.kind === "image" ? request.tier : undefined,
    durationMs: request.kind === "video" ? request.durationMs : undefined,
    videoResolution: request.kind === "video" ? request.resolution : undefined,
    aspectRatio: request.kind === "video" ? request.aspectRatio : undefined,
    inputUris: request.inputUris,
    materials: request.kind === "video" ? request.materials : undefined,
    latencyMs,
    queueLength: queueMs > 0 ? Math.max(1, Math.round(state.knobs.queueLength)) : 0,
    statusAt: { running, finalizing },
    banned,
    itemIds: Array.from(
      { length: itemCount },
      (_, i) => `75939${String(seq).padStart(12, "0")}${i}`,
    ),
  };
  state.records.set(historyId, record);
  for (const [index, id] of record.itemIds.entries()) state.items.set(id, { record, index });
  session.submits.set(record.submitId, record);
  state.stats.recordsCreated++;
  return aigcData(state, record);
}

/**
 * The web API routes (/mweb, /commerce, /passport): path → family and
 * handler. The small handlers (model catalog, upload token, algo_proxy,
 * workspaces) live here; the larger ones in their own modules.
 * @module
 */
import { handleAccountInfo, handleCreditReceive, handleUserCredit } from "./account.ts";
import { handleGenerate } from "./generate.ts";
import { handleHistory, handleLocalItems } from "./history.ts";
import { issueUploadToken } from "./imagex.ts";
import { imageConfig, videoConfig } from "./models.ts";
import { mwebOk, rejectViolation, type Reply, retError } from "./reply.ts";
import type { FakeState, SessionState } from "./state.ts";
import type { Family } from "./validate.ts";

/** One web route. */
export interface WebRoute {
  family: Family;
  handle: (state: FakeState, session: SessionState, body: unknown, url: URL) => Reply;
}

function handleUploadToken(state: FakeState, session: SessionState, body: unknown): Reply {
  const scene = (body as Record<string, unknown> | null)?.scene;
  // scene 2 = images (ImageX); scene 1 = video and audio (VOD).
  if (scene !== 2 && scene !== 1) {
    return rejectViolation(
      state,
      "/mweb/v1/get_upload_token",
      'body must be {"scene":2} or {"scene":1}',
    );
  }
  return mwebOk(state, issueUploadToken(state, session, scene));
}

/** `algo_proxy` (fact sheet 6.5): content check of an uploaded image. */
function handleAlgoProxy(state: FakeState, session: SessionState, body: unknown): Reply {
  const where = "/mweb/v1/algo_proxy";
  const files = (body as Record<string, unknown> | null)?.file_list;
  if (!Array.isArray(files) || files.length === 0) {
    return rejectViolation(state, where, "file_list must be a non-empty array");
  }
  const images = [];
  for (const file of files) {
    const uri = (file as Record<string, unknown> | null)?.file_uri;
    const image = typeof uri === "string" ? session.committed.get(uri) : undefined;
    if (!image) return rejectViolation(state, where, `file_uri ${uri} was not committed`);
    images.push(image);
  }
  if (images.some((image) => image.risky)) return retError(state, "2003", "risk not pass");
  return mwebOk(state, {
    algo_status: 0,
    result_list: images.map((image) => ({ file_uri: image.uri, pass: true })),
  });
}

/** `workspace/list` (2026-10 sheet §8): the account's one workspace. */
function handleWorkspaces(state: FakeState, session: SessionState, body: unknown): Reply {
  if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) {
    return rejectViolation(state, "/mweb/v1/workspace/list", "body must be a JSON object");
  }
  return mwebOk(state, {
    workspaces: [{ workspace_id: session.workspaceId, name: "My workspace", is_default: true }],
  });
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What is wrong with the version query every catalog call carries, if anything. */
function versionQueryProblem(url: URL): string | undefined {
  for (const name of ["web_version", "da_version"]) {
    if (!url.searchParams.get(name)) return `query parameter ${name} missing`;
  }
  if (url.searchParams.get("aigc_features") !== "app_lip_sync") {
    return "query parameter aigc_features=app_lip_sync missing";
  }
  return undefined;
}

/**
 * `get_common_config` (2026-10 sheet §3): the usual query plus the versions,
 * `needCache` and `needRefresh`; body `{"is_client_filter":false,"need_beta_model":true}`.
 */
function handleImageConfig(state: FakeState, session: SessionState, body: unknown, url: URL) {
  const where = "/mweb/v1/get_common_config";
  const problem = versionQueryProblem(url) ??
    (["needCache", "needRefresh"].find((name) =>
        !["true", "false"].includes(url.searchParams.get(name) ?? "")
      )
      ? "query parameters needCache and needRefresh must be true or false"
      : undefined) ??
    (sameJson(body, { is_client_filter: false, need_beta_model: true })
      ? undefined
      : 'body must be {"is_client_filter":false,"need_beta_model":true}');
  if (problem) return rejectViolation(state, where, problem);
  if (state.knobs.catalog.fail) return retError(state, "1", "system busy, please retry");
  return mwebOk(state, imageConfig(session.region, state.knobs.catalog));
}

/**
 * `video_generate/get_common_config`: the versions in the query; body
 * `{"scene":"generate_video","params":{"needCache":…,"needRefresh":…}}` (booleans).
 */
function handleVideoConfig(state: FakeState, session: SessionState, body: unknown, url: URL) {
  const where = "/mweb/v1/video_generate/get_common_config";
  const params = (body as Record<string, unknown> | null)?.params as
    | Record<string, unknown>
    | undefined;
  const shaped = body !== null && typeof body === "object" &&
    sameJson(Object.keys(body as object).sort(), ["params", "scene"]) &&
    (body as Record<string, unknown>).scene === "generate_video" &&
    params !== null && typeof params === "object" &&
    sameJson(Object.keys(params).sort(), ["needCache", "needRefresh"]) &&
    typeof params.needCache === "boolean" && typeof params.needRefresh === "boolean";
  const problem = versionQueryProblem(url) ??
    (shaped
      ? undefined
      : 'body must be {"scene":"generate_video","params":{"needCache":bool,"needRefresh":bool}}');
  if (problem) return rejectViolation(state, where, problem);
  if (state.knobs.catalog.fail) return retError(state, "1", "system busy, please retry");
  return mwebOk(state, videoConfig(session.region, state.knobs.catalog));
}

/** Every emulated web path. */
export const WEB_ROUTES: ReadonlyMap<string, WebRoute> = new Map<string, WebRoute>([
  ["/passport/account/info/v2", { family: "passport", handle: handleAccountInfo }],
  ["/commerce/v1/benefits/user_credit", { family: "commerce", handle: handleUserCredit }],
  ["/commerce/v1/benefits/credit_receive", { family: "commerce", handle: handleCreditReceive }],
  ["/mweb/v1/aigc_draft/generate", { family: "mweb", handle: handleGenerate }],
  ["/mweb/v1/get_history_by_ids", { family: "mweb", handle: handleHistory }],
  ["/mweb/v1/get_local_item_list", { family: "mweb", handle: handleLocalItems }],
  ["/mweb/v1/get_upload_token", { family: "mweb", handle: handleUploadToken }],
  ["/mweb/v1/algo_proxy", { family: "mweb", handle: handleAlgoProxy }],
  ["/mweb/v1/workspace/list", { family: "mweb", handle: handleWorkspaces }],
  ["/mweb/v1/get_common_config", { family: "mweb", handle: handleImageConfig }],
  ["/mweb/v1/video_generate/get_common_config", { family: "mweb", handle: handleVideoConfig }],
]);

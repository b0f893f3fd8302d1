/**
 * VOD upload emulation (fact sheet 6.6, 2026-10 §5): `ApplyUploadInner` and
 * `CommitUploadInner` with SigV4 for `vod` (keys of `get_upload_token` scene
 * 1 only), the byte upload shared with ImageX (CRC32 checked there), and a
 * commit that reads `VideoMeta` from the uploaded bytes — refusing what a
 * transcoder could not read.
 * @module
 */
import { probeMedia } from "./av_probe.ts";
import { verifySigV4, VOD_SPACE } from "./imagex.ts";
import { awsRegionOf } from "./models.ts";
import { imagexError, imagexOk, type Reply } from "./reply.ts";
import { type FakeState, randomBase64, randomHex, type UploadSlot } from "./state.ts";

const VERSION = "2020-11-19";
const SLOT_TTL_MS = 3600_000;

function applyUploadInner(state: FakeState, req: Request, url: URL): Reply {
  const action = "ApplyUploadInner";
  const service = "vod";
  if (req.method !== "GET") {
    return imagexError(state, {
      action,
      service,
      status: 405,
      code: "InvalidMethod",
      message: "use GET",
    });
  }
  const verified = verifySigV4(state, req, url, action, undefined, service);
  if (verified.error) return verified.error;
  const { keys, query } = verified;
  const region = awsRegionOf(keys.region);
  const bad = (message: string) =>
    imagexError(state, { action, service, region, status: 400, code: "InvalidParameter", message });
  if (query.Version !== VERSION) return bad(`Version must be ${VERSION}`);
  if (query.SpaceName !== VOD_SPACE) return bad(`unknown SpaceName ${query.SpaceName}`);
  if (query.FileType !== "video") return bad(`FileType must be video, got ${query.FileType}`);
  if (query.IsInner !== "1") return bad("IsInner must be 1");
  if (!/^\d+$/.test(query.FileSize ?? "") || Number(query.FileSize) <= 0) {
    return bad(`FileSize must be a positive integer, got ${query.FileSize}`);
  }
  const slot: UploadSlot = {
    service,
    vid: `v0${randomHex(4)}g10004${randomHex(10)}`,
    storeUri: `tos-cn-v-${VOD_SPACE}/${randomHex(16)}`,
    auth: `SpaceKey/${VOD_SPACE}/1/:version:v2:${randomBase64(48)}`,
    sessionKey: randomBase64(64),
    sessionId: keys.sessionId,
    accessKeyId: keys.accessKeyId,
    fileSize: Number(query.FileSize),
    expiresAt: state.options.now() + SLOT_TTL_MS,
    committed: false,
  };
  state.uploadsByUri.set(slot.storeUri, slot);
  state.uploadsByKey.set(slot.sessionKey, slot);
  return imagexOk(state, { action, service, region }, {
    RequestId: randomHex(8),
    InnerUploadAddress: {
      UploadNodes: [{
        Vid: slot.vid,
        Type: "video",
        StoreInfos: [{ StoreUri: slot.storeUri, Auth: slot.auth, UploadID: randomHex(16) }],
        UploadHost: state.host,
        SessionKey: slot.sessionKey,
      }],
    },
  });
}

function commitUploadInner(state: FakeState, req: Request, url: URL, body: Uint8Array): Reply {
  const action = "CommitUploadInner";
  const service = "vod";
  if (req.method !== "POST") {
    return imagexError(state, {
      action,
      service,
      status: 405,
      code: "InvalidMethod",
      message: "use POST",
    });
  }
  const verified = verifySigV4(state, req, url, action, body, service);
  if (verified.error) return verified.error;
  const { keys, query } = verified;
  const region = awsRegionOf(keys.region);
  const fail = (status: number, code: string, message: string, violation = true) =>
    imagexError(state, { action, service, region, status, code, message, violation });
  if (query.Version !== VERSION) return fail(400, "InvalidParameter", `Version must be ${VERSION}`);
  if (query.SpaceName !== VOD_SPACE) {
    return fail(400, "InvalidParameter", `unknown SpaceName ${query.SpaceName}`);
  }
  let parsed: { SessionKey?: unknown; Functions?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return fail(400, "InvalidParameter", "body is not JSON");
  }
  if (typeof parsed?.SessionKey !== "string") {
    return fail(400, "InvalidParameter", "SessionKey missing");
  }
  if (!Array.isArray(parsed.Functions)) {
    return fail(400, "InvalidParameter", "Functions must be an array");
  }
  const slot = state.uploadsByKey.get(parsed.SessionKey);
  if (!slot || slot.sessionId !== keys.sessionId || slot.service !== "vod") {
    return fail(404, "InvalidSessionKey", "SessionKey unknown to this account");
  }
  if (slot.committed) return fail(400, "SessionKeyCommitted", "SessionKey was already committed");
  if (state.options.now() > slot.expiresAt) return fail(400, "SessionKeyExpired", "too late");
  if (!slot.bytes) return fail(400, "UploadNotFinished", "no bytes were uploaded for SessionKey");
  const meta = probeMedia(slot.bytes);
  if (!meta) {
    return fail(
      400,
      "InvalidMediaFormat",
      "uploaded bytes are no video or audio VOD can read",
      false,
    );
  }
  const session = state.sessions.get(slot.sessionId);
  session?.media.set(slot.vid!, { vid: slot.vid!, ...meta });
  slot.committed = true;
  const size = slot.bytes.length;
  slot.bytes = undefined;
  return imagexOk(state, { action, service, region }, {
    RequestId: randomHex(8),
    Results: [{
      Vid: slot.vid,
      VideoMeta: {
        Uri: slot.storeUri,
        Width: meta.width,
        Height: meta.height,
        Duration: Math.round(meta.duration * 1000) / 1000,
        Bitrate: meta.duration > 0 ? Math.round((size * 8) / meta.duration) : 0,
        Format: meta.format,
        Codec: meta.kind === "video" ? "h264" : "aac",
        Size: size,
        Md5: randomHex(16),
      },
    }],
  });
}

/** Whether `action` is a VOD OpenAPI action the fake emulates. */
export function isVodAction(action: string | null): boolean {
  return action === "ApplyUploadInner" || action === "CommitUploadInner";
}

/** `GET|POST /?Action=…` for VOD. */
export function handleVod(state: FakeState, req: Request, url: URL, body: Uint8Array): Reply {
  const action = url.searchParams.get("Action");
  if (action === "ApplyUploadInner") return applyUploadInner(state, req, url);
  return commitUploadInner(state, req, url, body);
}

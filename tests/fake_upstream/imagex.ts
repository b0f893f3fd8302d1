/**
 * Image upload emulation (fact sheet 6.1–6.4): STS keys from
 * get_upload_token, ImageX ApplyImageUpload / CommitImageUpload with SigV4
 * verification, and the byte upload with its CRC32 check.
 * @module
 */
import { Buffer } from "node:buffer";
import { crc32, crc32Hex } from "../../src/jimeng/crc32.ts";
import { sha256Hex, signV4 } from "../../src/jimeng/sigv4.ts";
import { probeImage } from "./media.ts";
import { awsRegionOf } from "./models.ts";
import { imagexError, imagexOk, jsonReply, type Reply } from "./reply.ts";
import {
  type FakeState,
  randomBase64,
  randomHex,
  type SessionState,
  type StsKeys,
  type UploadSlot,
} from "./state.ts";

/** ImageX service id of the CN site. */
export const SERVICE_ID_CN = "tb4s082cfz";
/** ImageX space (service id) of Dreamina. */
export const SPACE_NAME_INTL = "wopfjsm1ax";
const VERSION = "2018-08-01";
const KEY_TTL_MS = 3600_000;
/** SigV4 clock skew ImageX tolerates (AWS uses 15 minutes). */
const SIGV4_SKEW_MS = 15 * 60_000;
/** Marker in uploaded bytes that makes algo_proxy answer ret "2003". */
export const RISKY_MARKER = "RISKY-IMAGE";

/** VOD space the CN site's scene-1 tokens name (fact sheet 6.1). */
export const VOD_SPACE = "dreamina";

/**
 * Issues STS keys for `session` (the `data` of get_upload_token): scene 2
 * keys sign ImageX calls, scene 1 keys VOD calls, and neither the other's.
 */
export function issueUploadToken(state: FakeState, session: SessionState, scene: 1 | 2): unknown {
  const now = state.options.now();
  const keys: StsKeys = {
    accessKeyId: `AKTP${randomHex(20)}`,
    secretAccessKey: randomBase64(30),
    sessionToken: `STS2${randomBase64(96)}`,
    sessionId: session.id,
    region: session.region,
    expiresAt: now + KEY_TTL_MS,
    scene,
  };
  state.stsKeys.set(keys.accessKeyId, keys);
  return {
    access_key_id: keys.accessKeyId,
    secret_access_key: keys.secretAccessKey,
    session_token: keys.sessionToken,
    service_id: SERVICE_ID_CN,
    space_name: scene === 1 ? VOD_SPACE : SPACE_NAME_INTL,
    current_time: new Date(now).toISOString(),
    expired_time: new Date(keys.expiresAt).toISOString(),
  };
}

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function parseAmzDate(value: string | null): Date | undefined {
  const match = value && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
}

/** What {@linkcode verifySigV4} found. */
export type Verified = { keys: StsKeys; query: Record<string, string>; error?: undefined } | {
  error: Reply;
};

/**
 * Verifies the SigV4 signature of an ImageX (or VOD) call by re-signing it
 * with the issued secret; the keys must have been issued for that service.
 */
export function verifySigV4(
  state: FakeState,
  req: Request,
  url: URL,
  action: string,
  body: Uint8Array | undefined,
  service: "imagex" | "vod" = "imagex",
): Verified {
  const fail = (status: number, code: string, message: string, region?: string) => ({
    error: imagexError(state, { action, status, code, message, region, service }),
  });
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (values.length > 1) return fail(400, "InvalidParameter", `query ${key} is repeated`);
    query[key] = values[0];
  }
  const auth = AUTH_PATTERN.exec(req.headers.get("authorization") ?? "");
  if (!auth) return fail(401, "InvalidAuthorization", "Authorization is not AWS4-HMAC-SHA256");
  const [, accessKeyId, day, region, credentialService, signedHeaders] = auth;
  const keys = state.stsKeys.get(accessKeyId);
  if (!keys) return fail(401, "InvalidAccessKey", `access key ${accessKeyId} was never issued`);
  const expected = awsRegionOf(keys.region);
  const now = state.options.now();
  if (now > keys.expiresAt) return fail(401, "ExpiredToken", "STS credentials expired", expected);
  if (req.headers.get("x-amz-security-token") !== keys.sessionToken) {
    return fail(401, "InvalidSecurityToken", "X-Amz-Security-Token is not the issued token");
  }
  if (region !== expected) {
    return fail(
      400,
      "InvalidRegion",
      `credential region ${region}, expected ${expected}`,
      expected,
    );
  }
  if (credentialService !== service) {
    return fail(
      400,
      "InvalidService",
      `credential service ${credentialService}, expected ${service}`,
    );
  }
  if (keys.scene !== (service === "vod" ? 1 : 2)) {
    return fail(403, "AccessDenied", `upload token of scene ${keys.scene} cannot call ${service}`);
  }
  const date = parseAmzDate(req.headers.get("x-amz-date"));
  if (!date) return fail(400, "InvalidTimestamp", "X-Amz-Date missing or malformed", expected);
  if (Math.abs(date.getTime() - now) > SIGV4_SKEW_MS) {
    return fail(403, "RequestTimeTooSkewed", `X-Amz-Date ${req.headers.get("x-amz-date")}`);
  }
  if (!req.headers.get("x-amz-date")!.startsWith(day)) {
    return fail(403, "SignatureDoesNotMatch", "credential scope day differs from X-Amz-Date");
  }
  if (body !== undefined && req.headers.get("x-amz-content-sha256") !== sha256Hex(body)) {
    return fail(400, "XAmzContentSHA256Mismatch", "X-Amz-Content-Sha256 is not the body hash");
  }
  const signed = signV4({
    method: req.method as "GET" | "POST",
    query,
    body,
    credentials: keys,
    region: expected,
    service,
    date,
  });
  if (signed.headers.Authorization !== req.headers.get("authorization")) {
    const names = body === undefined
      ? "x-amz-date;x-amz-security-token"
      : "x-amz-content-sha256;x-amz-date;x-amz-security-token";
    const detail = signedHeaders === names ? "signature" : `SignedHeaders ${signedHeaders}`;
    return fail(403, "SignatureDoesNotMatch", `${detail} does not match`, expected);
  }
  return { keys, query };
}

function checkServiceQuery(query: Record<string, string>): string | undefined {
  if (query.Version !== VERSION) return `Version must be ${VERSION}`;
  if (query.ServiceId !== SERVICE_ID_CN && query.ServiceId !== SPACE_NAME_INTL) {
    return `unknown ServiceId ${query.ServiceId}`;
  }
  return undefined;
}

function applyUpload(state: FakeState, req: Request, url: URL): Reply {
  const action = "ApplyImageUpload";
  if (req.method !== "GET") {
    return imagexError(state, { action, status: 405, code: "InvalidMethod", message: "use GET" });
  }
  const verified = verifySigV4(state, req, url, action, undefined);
  if (verified.error) return verified.error;
  const { keys, query } = verified;
  const region = awsRegionOf(keys.region);
  const bad = (message: string) =>
    imagexError(state, { action, region, status: 400, code: "InvalidParameter", message });
  const problem = checkServiceQuery(query);
  if (problem) return bad(problem);
  if (!/^\d+$/.test(query.FileSize ?? "") || Number(query.FileSize) <= 0) {
    return bad(`FileSize must be a positive integer, got ${query.FileSize}`);
  }
  const slot: UploadSlot = {
    storeUri: `tos-cn-i-${query.ServiceId}/${randomHex(16)}`,
    auth: `SpaceKey/${query.ServiceId}/1/:version:v2:${randomBase64(48)}`,
    sessionKey: randomBase64(64),
    sessionId: keys.sessionId,
    accessKeyId: keys.accessKeyId,
    fileSize: Number(query.FileSize),
    expiresAt: state.options.now() + KEY_TTL_MS,
    committed: false,
  };
  state.uploadsByUri.set(slot.storeUri, slot);
  state.uploadsByKey.set(slot.sessionKey, slot);
  return imagexOk(state, { action, region }, {
    UploadAddress: {
      StoreInfos: [{ StoreUri: slot.storeUri, Auth: slot.auth, UploadID: randomHex(16) }],
      UploadHosts: [state.host],
      SessionKey: slot.sessionKey,
    },
  });
}

function commitUpload(state: FakeState, req: Request, url: URL, body: Uint8Array): Reply {
  const action = "CommitImageUpload";
  if (req.method !== "POST") {
    return imagexError(state, { action, status: 405, code: "InvalidMethod", message: "use POST" });
  }
  const verified = verifySigV4(state, req, url, action, body);
  if (verified.error) return verified.error;
  const { keys, query } = verified;
  const region = awsRegionOf(keys.region);
  const fail = (status: number, code: string, message: string, violation = true) =>
    imagexError(state, { action, region, status, code, message, violation });
  const problem = checkServiceQuery(query);
  if (problem) return fail(400, "InvalidParameter", problem);
  let sessionKey: unknown;
  try {
    sessionKey = JSON.parse(new TextDecoder().decode(body))?.SessionKey;
  } catch {
    return fail(400, "InvalidParameter", "body is not JSON");
  }
  if (typeof sessionKey !== "string") return fail(400, "InvalidParameter", "SessionKey missing");
  const slot = state.uploadsByKey.get(sessionKey);
  if (!slot || slot.sessionId !== keys.sessionId || slot.service === "vod") {
    return fail(404, "InvalidSessionKey", "SessionKey unknown to this account");
  }
  if (slot.committed) return fail(400, "SessionKeyCommitted", "SessionKey was already committed");
  if (state.options.now() > slot.expiresAt) return fail(400, "SessionKeyExpired", "too late");
  if (query.FileSize !== undefined && Number(query.FileSize) !== slot.fileSize) {
    return fail(
      400,
      "InvalidParameter",
      `FileSize ${query.FileSize} differs from the applied size`,
    );
  }
  if (!slot.bytes) return fail(400, "UploadNotFinished", "no bytes were uploaded for SessionKey");
  const info = probeImage(slot.bytes);
  if (!info || info.width <= 0 || info.height <= 0) {
    return fail(400, "InvalidImageFormat", "uploaded bytes are not PNG/JPEG/WebP/GIF", false);
  }
  const session = state.sessions.get(slot.sessionId);
  const risky = Buffer.from(slot.bytes.buffer, slot.bytes.byteOffset, slot.bytes.byteLength)
    .includes(RISKY_MARKER);
  session?.committed.set(slot.storeUri, { uri: slot.storeUri, ...info, risky });
  slot.committed = true;
  slot.bytes = undefined;
  return imagexOk(state, { action, region }, {
    Results: [{ Uri: slot.storeUri, UriStatus: 2000 }],
    PluginResult: [{
      FileName: slot.storeUri.split("/").pop(),
      ImageUri: slot.storeUri,
      ImageWidth: info.width,
      ImageHeight: info.height,
      ImageMd5: randomHex(16),
      ImageFormat: info.format,
      ImageSize: slot.fileSize,
    }],
  });
}

/** `GET|POST /?Action=…`: the ImageX OpenAPI. */
export function handleImagex(state: FakeState, req: Request, url: URL, body: Uint8Array): Reply {
  const action = url.searchParams.get("Action");
  if (action === "ApplyImageUpload") return applyUpload(state, req, url);
  if (action === "CommitImageUpload") return commitUpload(state, req, url, body);
  return imagexError(state, {
    action: action ?? "",
    status: 400,
    code: "InvalidAction",
    message: `action ${action} is not emulated`,
  });
}

function uploadError(state: FakeState, status: number, code: number, message: string): Reply {
  state.stats.violations.push(`upload: ${code}: ${message}`);
  return jsonReply({ code, message, data: null }, status);
}

/** `POST /upload/v1/<StoreUri>`: the raw bytes, authorised by the Apply's `Auth`. */
export function handleUpload(state: FakeState, req: Request, url: URL, body: Uint8Array): Reply {
  const storeUri = decodeURIComponent(url.pathname.slice("/upload/v1/".length));
  const slot = state.uploadsByUri.get(storeUri);
  if (req.method !== "POST") return uploadError(state, 405, 4005, "use POST");
  if (!slot) return uploadError(state, 404, 4004, `unknown store uri ${storeUri}`);
  if (req.headers.get("authorization") !== slot.auth) {
    return uploadError(state, 403, 4003, "Authorization is not the Auth of this StoreUri");
  }
  if (state.options.now() > slot.expiresAt) return uploadError(state, 403, 4003, "upload expired");
  if (slot.committed) return uploadError(state, 409, 4009, "store uri already committed");
  const header = req.headers.get("content-crc32");
  if (!header || !/^[0-9a-fA-F]{1,8}$/.test(header)) {
    return uploadError(state, 400, 4000, `Content-CRC32 missing or not hex: ${header}`);
  }
  if (body.length !== slot.fileSize) {
    return uploadError(state, 400, 4000, `got ${body.length} bytes, applied for ${slot.fileSize}`);
  }
  const actual = crc32(body);
  if (parseInt(header, 16) !== actual) {
    return uploadError(
      state,
      400,
      4001,
      `crc32 mismatch: header ${header}, body ${crc32Hex(body)}`,
    );
  }
  // A retried upload (same bytes) simply overwrites: uploads are idempotent.
  slot.bytes = body;
  state.stats.uploads++;
  if (slot.service === "vod") state.stats.vodUploads++;
  return jsonReply({ code: 2000, message: "Success", data: { crc32: crc32Hex(body) } });
}

/**
 * Video and audio upload through VOD (fact sheet 6.6, 2026-10 §5):
 * `get_upload_token` scene 1, `ApplyUploadInner` (SigV4 for `vod`), the
 * bytes with their CRC32 to the upload host it names, `CommitUploadInner`
 * (SigV4 with a payload hash). Audio goes the same way, as `FileType=video`.
 * Returns the `Vid` and what VOD read from the file.
 * @module
 */
import { crc32Hex } from "./crc32.ts";
import { JimengError } from "./errors.ts";
import type { Session, UpstreamContext } from "./http.ts";
import { regionHosts, regionInfo } from "./regions.ts";
import { signV4 } from "./sigv4.ts";
import { exchange, randomToken, uploadCredentials } from "./upload.ts";

/** A file VOD took. */
export interface UploadedMedia {
  vid: string;
  width?: number;
  height?: number;
  /** Duration VOD reported, in ms. */
  durationMs?: number;
  format?: string;
}

interface VodEnvelope {
  ResponseMetadata?: { Error?: { Code?: string; Message?: string } };
  Result?: {
    InnerUploadAddress?: {
      UploadNodes?: {
        StoreInfos?: { StoreUri?: string; Auth?: string }[];
        UploadHost?: string;
        SessionKey?: string;
        Vid?: string;
      }[];
    };
    Results?: {
      Vid?: string;
      VideoMeta?: {
        Width?: number;
        Height?: number;
        Duration?: number;
        Format?: string;
      };
    }[];
  };
}

function vodError(step: string, body: VodEnvelope): JimengError | undefined {
  const error = body.ResponseMetadata?.Error;
  if (!error) return undefined;
  return new JimengError(
    "bad_response",
    `Video upload (${step}) was refused: ${error.Code ?? ""} ${error.Message ?? ""}`.trim(),
    { code: error.Code },
  );
}

/** Slowest upload speed allowed for, in bytes per second: big files get longer than one call. */
const MIN_UPLOAD_BYTES_PER_S = 256 * 1024;

const positive = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;

/**
 * Uploads one video or audio file and returns its `Vid`.
 *
 * @throws {JimengError} `invalid_parameter` for an account outside CN (no VOD host takes it)
 */
export async function uploadMedia(
  ctx: UpstreamContext,
  session: Session,
  bytes: Uint8Array,
  signal?: AbortSignal,
): Promise<UploadedMedia> {
  const { protocol } = ctx.settings;
  const info = regionInfo(session.region);
  const vod = regionHosts(ctx.settings.hosts, session.region).vod;
  if (!vod) {
    throw new JimengError(
      "invalid_parameter",
      "Video and audio references upload through Jimeng's CN VOD service, which Dreamina accounts cannot use",
      { code: "model_not_in_region" },
    );
  }
  const { token, credentials } = await uploadCredentials(ctx, session, 1, signal);
  const space = token.space_name || protocol.vodSpaceName;
  const scheme = new URL(vod).protocol;
  const sign = (method: "GET" | "POST", query: Record<string, string>, body?: string) =>
    signV4({
      method,
      query,
      body,
      credentials,
      region: info.awsRegion,
      service: "vod",
      date: new Date(ctx.deps.now()),
    });

  // 1. Apply.
  const applyQuery = {
    Action: "ApplyUploadInner",
    Version: protocol.vodVersion,
    SpaceName: space,
    FileType: "video",
    IsInner: "1",
    FileSize: String(bytes.length),
    s: randomToken(11),
  };
  const applied = await exchange(
    ctx,
    session,
    "ApplyUploadInner",
    () => {
      const signed = sign("GET", applyQuery);
      return {
        url: `${vod}/?${signed.queryString}`,
        init: { method: "GET", headers: signed.headers },
      };
    },
    signal,
    "vod",
  ) as VodEnvelope;
  const applyError = vodError("apply", applied);
  if (applyError) throw applyError;
  const node = applied.Result?.InnerUploadAddress?.UploadNodes?.[0];
  const store = node?.StoreInfos?.[0];
  if (!store?.StoreUri || !store.Auth || !node?.UploadHost || !node.SessionKey) {
    throw new JimengError("bad_response", "Video upload (apply) returned no upload address");
  }

  // 2. Upload the bytes to the host VOD handed out, with the VOD URL's scheme.
  const uploaded = await exchange(
    ctx,
    session,
    "upload",
    () => ({
      url: `${scheme}//${node.UploadHost}/upload/v1/${store.StoreUri}`,
      init: {
        method: "POST",
        headers: {
          "Authorization": store.Auth!,
          "Content-Type": "application/octet-stream",
          "Content-CRC32": crc32Hex(bytes),
          "Content-Disposition": 'attachment; filename="undefined"',
        },
        body: bytes as Uint8Array<ArrayBuffer>,
      },
    }),
    signal,
    "vod",
    ctx.settings.timeoutMs + (bytes.length / MIN_UPLOAD_BYTES_PER_S) * 1000,
  ) as { code?: number; message?: string };
  if (uploaded.code !== 2000) {
    throw new JimengError(
      "bad_response",
      `Video upload (bytes) was refused: ${uploaded.message ?? `code ${uploaded.code}`}`,
      { code: String(uploaded.code) },
    );
  }

  // 3. Commit.
  const commitQuery = {
    Action: "CommitUploadInner",
    Version: protocol.vodVersion,
    SpaceName: space,
  };
  const commitBody = JSON.stringify({ SessionKey: node.SessionKey, Functions: [] });
  const committed = await exchange(
    ctx,
    session,
    "CommitUploadInner",
    () => {
      const signed = sign("POST", commitQuery, commitBody);
      return {
        url: `${vod}/?${signed.queryString}`,
        init: {
          method: "POST",
          headers: { ...signed.headers, "Content-Type": "application/json" },
          body: commitBody,
        },
      };
    },
    signal,
    "vod",
  ) as VodEnvelope;
  const commitError = vodError("commit", committed);
  if (commitError) throw commitError;
  const result = committed.Result?.Results?.[0];
  const vid = result?.Vid ?? node.Vid;
  if (!vid) throw new JimengError("bad_response", "Video upload (commit) returned no Vid");
  const meta = result?.VideoMeta;
  const seconds = positive(meta?.Duration);
  return {
    vid,
    width: positive(meta?.Width),
    height: positive(meta?.Height),
    durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
    format: meta?.Format,
  };
}

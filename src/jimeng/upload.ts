/**
 * Image upload: `get_upload_token`, then ImageX ApplyImageUpload (SigV4),
 * the byte upload with CRC32, and CommitImageUpload (SigV4 with a payload
 * hash). Returns the `image_uri` generate requests reference.
 * @module
 */
import { crc32Hex } from "./crc32.ts";
import { JimengError } from "./errors.ts";
import { callUpstream, type Session, sessionFetch, type UpstreamContext } from "./http.ts";
import { PATHS } from "./protocol.ts";
import { regionHosts, regionInfo } from "./regions.ts";
import { signV4, type StsCredentials } from "./sigv4.ts";

/** An uploaded image. */
export interface UploadedImage {
  uri: string;
  width?: number;
  height?: number;
  format?: string;
}

/** The `data` of `get_upload_token`. */
export interface UploadToken {
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  service_id?: string;
  space_name?: string;
}

interface ImagexEnvelope {
  ResponseMetadata?: { Error?: { Code?: string; Message?: string } };
  Result?: {
    UploadAddress?: {
      StoreInfos?: { StoreUri?: string; Auth?: string }[];
      UploadHosts?: string[];
      SessionKey?: string;
    };
    Results?: { Uri?: string; UriStatus?: number }[];
    PluginResult?: {
      ImageUri?: string;
      ImageWidth?: number;
      ImageHeight?: number;
      ImageFormat?: string;
    }[];
  };
}

/** Random lower-case alphanumerics (the `s` query parameter of Apply calls). */
export function randomToken(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * One HTTP exchange with ImageX, VOD or an upload host, with the client's
 * timeout and retries; `service` names the API in messages and metrics.
 */
export async function exchange(
  ctx: UpstreamContext,
  session: Session,
  step: string,
  request: () => { url: string; init: RequestInit },
  signal?: AbortSignal,
  service: "imagex" | "vod" = "imagex",
  timeoutMs = ctx.settings.timeoutMs,
): Promise<unknown> {
  const what = service === "vod" ? "Video upload" : "Image upload";
  const attempts = ctx.settings.attempts ?? 3;
  for (let attempt = 1;; attempt++) {
    const started = ctx.deps.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let error: JimengError;
    try {
      const { url, init } = request();
      const response = await sessionFetch(ctx, session)(url, { ...init, signal: combined });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (response.status >= 500 || body === undefined) {
        error = new JimengError(
          "upstream_unavailable",
          `${what} (${step}) failed: HTTP ${response.status}${
            body === undefined ? ", not JSON" : ""
          }`,
          { code: `http_${response.status}`, retriable: true },
        );
      } else {
        ctx.deps.onCall?.({ path: `${service}:${step}`, ok: true, ms: ctx.deps.now() - started });
        return body;
      }
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      error = cause instanceof JimengError
        ? cause
        : timeout.aborted
        ? new JimengError("timeout", `${what} (${step}) timed out`, { cause })
        : new JimengError(
          "upstream_unavailable",
          `${what} (${step}) failed: ${(cause as Error).message}`,
          { cause },
        );
    }
    ctx.deps.onCall?.({
      path: `${service}:${step}`,
      ok: false,
      code: error.code ?? error.kind,
      ms: ctx.deps.now() - started,
    });
    if (attempt >= attempts) throw error;
    await ctx.deps.sleep(ctx.deps.random() * 500 * 2 ** (attempt - 1), signal);
  }
}

function imagexError(step: string, body: ImagexEnvelope): JimengError | undefined {
  const error = body.ResponseMetadata?.Error;
  if (!error) return undefined;
  return new JimengError(
    "bad_response",
    `Image upload (${step}) was refused: ${error.Code ?? ""} ${error.Message ?? ""}`.trim(),
    { code: error.Code },
  );
}

/**
 * Asks `get_upload_token` for STS keys: scene 2 for ImageX (images), scene 1
 * for VOD (videos and audio).
 */
export async function uploadCredentials(
  ctx: UpstreamContext,
  session: Session,
  scene: 1 | 2,
  signal?: AbortSignal,
): Promise<{ token: UploadToken; credentials: StsCredentials }> {
  const { protocol } = ctx.settings;
  const token = await callUpstream<UploadToken>(ctx, session, {
    path: PATHS.uploadToken,
    body: { scene },
    query: {
      da_version: protocol.uploadDaVersion,
      aigc_features: protocol.aigcFeatures,
    },
    signal,
  });
  if (!token?.access_key_id || !token.secret_access_key || !token.session_token) {
    throw new JimengError(
      "session_expired",
      "Jimeng issued no upload credentials: the session may be logged out",
    );
  }
  return {
    token,
    credentials: {
      accessKeyId: token.access_key_id,
      secretAccessKey: token.secret_access_key,
      sessionToken: token.session_token,
    },
  };
}

/** Uploads one image and returns its ImageX URI. */
export async function uploadImage(
  ctx: UpstreamContext,
  session: Session,
  bytes: Uint8Array,
  signal?: AbortSignal,
): Promise<UploadedImage> {
  const { protocol } = ctx.settings;
  const info = regionInfo(session.region);
  const { token, credentials } = await uploadCredentials(ctx, session, 2, signal);
  const serviceId = info.international
    ? (token.space_name || protocol.imagexServiceIdIntl)
    : (token.service_id || protocol.imagexServiceIdCn);
  const imagex = regionHosts(ctx.settings.hosts, session.region).imagex;
  const scheme = new URL(imagex).protocol;
  const sign = (method: "GET" | "POST", query: Record<string, string>, body?: string) =>
    signV4({
      method,
      query,
      body,
      credentials,
      region: info.awsRegion,
      service: "imagex",
      date: new Date(ctx.deps.now()),
    });

  // 1. Apply.
  const applyQuery = {
    Action: "ApplyImageUpload",
    Version: protocol.imagexVersion,
    ServiceId: serviceId,
    FileSize: String(bytes.length),
    s: randomToken(11),
  };
  const applied = await exchange(ctx, session, "ApplyImageUpload", () => {
    const signed = sign("GET", applyQuery);
    return {
      url: `${imagex}/?${signed.queryString}`,
      init: { method: "GET", headers: signed.headers },
    };
  }, signal) as ImagexEnvelope;
  const applyError = imagexError("apply", applied);
  if (applyError) throw applyError;
  const address = applied.Result?.UploadAddress;
  const store = address?.StoreInfos?.[0];
  const uploadHost = address?.UploadHosts?.[0];
  if (!store?.StoreUri || !store.Auth || !uploadHost || !address?.SessionKey) {
    throw new JimengError("bad_response", "Image upload (apply) returned no upload address");
  }

  // 2. Upload the bytes to the host ImageX handed out, with the ImageX URL's scheme.
  const uploaded = await exchange(ctx, session, "upload", () => ({
    url: `${scheme}//${uploadHost}/upload/v1/${store.StoreUri}`,
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
  }), signal) as { code?: number; message?: string };
  if (uploaded.code !== 2000) {
    throw new JimengError(
      "bad_response",
      `Image upload (bytes) was refused: ${uploaded.message ?? `code ${uploaded.code}`}`,
      { code: String(uploaded.code) },
    );
  }

  // 3. Commit.
  const commitQuery = {
    Action: "CommitImageUpload",
    Version: protocol.imagexVersion,
    ServiceId: serviceId,
    FileSize: String(bytes.length),
  };
  const commitBody = JSON.stringify({ SessionKey: address.SessionKey });
  const committed = await exchange(ctx, session, "CommitImageUpload", () => {
    const signed = sign("POST", commitQuery, commitBody);
    return {
      url: `${imagex}/?${signed.queryString}`,
      init: {
        method: "POST",
        headers: { ...signed.headers, "Content-Type": "application/json" },
        body: commitBody,
      },
    };
  }, signal) as ImagexEnvelope;
  const commitError = imagexError("commit", committed);
  if (commitError) throw commitError;
  const result = committed.Result?.Results?.[0];
  if (!result?.Uri || (result.UriStatus !== undefined && result.UriStatus !== 2000)) {
    throw new JimengError("bad_response", "Image upload (commit) returned no image URI");
  }
  const plugin = committed.Result?.PluginResult?.[0];
  return {
    uri: result.Uri,
    width: plugin?.ImageWidth,
    height: plugin?.ImageHeight,
    format: plugin?.ImageFormat,
  };
}

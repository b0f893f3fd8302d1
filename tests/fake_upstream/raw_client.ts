/**
 * A minimal protocol speaker built from raw `fetch` and the project's
 * signing primitives, for testing the fake itself (independent of the
 * project's client): signed web calls, the ImageX upload, draft builders.
 * @module
 */
import { crc32Hex } from "../../src/jimeng/crc32.ts";
import { computeSign } from "../../src/jimeng/sign.ts";
import { signV4 } from "../../src/jimeng/sigv4.ts";
import { AID_CN, AID_INTL, awsRegionOf, type Region } from "./models.ts";

/** One signed web call. */
export interface WebCall {
  path: string;
  sessionId: string;
  body?: unknown;
  region?: Region;
  /** Extra or overriding query parameters. */
  query?: Record<string, string>;
  /** Header overrides; `null` removes a header. */
  headers?: Record<string, string | null>;
  /** Clock for Device-Time. @default Date.now */
  now?: number;
  appVersion?: string;
}

/** Status and parsed JSON of an answer. */
export interface WebAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** Signs and sends one /mweb, /commerce or /passport call the way the web app does. */
export async function callWeb(baseUrl: string, call: WebCall): Promise<WebAnswer> {
  const region = call.region ?? "cn";
  const appVersion = call.appVersion ?? "5.8.0";
  const deviceTime = Math.floor((call.now ?? Date.now()) / 1000);
  const query = new URLSearchParams({
    aid: String(region === "cn" ? AID_CN : AID_INTL),
    device_platform: "web",
    region: region.toUpperCase(),
    ...call.query,
  });
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Appid": query.get("aid")!,
    "Appvr": appVersion,
    "Pf": "7",
    "Device-Time": String(deviceTime),
    "Sign": computeSign({ path: call.path, platform: "7", appVersion, deviceTime }),
    "Sign-Ver": "1",
    "Cookie":
      `_tea_web_id=7000000000000000001; sid_tt=${call.sessionId}; sessionid=${call.sessionId}`,
  };
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  const response = await fetch(`${baseUrl}${call.path}?${query}`, {
    method: "POST",
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  return { status: response.status, json: await response.json() };
}

/** STS keys as get_upload_token returns them. */
export interface UploadToken {
  access_key_id: string;
  secret_access_key: string;
  session_token: string;
  service_id: string;
  space_name: string;
}

/** Knobs for exercising the upload's failure paths. */
export interface UploadOptions {
  region?: Region;
  /** Sign with this secret instead of the issued one. */
  secret?: string;
  /** Send this Content-CRC32 instead of the right one. */
  crc?: string;
  /** Commit this SessionKey instead of the applied one. */
  sessionKey?: string;
}

/** Raw answers of each upload step. */
export interface UploadTrace {
  token: UploadToken;
  apply: { status: number; json: Record<string, unknown> };
  upload?: { status: number; json: Record<string, unknown> };
  commit?: { status: number; json: Record<string, unknown> };
  sessionKey?: string;
  uri?: string;
}

/** Runs get_upload_token → Apply → upload → Commit, stopping at the first failure. */
export async function uploadImage(
  baseUrl: string,
  sessionId: string,
  bytes: Uint8Array,
  options: UploadOptions = {},
): Promise<UploadTrace> {
  const region = options.region ?? "cn";
  const tokenAnswer = await callWeb(baseUrl, {
    path: "/mweb/v1/get_upload_token",
    sessionId,
    region,
    body: { scene: 2 },
  });
  const token = tokenAnswer.json.data as UploadToken;
  const credentials = {
    accessKeyId: token.access_key_id,
    secretAccessKey: options.secret ?? token.secret_access_key,
    sessionToken: token.session_token,
  };
  const serviceId = region === "cn" ? token.service_id : token.space_name;
  const sign = (method: "GET" | "POST", query: Record<string, string>, body?: string) =>
    signV4({ method, query, body, credentials, region: awsRegionOf(region), service: "imagex" });
  const applySigned = sign("GET", {
    Action: "ApplyImageUpload",
    Version: "2018-08-01",
    ServiceId: serviceId,
    FileSize: String(bytes.length),
    s: "abc123def45",
  });
  const applyResponse = await fetch(`${baseUrl}/?${applySigned.queryString}`, {
    headers: applySigned.headers,
  });
  const trace: UploadTrace = {
    token,
    apply: { status: applyResponse.status, json: await applyResponse.json() },
  };
  const address = (trace.apply.json.Result as Record<string, Record<string, unknown>> | undefined)
    ?.UploadAddress as
      | {
        StoreInfos: { StoreUri: string; Auth: string }[];
        UploadHosts: string[];
        SessionKey: string;
      }
      | undefined;
  if (!address) return trace;
  const store = address.StoreInfos[0];
  const uploadResponse = await fetch(
    `http://${address.UploadHosts[0]}/upload/v1/${store.StoreUri}`,
    {
      method: "POST",
      headers: {
        "Authorization": store.Auth,
        "Content-Type": "application/octet-stream",
        "Content-CRC32": options.crc ?? crc32Hex(bytes),
      },
      body: bytes as Uint8Array<ArrayBuffer>,
    },
  );
  trace.upload = { status: uploadResponse.status, json: await uploadResponse.json() };
  if (trace.upload.json.code !== 2000) return trace;
  trace.sessionKey = options.sessionKey ?? address.SessionKey;
  const commitBody = JSON.stringify({ SessionKey: trace.sessionKey });
  const commitSigned = sign("POST", {
    Action: "CommitImageUpload",
    Version: "2018-08-01",
    ServiceId: serviceId,
  }, commitBody);
  const commitResponse = await fetch(`${baseUrl}/?${commitSigned.queryString}`, {
    method: "POST",
    headers: { ...commitSigned.headers, "Content-Type": "application/json" },
    body: commitBody,
  });
  trace.commit = { status: commitResponse.status, json: await commitResponse.json() };
  const results = (trace.commit.json.Result as { Results?: { Uri: string }[] } | undefined)
    ?.Results;
  trace.uri = results?.[0]?.Uri;
  return trace;
}

/** Inputs of {@linkcode imageGenerateBody}. */
export interface ImageBodyInput {
  prompt: string;
  submitId?: string;
  model?: string;
  tier?: "1k" | "2k" | "4k";
  width?: number;
  height?: number;
  /** Uploaded URIs: makes it a blend (ZZN form: prompt + "##"). */
  references?: string[];
  aid?: number;
  /** `abilities.gen_option` as sent (omitted when undefined). */
  genOption?: unknown;
  /** Fields added to `core_param`. */
  coreExtra?: Record<string, unknown>;
  /** Fields added to `extend`. */
  extend?: Record<string, unknown>;
  /** `metrics_extra` object (stringified); defaults to a minimal one. */
  metrics?: Record<string, unknown>;
}

const SIZES = { "1k": 1328, "2k": 2048, "4k": 4096 } as const;

/** A ZZN-style text-to-image (or blend) generate body. */
export function imageGenerateBody(input: ImageBodyInput): Record<string, unknown> {
  const model = input.model ?? "high_aes_general_v40";
  const tier = input.tier ?? "2k";
  const side = SIZES[tier];
  const blend = (input.references?.length ?? 0) > 0;
  const core = {
    type: "",
    id: crypto.randomUUID(),
    model,
    prompt: blend ? `${input.prompt}##` : input.prompt,
    sample_strength: 0.5,
    image_ratio: 8,
    large_image_info: {
      type: "",
      id: crypto.randomUUID(),
      width: input.width ?? side,
      height: input.height ?? side,
      resolution_type: tier,
    },
  };
  const ability = blend
    ? {
      core_param: core,
      ability_list: [{
        type: "",
        id: crypto.randomUUID(),
        name: "byte_edit",
        image_uri_list: input.references,
        image_list: input.references!.map((uri) => ({ type: "image", image_uri: uri, uri })),
        strength: 0.5,
      }],
    }
    : { core_param: { ...core, seed: 2_512_345_678, negative_prompt: "", ...input.coreExtra } };
  const abilities: Record<string, unknown> = {
    type: "",
    id: crypto.randomUUID(),
    [blend ? "blend" : "generate"]: ability,
  };
  if (input.genOption !== undefined) abilities.gen_option = input.genOption;
  const draft = {
    type: "draft",
    id: crypto.randomUUID(),
    min_version: "3.0.2",
    version: "3.3.20",
    component_list: [{
      type: "image_base_component",
      id: crypto.randomUUID(),
      generate_type: blend ? "blend" : "generate",
      aigc_mode: "workbench",
      abilities,
    }],
  };
  const submitId = input.submitId ?? crypto.randomUUID();
  return {
    extend: { root_model: model, ...input.extend },
    submit_id: submitId,
    metrics_extra: JSON.stringify(
      input.metrics ?? { promptSource: "custom", generateId: submitId },
    ),
    draft_content: JSON.stringify(draft),
    http_common_info: { aid: input.aid ?? AID_CN },
  };
}

/** Inputs of {@linkcode videoGenerateBody}. */
export interface VideoBodyInput {
  prompt: string;
  submitId?: string;
  model?: string;
  benefit?: string;
  durationMs?: number;
  resolution?: string;
  ratio?: string;
  firstFrameUri?: string;
}

/** A ZZN-style video generate body (first-frame mode when `firstFrameUri` is set). */
export function videoGenerateBody(input: VideoBodyInput): Record<string, unknown> {
  const model = input.model ?? "dreamina_ic_generate_video_model_vgfm_3.0";
  const commerce = {
    benefit_type: input.benefit ?? "basic_video_operation_vgfm_v_three",
    resource_id: "generate_video",
    resource_id_type: "str",
    resource_sub_type: "aigc",
  };
  const frame = input.firstFrameUri
    ? { type: "image", image_uri: input.firstFrameUri, uri: input.firstFrameUri, width: 1024 }
    : undefined;
  const metrics = JSON.stringify({ enterFrom: "click", isDefaultSeed: 1 });
  const draft = {
    type: "draft",
    id: crypto.randomUUID(),
    min_version: "3.0.5",
    component_list: [{
      type: "video_base_component",
      generate_type: "gen_video",
      abilities: {
        gen_video: {
          text_to_video_params: {
            model_req_key: model,
            video_aspect_ratio: input.ratio ?? "16:9",
            video_gen_inputs: [{
              prompt: input.prompt,
              fps: 24,
              duration_ms: input.durationMs ?? 5000,
              resolution: input.resolution ?? "720p",
              first_frame_image: frame,
            }],
          },
          video_task_extra: metrics,
        },
      },
    }],
  };
  return {
    extend: {
      root_model: model,
      m_video_commerce_info: commerce,
      m_video_commerce_info_list: [commerce],
    },
    submit_id: input.submitId ?? crypto.randomUUID(),
    metrics_extra: metrics,
    draft_content: JSON.stringify(draft),
    http_common_info: { aid: AID_CN },
  };
}

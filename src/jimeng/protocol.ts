/**
 * Every constant of the upstream web protocol that the web app changes over
 * time. Values follow the newest reference client (2026-06) unless a comment
 * says otherwise; all version strings can be overridden by configuration so a
 * protocol bump needs no new release.
 * @module
 */

/** Client-version constants and browser fingerprint sent upstream. */
export interface ProtocolConstants {
  /** `Pf` header; part of the Sign. */
  platform: string;
  /** `Appvr` header on the CN site; part of the Sign. */
  appVersion: string;
  /**
   * `Appvr` on Dreamina. The newest CN client still sends 5.8.0, but Dreamina
   * answered 3018 "permission denied" to 5.8.0 in 2026-01 and accepted 8.4.0.
   */
  intlAppVersion: string;
  /** `da_version` query parameter and draft `version` on the CN site. */
  daVersion: string;
  /** The same on Dreamina, which runs a newer web app (2026-10 sheet §8). */
  intlDaVersion: string;
  /** `web_version` query parameter. */
  webVersion: string;
  /** `aigc_features` query parameter. */
  aigcFeatures: string;
  /** Image draft `min_version` (also used by `large_image_info` and components). */
  draftMinVersion: string;
  /** Draft `min_version` when a blend carries two or more reference images. */
  blendMinVersion: string;
  /** Video draft and `video_gen_inputs` `min_version`. */
  videoMinVersion: string;
  /** Video component `min_version`. */
  videoComponentMinVersion: string;
  /** `da_version` the web app sends on `get_upload_token`. */
  uploadDaVersion: string;
  userAgent: string;
  secChUa: string;
  /** App ids: CN and Dreamina. */
  aidCn: number;
  aidIntl: number;
  /** ImageX API version of ApplyImageUpload / CommitImageUpload. */
  imagexVersion: string;
  /** CN ImageX service id; Dreamina takes `space_name` from the upload token. */
  imagexServiceIdCn: string;
  imagexServiceIdIntl: string;
  /** VOD API version of ApplyUploadInner / CommitUploadInner. */
  vodVersion: string;
  /** VOD space when `get_upload_token` names none. */
  vodSpaceName: string;
  /** Draft and `video_gen_inputs` `min_version` of an omni-reference video. */
  omniMinVersion: string;
}

/** Defaults, from the newest reference (2026-06-24) where references disagree. */
export const DEFAULT_PROTOCOL: Readonly<ProtocolConstants> = Object.freeze({
  platform: "7",
  appVersion: "5.8.0",
  intlAppVersion: "8.4.0",
  daVersion: "3.3.20",
  intlDaVersion: "3.3.28",
  webVersion: "7.5.0",
  aigcFeatures: "app_lip_sync",
  draftMinVersion: "3.0.2",
  blendMinVersion: "3.2.9",
  videoMinVersion: "3.0.5",
  videoComponentMinVersion: "1.0.0",
  uploadDaVersion: "3.2.2",
  userAgent:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  secChUa: '"Google Chrome";v="142", "Chromium";v="142", "Not_A Brand";v="24"',
  aidCn: 513695,
  aidIntl: 513641,
  imagexVersion: "2018-08-01",
  imagexServiceIdCn: "tb4s082cfz",
  imagexServiceIdIntl: "wopfjsm1ax",
  vodVersion: "2020-11-19",
  vodSpaceName: "dreamina",
  omniMinVersion: "3.3.9",
});

/** Upstream paths. */
export const PATHS = Object.freeze({
  generate: "/mweb/v1/aigc_draft/generate",
  history: "/mweb/v1/get_history_by_ids",
  localItems: "/mweb/v1/get_local_item_list",
  uploadToken: "/mweb/v1/get_upload_token",
  algoProxy: "/mweb/v1/algo_proxy",
  userCredit: "/commerce/v1/benefits/user_credit",
  creditReceive: "/commerce/v1/benefits/credit_receive",
  accountInfo: "/passport/account/info/v2",
  imageConfig: "/mweb/v1/get_common_config",
  videoConfig: "/mweb/v1/video_generate/get_common_config",
  workspaces: "/mweb/v1/workspace/list",
});

/** The `da_version` (and draft `version`) a site expects. */
export function daVersionOf(protocol: ProtocolConstants, international: boolean): string {
  return international ? protocol.intlDaVersion : protocol.daVersion;
}

/** The `image_info` block the web app sends when polling image records. */
export const HISTORY_IMAGE_INFO = Object.freeze({
  width: 2048,
  height: 2048,
  format: "webp",
  image_scene_list: [
    ...[[360, 360], [480, 480], [720, 720], [720, 480], [360, 240], [240, 320], [480, 640]].map((
      [width, height],
    ) => ({
      scene: "smart_crop",
      width,
      height,
      uniq_key: `smart_crop-w:${width}-h:${height}`,
      format: "webp",
    })),
    ...[2400, 1080, 720, 480, 360].map((size) => ({
      scene: "normal",
      width: size,
      height: size,
      uniq_key: String(size),
      format: "webp",
    })),
  ],
});

/**
 * The web app's `Sign` request header.
 *
 * Sign = md5("9e2c|" + last 7 chars of the bare path + "|" + Pf + "|" + Appvr +
 * "|" + Device-Time + "||11ac"). The recipe changed once (2024-12) and may
 * change again, so it lives alone here.
 * @module
 */
import { createHash } from "node:crypto";

/** Inputs of {@linkcode computeSign}. */
export interface SignInput {
  /** Request path; any query string is ignored. */
  path: string;
  /** `Pf` header value. */
  platform: string;
  /** `Appvr` header value. */
  appVersion: string;
  /** `Device-Time` header value, Unix seconds. */
  deviceTime: number;
}

/** Computes the `Sign` header for one request. */
export function computeSign({ path, platform, appVersion, deviceTime }: SignInput): string {
  const barePath = path.split("?", 1)[0];
  const tail = barePath.slice(-7);
  return createHash("md5")
    .update(`9e2c|${tail}|${platform}|${appVersion}|${deviceTime}||11ac`)
    .digest("hex");
}

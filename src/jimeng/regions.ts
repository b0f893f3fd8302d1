/**
 * Regions: Jimeng (CN) and Dreamina (US, HK, JP, SG). A session token with a
 * `us-`/`hk-`/`jp-`/`sg-` prefix belongs to Dreamina; the prefix is not part
 * of the real sessionid.
 * @module
 */

/** A site the upstream serves. */
export type Region = "cn" | "us" | "hk" | "jp" | "sg";

/** Base URLs of one region group. */
export interface RegionHosts {
  /** `/mweb` and `/passport`. */
  base: string;
  /** `/commerce`. */
  commerce: string;
  /** ImageX OpenAPI. */
  imagex: string;
  /**
   * VOD OpenAPI (video and audio uploads of omni-reference videos). Only the
   * CN site has one: Dreamina's accounts are refused by the CN VOD host.
   */
  vod?: string;
}

/** Hosts for CN, US and the HK/JP/SG group (which share one cluster). */
export interface UpstreamHosts {
  cn: RegionHosts;
  us: RegionHosts;
  asia: RegionHosts;
}

/** Per-region protocol facts. */
export interface RegionInfo {
  region: Region;
  /** Value of the `region` query parameter. */
  queryRegion: string;
  /** AWS SigV4 region of the ImageX host. */
  awsRegion: string;
  /** Web-app origin used for Referer on page-specific calls. */
  pageOrigin: string;
  /** `Lan` header on Dreamina. */
  language: string;
  international: boolean;
}

const INFO: Record<Region, RegionInfo> = {
  cn: {
    region: "cn",
    queryRegion: "CN",
    awsRegion: "cn-north-1",
    pageOrigin: "https://jimeng.jianying.com",
    language: "zh-Hans",
    international: false,
  },
  us: {
    region: "us",
    queryRegion: "US",
    awsRegion: "us-east-1",
    pageOrigin: "https://dreamina.capcut.com",
    language: "en",
    international: true,
  },
  hk: {
    region: "hk",
    queryRegion: "HK",
    awsRegion: "ap-southeast-1",
    pageOrigin: "https://dreamina.capcut.com",
    language: "en",
    international: true,
  },
  jp: {
    region: "jp",
    queryRegion: "JP",
    awsRegion: "ap-southeast-1",
    pageOrigin: "https://dreamina.capcut.com",
    language: "ja",
    international: true,
  },
  sg: {
    region: "sg",
    queryRegion: "SG",
    awsRegion: "ap-southeast-1",
    pageOrigin: "https://dreamina.capcut.com",
    language: "en",
    international: true,
  },
};

/** Facts of one region. */
export function regionInfo(region: Region): RegionInfo {
  return INFO[region];
}

/** The site a region's accounts belong to, as messages name it: Jimeng (CN) or Dreamina. */
export function siteName(region: Region): "Jimeng" | "Dreamina" {
  return region === "cn" ? "Jimeng" : "Dreamina";
}

/** The hosts a region talks to. */
export function regionHosts(hosts: UpstreamHosts, region: Region): RegionHosts {
  if (region === "cn") return hosts.cn;
  if (region === "us") return hosts.us;
  return hosts.asia;
}

/** A token split into its region and the bare upstream sessionid. */
export interface ParsedToken {
  region: Region;
  sessionId: string;
}

const PREFIXES: Region[] = ["us", "hk", "jp", "sg"];

/** Splits `us-abc…` into `{region: "us", sessionId: "abc…"}`; anything else is CN. */
export function parseSessionToken(token: string): ParsedToken {
  const lower = token.slice(0, 3).toLowerCase();
  for (const region of PREFIXES) {
    if (lower === `${region}-`) return { region, sessionId: token.slice(3) };
  }
  return { region: "cn", sessionId: token };
}

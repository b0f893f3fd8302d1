/**
 * Finding Chromium and the way it is started for the browser transport:
 * which executable, which flags, and the browser identity (user agent and
 * client hints) each page presents. Nothing here starts a process.
 * @module
 */
import type { ProtocolConstants } from "./protocol.ts";
import type { Region } from "./regions.ts";

/** Names Chromium goes by on `PATH`, in the order they are tried. */
export const CHROMIUM_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
] as const;

/** Where Chromium is, or why it is not usable. */
export type ChromiumLookup = { path: string; problem?: undefined } | {
  path?: undefined;
  problem: string;
};

/** Whether `path` is an executable file; injectable for tests. */
export type IsExecutable = (path: string) => boolean;

/** A regular file with an execute bit (on Windows: any file). */
export function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) return false;
    return info.mode === null || (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Finds the Chromium executable: `configured` (CHROMIUM_PATH) if set, else the
 * first of {@linkcode CHROMIUM_NAMES} in a directory of `searchPath`.
 */
export function findChromium(
  configured: string | null,
  searchPath: string,
  isExecutable: IsExecutable = isExecutableFile,
): ChromiumLookup {
  if (configured !== null) {
    return isExecutable(configured)
      ? { path: configured }
      : { problem: `CHROMIUM_PATH "${configured}" is not an executable file` };
  }
  const windows = Deno.build.os === "windows";
  const dirs = searchPath.split(windows ? ";" : ":").filter(Boolean);
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const candidate = `${dir.replace(/[\\/]+$/, "")}/${name}${windows ? ".exe" : ""}`;
      if (isExecutable(candidate)) return { path: candidate };
    }
  }
  return {
    problem: `no ${CHROMIUM_NAMES.slice(0, 3).join(", ")} on PATH and CHROMIUM_PATH is not set`,
  };
}

/**
 * Chromium's flags: automation must not be visible to the page
 * (`navigator.webdriver`), and on a server nothing may run that talks to
 * Google or needs a GPU or a sandboxing kernel feature. `extra` (BROWSER_ARGS)
 * comes last and so wins.
 */
export function chromiumArgs(extra: readonly string[]): string[] {
  return [
    "--disable-blink-features=AutomationControlled",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    ...extra,
  ];
}

/** Locale and time zone a page of a region presents. */
export interface RegionLocale {
  locale: string;
  timeZone: string;
}

const LOCALES: Record<Region, RegionLocale> = {
  cn: { locale: "zh-CN", timeZone: "Asia/Shanghai" },
  us: { locale: "en-US", timeZone: "America/Los_Angeles" },
  hk: { locale: "zh-HK", timeZone: "Asia/Hong_Kong" },
  jp: { locale: "ja-JP", timeZone: "Asia/Tokyo" },
  sg: { locale: "en-SG", timeZone: "Asia/Singapore" },
};

/** The locale and time zone of a region's page. */
export function regionLocale(region: Region): RegionLocale {
  return LOCALES[region];
}

/** A brand of the `Sec-CH-UA` client hints. */
export interface UaBrand {
  brand: string;
  version: string;
}

/** The browser identity a page presents: the same one the direct calls send. */
export interface BrowserIdentity {
  userAgent: string;
  /** `navigator.platform`. */
  platform: string;
  /** CDP `Emulation.UserAgentMetadata`: what `navigator.userAgentData` and `Sec-CH-UA-*` say. */
  metadata: {
    brands: UaBrand[];
    fullVersionList: UaBrand[];
    fullVersion: string;
    platform: string;
    platformVersion: string;
    architecture: string;
    model: string;
    mobile: boolean;
    bitness: string;
    wow64: boolean;
  };
}

/**
 * Derives the page's identity from JIMENG_USER_AGENT and the `Sec-CH-UA` the
 * direct calls send, so that the user agent, `navigator.platform` and the
 * client hints agree with each other and with the direct calls (a user agent
 * that does not match the browser is a known reason for risk-control refusals).
 */
export function browserIdentity(
  protocol: Pick<ProtocolConstants, "userAgent" | "secChUa">,
): BrowserIdentity {
  const userAgent = protocol.userAgent;
  const brands = [...protocol.secChUa.matchAll(/"([^"]+)";\s*v="([^"]+)"/g)]
    .map(([, brand, version]) => ({ brand, version }));
  const fullVersion = /(?:Chrome|Chromium)\/([\d.]+)/.exec(userAgent)?.[1] ?? "";
  const os = /Windows/.test(userAgent)
    ? { platform: "Win32", name: "Windows", version: "10.0.0" }
    : /Mac OS X/.test(userAgent)
    ? { platform: "MacIntel", name: "macOS", version: "10.15.7" }
    : { platform: "Linux x86_64", name: "Linux", version: "" };
  return {
    userAgent,
    platform: os.platform,
    metadata: {
      brands,
      fullVersionList: brands.map(({ brand, version }) => ({
        brand,
        version: /^\d+$/.test(version) && fullVersion.startsWith(`${version}.`)
          ? fullVersion
          : version,
      })),
      fullVersion,
      platform: os.name,
      platformVersion: os.version,
      architecture: "x86",
      model: "",
      mobile: false,
      bitness: "64",
      wow64: false,
    },
  };
}

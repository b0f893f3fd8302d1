/**
 * Checks every /mweb, /commerce and /passport call must pass before its
 * handler runs: method, cookie, Device-Time, Pf, Appvr, Sign, the common
 * query parameters, the session and its region (fact sheet 1.2–1.6).
 * @module
 */
import { computeSign } from "../../src/jimeng/sign.ts";
import { AID_CN, AID_INTL, aidOf, type Region } from "./models.ts";
import { jsonReply, rejectViolation, type Reply, retError } from "./reply.ts";
import type { FakeState, SessionState } from "./state.ts";

/** Which API family a path belongs to. */
export type Family = "mweb" | "commerce" | "passport";

/** Outcome of {@linkcode checkWebRequest}. */
export type WebCheck = { session: SessionState; reply?: undefined } | { reply: Reply };

/** The `sessionid` cookie, if any. */
export function sessionIdOf(cookie: string | null): string | undefined {
  if (!cookie) return undefined;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === "sessionid") {
      const value = part.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

/** The value of the cookie `name`, if any. */
function cookieValue(cookie: string | null, name: string): string | undefined {
  for (const part of (cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Compares dotted versions numerically; negative when `a < b`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((part) => parseInt(part, 10) || 0);
  const pb = b.split(".").map((part) => parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Whether `sign` matches the bare path or, as the real backend tolerated for
 * ZZN's get_upload_token, the path plus a leading part of the raw query.
 * Only the last 7 characters are signed, so each query prefix is one
 * candidate tail; tails that still contain the "?" are not considered.
 */
function signMatches(
  url: URL,
  input: { platform: string; appVersion: string; deviceTime: number },
  sign: string,
): boolean {
  if (computeSign({ path: url.pathname, ...input }) === sign) return true;
  const full = `${url.pathname}${url.search}`;
  for (let end = url.pathname.length + 8; end <= full.length; end++) {
    const tail = full.slice(end - 7, end);
    if (!tail.includes("?") && computeSign({ path: `/${tail}`, ...input }) === sign) return true;
  }
  return false;
}

/** The single value of a query parameter; repeated equal values are fine (ZZN sends `aid` twice). */
function queryValue(url: URL, name: string): string | undefined | null {
  const values = url.searchParams.getAll(name);
  if (values.length === 0) return undefined;
  return values.every((value) => value === values[0]) ? values[0] : null;
}

function regionOfQuery(value: string): Region | undefined {
  if (value === "CN" || value === "cn") return "cn";
  const lower = value.toLowerCase();
  return lower === "us" || lower === "hk" || lower === "jp" || lower === "sg" ? lower : undefined;
}

function headerProblem(state: FakeState, req: Request, url: URL): string | undefined {
  if (req.method !== "POST") return `method must be POST, got ${req.method}`;
  if (!sessionIdOf(req.headers.get("cookie"))) return "Cookie has no sessionid";
  const rawTime = req.headers.get("device-time");
  if (rawTime === null) return "Device-Time header missing";
  if (!/^\d+$/.test(rawTime)) return `Device-Time "${rawTime}" is not integer seconds`;
  const deviceTime = Number(rawTime);
  const nowS = state.options.now() / 1000;
  if (Math.abs(deviceTime - nowS) > state.options.deviceTimeSkewS) {
    return `Device-Time ${deviceTime} is ${Math.round(deviceTime - nowS)} s off the server clock`;
  }
  const pf = req.headers.get("pf");
  if (pf !== "7") return `Pf must be "7", got ${JSON.stringify(pf)}`;
  const appvr = req.headers.get("appvr");
  if (!appvr) return "Appvr header missing";
  if (state.options.verifySign) {
    const sign = req.headers.get("sign");
    if (!sign) return "Sign header missing";
    if (!signMatches(url, { platform: pf, appVersion: appvr, deviceTime }, sign)) {
      return `Sign does not match path ${url.pathname} (Pf ${pf}, Appvr ${appvr}, Device-Time ${deviceTime})`;
    }
  }
  return undefined;
}

function queryProblem(url: URL, family: Family): string | undefined {
  const aid = queryValue(url, "aid");
  const region = queryValue(url, "region");
  if (aid === null) return "query parameter aid is repeated with different values";
  if (region === null) return "query parameter region is repeated with different values";
  if (family === "mweb" || family === "passport") {
    if (aid === undefined) return "query parameter aid missing";
  }
  if (family === "mweb") {
    if (queryValue(url, "device_platform") !== "web") {
      return "query parameter device_platform=web missing";
    }
    if (region === undefined) return "query parameter region missing";
  }
  if (aid !== undefined && aid !== String(AID_CN) && aid !== String(AID_INTL)) {
    return `unknown aid ${aid}`;
  }
  if (region !== undefined && !regionOfQuery(region)) return `unknown region ${region}`;
  return undefined;
}

/** A passport-style "not logged in" body. */
function passportLoggedOut(description: string): Reply {
  return jsonReply({
    data: { user_id: 0, error_code: 1015, description },
    message: "error",
  });
}

/** Runs every common check; returns the session or the reply to send instead. */
export function checkWebRequest(
  state: FakeState,
  req: Request,
  url: URL,
  family: Family,
): WebCheck {
  const where = url.pathname;
  const problem = headerProblem(state, req, url) ?? queryProblem(url, family);
  if (problem) return { reply: rejectViolation(state, where, problem) };
  const appvr = req.headers.get("appvr")!;
  const { minAppVersion } = state.options;
  if (family !== "passport" && minAppVersion && compareVersions(appvr, minAppVersion) < 0) {
    return { reply: retError(state, "3018", "permission denied", { aigc_data: null }) };
  }
  const sessionId = sessionIdOf(req.headers.get("cookie"))!;
  const session = state.sessions.get(sessionId);
  const loggedOut = (why: string) =>
    family === "passport" ? passportLoggedOut(why) : retError(state, "1015", "login expired");
  if (!session) return { reply: loggedOut("session not found") };
  if (session.expired) return { reply: loggedOut("session expired") };
  const aid = queryValue(url, "aid");
  const region = queryValue(url, "region");
  const wrongAid = aid !== undefined && aid !== String(aidOf(session.region));
  const wrongRegion = region !== undefined && region !== null &&
    regionOfQuery(region) !== session.region;
  const webId = cookieValue(req.headers.get("cookie"), "_tea_web_id");
  if (webId !== undefined) session.webIds.add(webId);
  const queryWebId = queryValue(url, "webId");
  if (webId !== undefined && typeof queryWebId === "string" && queryWebId !== webId) {
    // A page never sends two device ids: risk control refuses such calls (2026-10 sheet §4).
    state.stats.violations.push(`${where}: webId ${queryWebId} is not the _tea_web_id cookie`);
    return { reply: retError(state, "4013", "shark not pass") };
  }
  if (wrongAid || wrongRegion) {
    state.stats.violations.push(
      `${where}: session of region ${session.region} called with aid=${aid} region=${region}`,
    );
    return { reply: loggedOut("wrong regional cluster") };
  }
  return { session };
}

/**
 * Risk control (fact sheet 2026-10 §4): which calls the upstream accepts only
 * with the site page's signature, and how it refuses the others.
 *
 * - CN: a submit (`aigc_draft/generate`) for `dreamina_seedance_40_pro` or
 *   `dreamina_seedance_40` → ret 4013 with `fail_starling_key`
 *   `web_risk_control_message_reject_generation`; nothing is charged.
 * - Dreamina: every write (`aigc_draft/generate`, `credit_receive`) → ret -6
 *   "shark not pass reject"; reads work.
 * - Anywhere: a page signature that does not verify → the site's refusal.
 * - CN calls that need the page are refused, signed or not, when the `webId`
 *   query differs from the `_tea_web_id` cookie (a known 4013 cause, FRG).
 * @module
 */
import { type Reply, retError } from "./reply.ts";
import { cookieValue, verifyPageSignature } from "./site_page.ts";
import { bump, type FakeState, type SessionState } from "./state.ts";

/** CN models whose submits need the page (the non-VIP Seedance 2.0 ones). */
export const CN_PAGE_ONLY_MODELS: ReadonlySet<string> = new Set([
  "dreamina_seedance_40_pro",
  "dreamina_seedance_40",
]);

const GENERATE = "/mweb/v1/aigc_draft/generate";
const DREAMINA_WRITES: ReadonlySet<string> = new Set([
  GENERATE,
  "/commerce/v1/benefits/credit_receive",
]);

const CN_MESSAGE = "生成失败，疑似存在异常行为，请重新尝试";

function rootModel(body: unknown): string | undefined {
  const model = (body as { extend?: { root_model?: unknown } } | null)?.extend?.root_model;
  return typeof model === "string" ? model : undefined;
}

/** Whether the upstream accepts this call only from the site's page. */
export function needsPage(session: SessionState, path: string, body: unknown): boolean {
  if (session.region !== "cn") return DREAMINA_WRITES.has(path);
  return path === GENERATE && CN_PAGE_ONLY_MODELS.has(rootModel(body) ?? "");
}

function refusal(state: FakeState, session: SessionState): Reply {
  if (session.region === "cn") {
    return retError(state, "4013", CN_MESSAGE, {
      aigc_data: null,
      fail_code: "4013",
      fail_starling_key: "web_risk_control_message_reject_generation",
      fail_starling_message: CN_MESSAGE,
    });
  }
  return retError(state, "-6", "shark not pass reject", {
    message: "Couldn't generate due to unusual activity in your account.",
  });
}

/** The refusal to send instead of handling the call, if risk control refuses it. */
export function checkRiskControl(
  state: FakeState,
  req: Request,
  url: URL,
  bodyText: string,
  body: unknown,
  session: SessionState,
): Reply | undefined {
  const path = url.pathname;
  const signature = verifyPageSignature(state, req, url, bodyText, session);
  if (signature.valid) bump(state.stats.signedCalls, path);
  else if (!signature.absent) state.stats.badSignatures.push(`${path}: ${signature.reason}`);
  if (!state.knobs.riskControl) return undefined;
  const needed = needsPage(session, path, body);
  const webId = url.searchParams.get("webId");
  if (needed && webId !== null && cookieValue(req.headers.get("cookie"), "_tea_web_id") !== webId) {
    state.stats.badSignatures.push(`${path}: webId query differs from the _tea_web_id cookie`);
  } else if (signature.valid || (signature.absent && !needed)) return undefined;
  bump(state.stats.riskRefusals, path);
  return refusal(state, session);
}

/**
 * Account calls: credit balance, the daily free-credit claim and session
 * liveness (fact sheet 2.1–2.3).
 * @module
 */
import { JimengError } from "./errors.ts";
import { callUpstream, type Session, type UpstreamContext } from "./http.ts";
import { PATHS } from "./protocol.ts";
import { regionInfo } from "./regions.ts";

/** A credit balance. */
export interface Credits {
  gift: number;
  purchase: number;
  vip: number;
  total: number;
}

/** Result of a daily claim. */
export interface CreditClaim {
  /** Credits added by this claim (0 when already claimed today). */
  received: number;
  /** Balance after the claim when the upstream says so. */
  total?: number;
}

const num = (value: unknown): number => {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
};

/** Reads a `user_credit` payload (exported for tests). */
export function parseCredits(data: unknown): Credits {
  const payload = (data ?? {}) as {
    credit?: Record<string, unknown>;
    expiring_credits?: { credit_amount?: unknown }[];
    credits_detail?: { gift_credits?: { residual_credits?: unknown }[] };
  };
  const credit = payload.credit ?? {};
  let gift = num(credit.gift_credit);
  const purchase = num(credit.purchase_credit);
  const vip = num(credit.vip_credit);
  // Dreamina has shown a zero `credit` block while the expiring credits held
  // the real balance; take the larger view of the gift credits.
  const expiring = (payload.expiring_credits ?? []).reduce((s, e) => s + num(e.credit_amount), 0);
  const residual = (payload.credits_detail?.gift_credits ?? [])
    .reduce((s, e) => s + num(e.residual_credits), 0);
  if (gift + purchase + vip === 0) gift = Math.max(expiring, residual);
  return { gift, purchase, vip, total: gift + purchase + vip };
}

function creditReferer(session: Session, page: string): string {
  const info = regionInfo(session.region);
  return info.international ? `${info.pageOrigin}/` : `${info.pageOrigin}/ai-tool/${page}`;
}

/** Reads the account's credit balance. */
export async function getCredits(
  ctx: UpstreamContext,
  session: Session,
  signal?: AbortSignal,
  options: { retry?: boolean } = {},
): Promise<Credits> {
  const body = await callUpstream(ctx, session, {
    path: PATHS.userCredit,
    host: "commerce",
    body: {},
    referer: creditReferer(session, "image/generate"),
    envelope: "commerce",
    retry: options.retry,
    signal,
  });
  return parseCredits(body);
}

/** Claims today's free credits. Calling it twice a day is harmless. */
export async function receiveDailyCredits(
  ctx: UpstreamContext,
  session: Session,
  signal?: AbortSignal,
  timeZone = "Asia/Shanghai",
): Promise<CreditClaim> {
  const body = await callUpstream(ctx, session, {
    path: PATHS.creditReceive,
    host: "commerce",
    body: { time_zone: timeZone },
    referer: creditReferer(session, "home"),
    // Not repeated blindly: a claim that went through must not be sent again.
    retry: false,
    envelope: "commerce",
    signal,
  });
  const data = body as Record<string, unknown> | null;
  const claim: CreditClaim = { received: num(data?.receive_quota) };
  if (data?.cur_total_credits !== undefined) claim.total = num(data.cur_total_credits);
  return claim;
}

/**
 * Whether the session is logged in. Jimeng (CN): a non-zero `user_id` at
 * `data.user_id` of the passport call (fallback: top-level `user_id`).
 * Dreamina has no such passport call (it answers 404 there): a credit read
 * that works is the proof, "login expired" the refutation.
 */
export async function isSessionAlive(
  ctx: UpstreamContext,
  session: Session,
  signal?: AbortSignal,
): Promise<boolean> {
  if (regionInfo(session.region).international) {
    try {
      await getCredits(ctx, session, signal);
      return true;
    } catch (error) {
      if (error instanceof JimengError && error.kind === "session_expired") return false;
      throw error;
    }
  }
  let body: unknown;
  try {
    body = await callUpstream(ctx, session, {
      path: PATHS.accountInfo,
      query: { account_sdk_source: "web" },
      envelope: "ret",
      signal,
    });
  } catch (error) {
    if (error instanceof JimengError && error.kind === "session_expired") return false;
    throw error;
  }
  const record = (body ?? {}) as { data?: { user_id?: unknown }; user_id?: unknown };
  const userId = record.data?.user_id ?? record.user_id;
  return userId !== undefined && userId !== null && userId !== 0 && userId !== "0" &&
    userId !== "";
}

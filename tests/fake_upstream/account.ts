/**
 * Account endpoints: passport liveness, credit balance and the daily free
 * credits (fact sheet 2.1–2.3).
 * @module
 */
import { commerceOk, jsonReply, rejectViolation, type Reply } from "./reply.ts";
import { type FakeState, type SessionState, shanghaiDay, shanghaiDayEndS } from "./state.ts";

/** `POST /passport/account/info/v2`: no `ret` envelope; `data.user_id` is non-zero when live. */
export function handleAccountInfo(_state: FakeState, session: SessionState): Reply {
  return jsonReply({
    data: {
      user_id: session.userId,
      user_id_str: String(session.userId),
      nickname: session.nickname,
      screen_name: session.nickname,
    },
    message: "success",
  });
}

function isEmptyObject(body: unknown): boolean {
  return body !== null && typeof body === "object" && !Array.isArray(body) &&
    Object.keys(body).length === 0;
}

/** `POST /commerce/v1/benefits/user_credit` with body `{}`. */
export function handleUserCredit(state: FakeState, session: SessionState, body: unknown): Reply {
  // IPT and ZZN send `{}`; an empty POST is tolerated as the same thing.
  if (body !== undefined && !isEmptyObject(body)) {
    return rejectViolation(state, "/commerce/v1/benefits/user_credit", "body must be {}");
  }
  const credits = session.credits;
  const expireTime = shanghaiDayEndS(shanghaiDay(state.options.now()));
  return commerceOk(state, {
    credit: { vip_credit: 0, gift_credit: credits, purchase_credit: 0 },
    expiring_credits: credits > 0 ? [{ credit_amount: credits, expire_time: expireTime }] : [],
    credits_detail: {
      gift_credits: credits > 0
        ? [{ residual_credits: credits, credits_life_end: expireTime }]
        : [],
      purchase_credits: [],
      vip_credits: [],
    },
  }, session.region !== "cn");
}

/**
 * `POST /commerce/v1/benefits/credit_receive` with `{"time_zone":"Asia/Shanghai"}`:
 * pays `dailyGift` once per Asia/Shanghai day; later calls that day answer a
 * zero quota (the real behaviour is unknown; this is one of the fact sheet's options).
 */
export function handleCreditReceive(
  state: FakeState,
  session: SessionState,
  body: unknown,
): Reply {
  const timeZone = (body as Record<string, unknown> | null)?.time_zone;
  if (timeZone !== "Asia/Shanghai" || Object.keys(body as object).length !== 1) {
    return rejectViolation(
      state,
      "/commerce/v1/benefits/credit_receive",
      'body must be {"time_zone":"Asia/Shanghai"}',
    );
  }
  const today = shanghaiDay(state.options.now());
  const first = session.lastReceiveDay !== today;
  if (first) {
    session.lastReceiveDay = today;
    session.credits += session.dailyGift;
  }
  return commerceOk(state, {
    cur_total_credits: session.credits,
    receive_quota: first ? session.dailyGift : 0,
    is_first_receive: first,
    has_popup: first,
    receive_inter_days: 1,
  }, session.region !== "cn");
}

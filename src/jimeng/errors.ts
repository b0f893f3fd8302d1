/**
 * The one error type of the upstream client: every upstream failure becomes a
 * {@linkcode JimengError} with a closed {@linkcode JimengErrorKind} that the
 * API layer maps to an HTTP status.
 * @module
 */

/** What went wrong upstream, as far as a caller needs to decide. */
export type JimengErrorKind =
  /** The sessionid is invalid or expired (ret 1015, passport user_id 0). */
  | "session_expired"
  /** Not enough credits, or the account may not use that resolution (1006, 5000). */
  | "insufficient_credits"
  /** Moderation refused the prompt, an input image or the result (2038, 2047, 4001, 2003). */
  | "content_blocked"
  /** The upstream throttles this client (HTTP 429). */
  | "rate_limited"
  /**
   * Risk control refused a call that did not come from the site's own page
   * (ret 4013, 1019, -6, fail_code 4013, "shark not pass"): repeating it the
   * same way cannot help.
   */
  | "risk_control"
  /** The upstream took the model offline (ret 2061). */
  | "model_unavailable"
  /** The upstream refuses this client version (3018): raise JIMENG_APPVR / JIMENG_DA_VERSION. */
  | "client_outdated"
  /** The upstream rejected a parameter (4002, 34010100). */
  | "invalid_parameter"
  /** The generation itself failed upstream (status 30, 5001, 5002). */
  | "generation_failed"
  /** An upstream call or the whole generation took too long. */
  | "timeout"
  /** Network error, 5xx, HTML or truncated answers. */
  | "upstream_unavailable"
  /**
   * The account's proxy failed: unreachable, refused its credentials, or
   * could not open the tunnel. The account is not at fault; another may serve.
   */
  | "proxy_error"
  /** An answer of an unexpected shape or an unknown `ret`. */
  | "bad_response";

/** Options of {@linkcode JimengError}. */
export interface JimengErrorOptions {
  /** Upstream `ret` (string) or `fail_code` when there was one. */
  code?: string;
  /** Whether repeating the same call may succeed. */
  retriable?: boolean;
  cause?: unknown;
}

/** An upstream failure. Messages never contain sessionids. */
export class JimengError extends Error {
  override name = "JimengError";
  readonly kind: JimengErrorKind;
  readonly code: string | undefined;
  readonly retriable: boolean;

  constructor(kind: JimengErrorKind, message: string, options: JimengErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.code = options.code;
    this.retriable = options.retriable ??
      (kind === "upstream_unavailable" || kind === "timeout");
  }
}

/** Codes and messages of risk-control refusals (fact sheet 2026-10 §4). */
const RISK_CONTROL_CODES: ReadonlySet<string> = new Set(["4013", "1019", "-6"]);
const RISK_CONTROL_TEXT = /shark not pass|web_risk_control|疑似存在异常行为|unusual activity/i;

/** Whether a `ret` or `fail_code` with its message is a risk-control refusal. */
export function isRiskControl(code: string, message = ""): boolean {
  return RISK_CONTROL_CODES.has(code) || RISK_CONTROL_TEXT.test(message);
}

function riskControlError(code: string, detail: string): JimengError {
  return new JimengError(
    "risk_control",
    `Jimeng's risk control refused the call because it did not come from its web page${detail}`,
    { code, retriable: false },
  );
}

/** Maps a non-zero `ret` to an error. */
export function errorFromRet(ret: string, errmsg: string): JimengError {
  const detail = errmsg ? `: ${errmsg} (ret ${ret})` : ` (ret ${ret})`;
  if (isRiskControl(ret, errmsg)) return riskControlError(ret, detail);
  switch (ret) {
    case "1015":
    case "34010105":
      return new JimengError(
        "session_expired",
        `The Jimeng session has expired or is invalid${detail}`,
        { code: ret },
      );
    case "1006":
    case "5000":
    case "2039":
      return new JimengError(
        "insufficient_credits",
        `The Jimeng account has not enough credits for this request${detail}`,
        { code: ret },
      );
    case "4001":
    case "2003":
      return new JimengError("content_blocked", `Jimeng refused the content${detail}`, {
        code: ret,
      });
    case "3018":
      return new JimengError(
        "client_outdated",
        `Jimeng refused this client version${detail}`,
        { code: ret },
      );
    case "1014":
      return new JimengError(
        "client_outdated",
        `Jimeng refused the request's signature${detail}`,
        { code: ret },
      );
    case "2061":
      return new JimengError("model_unavailable", `Jimeng has taken the model offline${detail}`, {
        code: ret,
      });
    case "4002":
    case "34010100":
      return new JimengError("invalid_parameter", `Jimeng rejected a parameter${detail}`, {
        code: ret,
      });
    case "5001":
    case "5002":
      return new JimengError("generation_failed", `Jimeng could not generate${detail}`, {
        code: ret,
      });
    default:
      return new JimengError("bad_response", `Jimeng answered an error${detail}`, { code: ret });
  }
}

/** Maps a history record's `fail_code` (status 30) to an error. */
export function errorFromFailCode(
  failCode: string,
  what: "image" | "video",
  failMessage = "",
): JimengError {
  if (isRiskControl(failCode, failMessage)) {
    return riskControlError(failCode, ` while generating the ${what} (fail_code ${failCode})`);
  }
  if (failCode === "2038" || failCode === "2047" || failCode === "4001") {
    return new JimengError(
      "content_blocked",
      `Jimeng's moderation blocked the ${what} (fail_code ${failCode})`,
      { code: failCode },
    );
  }
  if (failCode === "1006" || failCode === "5000") {
    return new JimengError(
      "insufficient_credits",
      `The Jimeng account ran out of credits during the ${what} generation (fail_code ${failCode})`,
      { code: failCode },
    );
  }
  return new JimengError(
    "generation_failed",
    `Jimeng failed to generate the ${what}${failCode ? ` (fail_code ${failCode})` : ""}`,
    { code: failCode || undefined },
  );
}

/**
 * Names the model and what to use instead when the upstream answered that
 * the model is offline; other errors pass through.
 */
export function withModelAlternatives(
  error: unknown,
  modelId: string,
  alternatives: readonly string[],
): unknown {
  if (!(error instanceof JimengError) || error.kind !== "model_unavailable") return error;
  const instead = alternatives.length > 0
    ? `; use one of ${alternatives.map((id) => `'${id}'`).join(", ")} instead`
    : "";
  return new JimengError(
    "model_unavailable",
    `Jimeng no longer offers the model '${modelId}' (ret ${error.code})${instead}`,
    { code: error.code, cause: error },
  );
}

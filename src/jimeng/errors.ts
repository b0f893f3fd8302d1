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
  /** Anti-bot or rate refusal (1019 "shark not pass", 4013). */
  | "rate_limited"
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

/** Maps a non-zero `ret` to an error. */
export function errorFromRet(ret: string, errmsg: string): JimengError {
  const detail = errmsg ? `: ${errmsg} (ret ${ret})` : ` (ret ${ret})`;
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
    case "1019":
    case "4013":
      return new JimengError(
        "rate_limited",
        `Jimeng's risk control refused the request${detail}`,
        { code: ret, retriable: false },
      );
    case "3018":
      return new JimengError(
        "client_outdated",
        `Jimeng refused this client version${detail}`,
        { code: ret },
      );
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
export function errorFromFailCode(failCode: string, what: "image" | "video"): JimengError {
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

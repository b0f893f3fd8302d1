/**
 * Console authentication: the one-time setup (a random token printed to the
 * log at first start, or ADMIN_USER/ADMIN_PASSWORD), scrypt passwords, login
 * throttling, sessions in SQLite (the cookie value is stored only hashed; the
 * CSRF token is derived from it) and the guard of every admin route: a live
 * session, and for state-changing calls a same-origin request carrying the
 * session's CSRF token.
 *
 * The login throttle counts an attempt before its password is checked, so
 * parallel attempts see each other. Limits apply per client address and per
 * address and name, so that failures from one address never lock the
 * administrator out at another; across addresses a user's failures only slow
 * the checks down. Names that are no administrator's are never stored.
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../api/errors.ts";
import { HOST_POLICY, type HostPolicy, isOwnOrigin } from "../api/host_guard.ts";
import type { Logger } from "../log.ts";
import { clientNetwork } from "../net/cidr.ts";
import { registerSecret } from "../redact.ts";
import {
  type AdminSessionWithUser,
  type AdminUser,
  clearLoginFailures,
  countAdminUsers,
  deleteAdminSession,
  deleteAdminSessionsOfUser,
  deleteExpiredAdminSessions,
  findAdminSession,
  findAdminUser,
  getAdminUser,
  insertAdminSession,
  insertFirstAdminUser,
  insertLoginFailure,
  loginFailuresSince,
  type LoginScope,
  pruneLoginFailures,
  touchAdminSession,
  updateAdminPassword,
} from "../store/admin.ts";
import type { Db } from "../store/db.ts";
import {
  createPasswordGate,
  dummyHash,
  hashPassword,
  type PasswordGate,
  passwordProblem,
  verifyPassword,
} from "./passwords.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "jimeng_admin";
/** Header that must carry the session's CSRF token on state-changing calls. */
export const CSRF_HEADER = "X-CSRF-Token";
/**
 * Failed logins allowed from one address for one user name (and wrong
 * current passwords per administrator) within {@linkcode THROTTLE_WINDOW_MS}.
 */
export const MAX_LOGIN_FAILURES = 5;
/** Failed logins allowed from one address for any names within the window. */
export const MAX_ADDRESS_FAILURES = 20;
/** Failures of one administrator (from any address) after which each check is slowed down. */
export const USER_SLOWDOWN_AFTER = 10;
/** Longest slow-down of one login attempt. */
export const MAX_SLOWDOWN_MS = 5000;
/** Window of the login throttle. */
export const THROTTLE_WINDOW_MS = 15 * 60_000;

/** The wait before a user's next password check, after `failures` recent failures. */
export function slowdownMs(failures: number): number {
  if (failures < USER_SLOWDOWN_AFTER) return 0;
  return Math.min(MAX_SLOWDOWN_MS, 250 * 2 ** Math.min(failures - USER_SLOWDOWN_AFTER, 5));
}

/** A session just created; `cookie` is the only copy of its secret. */
export interface NewLogin {
  cookie: string;
  csrfToken: string;
  username: string;
  expiresAt: number;
}

/** What the service needs. */
export interface AdminAuthDeps {
  db: Db;
  log: Logger;
  now: () => number;
  /** Session lifetime. */
  ttlMs: number;
  /** Bounds concurrent password checks. @default a gate of {@linkcode MAX_CONCURRENT_CHECKS} */
  gate?: PasswordGate;
  /** Waits (the per-user slow-down). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** A live session as the guards see it, with its CSRF token. */
export interface ConsoleSession extends AdminSessionWithUser {
  csrfToken: string;
}

/** The service. */
export interface AdminAuth {
  /** Whether no administrator exists yet. */
  setupNeeded(): boolean;
  /** Makes a new one-time setup token (replacing any earlier one); `null` when set up. */
  issueSetupToken(): string | null;
  /** Creates the first administrator with the setup token and logs them in. */
  setup(input: { token: string; username: string; password: string }): Promise<NewLogin>;
  /** Creates the first administrator from configuration; false when one existed. */
  bootstrap(username: string, password: string): Promise<boolean>;
  /**
   * Checks a password (throttled per address, per address and name, slowed
   * down per user) and starts a session; `previous` (a cookie the browser
   * still had) is ended. `ip` is the client's address.
   */
  login(
    input: { username: string; password: string; ip: string; previous?: string },
  ): Promise<NewLogin>;
  /** The live session of a cookie value. */
  session(cookie: string): ConsoleSession | undefined;
  /** Ends every session of the user (this one included). */
  logout(session: AdminSessionWithUser): void;
  /**
   * Changes the password (wrong current passwords are throttled per
   * administrator) and ends the user's other sessions.
   */
  changePassword(session: AdminSessionWithUser, current: string, next: string): Promise<void>;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function randomToken(): string {
  return Buffer.from(randomBytes(32)).toString("base64url");
}

/** Constant-time string equality. */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/**
 * The CSRF token of a session: a keyed hash of its cookie, so that nothing
 * stored (the session row holds the cookie's SHA-256) gives it away.
 */
export function csrfTokenOf(cookie: string): string {
  return createHmac("sha256", cookie).update("jimeng-api csrf").digest("base64url");
}

function tooManyAttempts(retryAt: number, now: number, what: string): ApiError {
  const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
  return new ApiError(
    429,
    `Too many ${what}; try again in ${Math.ceil(seconds / 60)} min`,
    "requests",
    "too_many_login_attempts",
    null,
    { "Retry-After": String(seconds) },
  );
}

function checksBusy(): ApiError {
  return new ApiError(
    429,
    "Too many password checks are running at once; try again in a few seconds",
    "requests",
    "login_busy",
    null,
    { "Retry-After": "2" },
  );
}

function badPassword(message: string, param: string): ApiError {
  return new ApiError(400, message, "invalid_request_error", "weak_password", param);
}

/** Checks a user name (1–64 letters, digits, `_ . @ -`). */
export function usernameProblem(username: string): string | null {
  return /^[\w.@-]{1,64}$/.test(username)
    ? null
    : "The user name must be 1 to 64 letters, digits or the characters _ . @ -";
}

/** Creates the service. */
export function createAdminAuth(deps: AdminAuthDeps): AdminAuth {
  const { db, log, now } = deps;
  const gate = deps.gate ?? createPasswordGate();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Names that are no administrator's are counted under a keyed hash, never stored as typed
  // (they may be a password typed into the wrong field). The key lives as long as the process.
  const nameKey = randomBytes(32);
  let setupTokenHash: string | null = null;
  let lastTouch = new Map<string, number>();

  function startSession(userId: number, username: string): NewLogin {
    const at = now();
    deleteExpiredAdminSessions(db, at);
    const cookie = randomToken();
    registerSecret(cookie);
    const expiresAt = at + deps.ttlMs;
    insertAdminSession(db, {
      idHash: sha256(cookie),
      userId,
      createdAt: at,
      expiresAt,
      lastSeenAt: at,
    });
    return { cookie, csrfToken: csrfTokenOf(cookie), username, expiresAt };
  }

  /** When the first limit reached among `limits` frees up, or `null` when none is reached. */
  function throttled(limits: readonly [LoginScope, string, number][]): number | null {
    const since = now() - THROTTLE_WINDOW_MS;
    let retryAt: number | null = null;
    for (const [scope, subject, max] of limits) {
      const { count, oldest } = loginFailuresSince(db, scope, subject, since);
      if (count >= max && oldest !== null) {
        retryAt = Math.max(retryAt ?? 0, oldest + THROTTLE_WINDOW_MS);
      }
    }
    return retryAt;
  }

  function nameSubject(username: string, userId: number | undefined): string {
    if (userId !== undefined) return `id:${userId}`;
    return `name:${
      createHmac("sha256", nameKey).update(username.toLowerCase()).digest("base64url").slice(0, 22)
    }`;
  }

  return {
    setupNeeded: () => countAdminUsers(db) === 0,
    issueSetupToken() {
      if (countAdminUsers(db) > 0) return null;
      const token = randomToken();
      setupTokenHash = sha256(token);
      return token;
    },
    async setup({ token, username, password }) {
      if (countAdminUsers(db) > 0) {
        throw new ApiError(
          409,
          "The console is already set up; log in instead",
          "invalid_request_error",
          "setup_done",
        );
      }
      if (setupTokenHash === null || token === "" || !safeEqual(sha256(token), setupTokenHash)) {
        throw new ApiError(
          403,
          "The setup token is missing or wrong: open the setup link printed in the server's log",
          "permission_error",
          "invalid_setup_token",
          "token",
        );
      }
      const nameProblem = usernameProblem(username);
      if (nameProblem) {
        throw new ApiError(400, nameProblem, "invalid_request_error", "invalid_value", "username");
      }
      const problem = passwordProblem(password);
      if (problem) throw badPassword(problem, "password");
      const passwordHash = await hashPassword(password);
      const user = insertFirstAdminUser(db, { username, passwordHash, createdAt: now() });
      if (!user) {
        throw new ApiError(
          409,
          "The console is already set up; log in instead",
          "invalid_request_error",
          "setup_done",
        );
      }
      setupTokenHash = null;
      log.info("Console administrator created", { username });
      return startSession(user.id, user.username);
    },
    async bootstrap(username, password) {
      registerSecret(password, { lasting: true });
      if (countAdminUsers(db) > 0) {
        log.info("ADMIN_USER is ignored: the console already has an administrator");
        return false;
      }
      const user = insertFirstAdminUser(db, {
        username,
        passwordHash: await hashPassword(password),
        createdAt: now(),
      });
      if (user) {
        setupTokenHash = null;
        log.info("Console administrator created from ADMIN_USER", { username });
      }
      return user !== undefined;
    },
    async login({ username, password, ip, previous }) {
      pruneLoginFailures(db, now() - THROTTLE_WINDOW_MS);
      const network = clientNetwork(ip);
      const subjectsOf = (user: AdminUser | undefined) => {
        const subjects: { scope: LoginScope; subject: string }[] = [
          { scope: "ip", subject: network },
          { scope: "ip_user", subject: `${network} ${nameSubject(username, user?.id)}` },
        ];
        if (user) subjects.push({ scope: "user", subject: `id:${user.id}` });
        return subjects;
      };
      const refusal = (subjects: { subject: string }[]) => {
        const retryAt = throttled([
          ["ip", subjects[0].subject, MAX_ADDRESS_FAILURES],
          ["ip_user", subjects[1].subject, MAX_LOGIN_FAILURES],
        ]);
        return retryAt === null ? undefined : tooManyAttempts(retryAt, now(), "failed logins");
      };
      const found = findAdminUser(db, username);
      const early = refusal(subjectsOf(found));
      if (early) throw early;
      // Unknown names cost a check of the same price as known ones.
      const dummy = await dummyHash();
      if (found) {
        // Across addresses only a slow-down: an attacker elsewhere cannot lock the admin out.
        const since = now() - THROTTLE_WINDOW_MS;
        const failures = loginFailuresSince(db, "user", `id:${found.id}`, since).count;
        const delay = slowdownMs(failures);
        if (delay > 0) await sleep(delay);
      }
      // From here to the insert nothing awaits: the check and the count are one step, so
      // parallel attempts cannot all pass the check before any of them is counted.
      const user = findAdminUser(db, username);
      const subjects = subjectsOf(user);
      const late = refusal(subjects);
      if (late) throw late;
      const hash = user?.passwordHash ?? dummy;
      const check = gate.tryRun(() => verifyPassword(password, hash));
      if (check === undefined) throw checksBusy();
      // Counted as a failure until the password proves right.
      insertLoginFailure(db, subjects, now());
      const ok = await check;
      if (!user || !ok) {
        log.warn("Console login failed", user ? { username: user.username, ip } : { ip });
        throw new ApiError(
          401,
          "Wrong user name or password",
          "authentication_error",
          "invalid_credentials",
        );
      }
      for (const { scope, subject } of subjects) clearLoginFailures(db, scope, subject);
      if (previous) deleteAdminSession(db, sha256(previous));
      log.info("Console login", { username: user.username, ip });
      return startSession(user.id, user.username);
    },
    session(cookie) {
      const idHash = sha256(cookie);
      const at = now();
      const session = findAdminSession(db, idHash, at);
      if (!session) return undefined;
      if (at - (lastTouch.get(idHash) ?? session.lastSeenAt) >= 60_000) {
        if (lastTouch.size > 1000) lastTouch = new Map();
        lastTouch.set(idHash, at);
        touchAdminSession(db, idHash, at);
      }
      return { ...session, csrfToken: csrfTokenOf(cookie) };
    },
    logout(session) {
      const ended = deleteAdminSessionsOfUser(db, session.userId);
      log.info("Console logout", { username: session.username, sessions: ended });
    },
    async changePassword(session, current, next) {
      const user = getAdminUser(db, session.userId);
      if (!user) throw wrongCurrentPassword();
      const subject = `id:${user.id}`;
      pruneLoginFailures(db, now() - THROTTLE_WINDOW_MS);
      // A stolen session must not be a way to guess the password: the same count-first throttle.
      const retryAt = throttled([["password", subject, MAX_LOGIN_FAILURES]]);
      if (retryAt !== null) throw tooManyAttempts(retryAt, now(), "wrong current passwords");
      const check = gate.tryRun(() => verifyPassword(current, user.passwordHash));
      if (check === undefined) throw checksBusy();
      insertLoginFailure(db, [{ scope: "password", subject }], now());
      if (!(await check)) {
        log.warn("Console password change refused: wrong current password", {
          username: user.username,
        });
        throw wrongCurrentPassword();
      }
      clearLoginFailures(db, "password", subject);
      const problem = passwordProblem(next);
      if (problem) throw badPassword(problem, "new_password");
      updateAdminPassword(db, user.id, await hashPassword(next), now());
      const ended = deleteAdminSessionsOfUser(db, user.id, session.idHash);
      log.info("Console password changed", { username: user.username, endedSessions: ended });
    },
  };
}

function wrongCurrentPassword(): ApiError {
  return new ApiError(
    403,
    "The current password is wrong",
    "permission_error",
    "invalid_credentials",
    "current_password",
  );
}

/** Whether the request came over HTTPS (directly or as a proxy says). */
export function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  return c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase() === "https";
}

/**
 * Whether a request comes from a page of this server: its `Origin` is this
 * server's origin — scheme, host and port; PUBLIC_BASE_URL's when set (see
 * `host_guard.ts`) — or, without Origin, `Sec-Fetch-Site` is `same-origin`.
 */
export function isSameOrigin(c: Context, trustProxy: boolean): boolean {
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    if (origin === "null") return false;
    const policy = c.get(HOST_POLICY) as HostPolicy | undefined;
    return isOwnOrigin(c, policy ?? { allowedHosts: [], publicBaseUrl: null, trustProxy }, origin);
  }
  return c.req.header("sec-fetch-site") === "same-origin";
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS. */
export function setSessionCookie(c: Context, login: NewLogin, now: number): void {
  setCookie(c, SESSION_COOKIE, login.cookie, {
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
    path: "/",
    maxAge: Math.max(0, Math.floor((login.expiresAt - now) / 1000)),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
  });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function crossOrigin(): ApiError {
  return new ApiError(
    403,
    "Cross-origin request refused: state-changing console calls must come from the console's own origin",
    "permission_error",
    "cross_origin",
  );
}

/** Hono environment of the admin routes. */
export type AdminEnv = {
  Variables: {
    admin: ConsoleSession;
    requestId: string;
  };
};

/** Refuses state-changing requests that do not come from this origin (login, setup). */
export function requireSameOrigin(trustProxy: boolean) {
  return createMiddleware<AdminEnv>(async function sameOrigin(c, next) {
    if (!SAFE_METHODS.has(c.req.method) && !isSameOrigin(c, trustProxy)) throw crossOrigin();
    await next();
  });
}

/**
 * Requires a live session; state-changing methods also need the same
 * origin and the session's CSRF token in {@linkcode CSRF_HEADER}.
 */
export function requireAdmin(auth: AdminAuth, trustProxy: boolean) {
  return createMiddleware<AdminEnv>(async function adminSession(c, next) {
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = cookie ? auth.session(cookie) : undefined;
    if (!session) {
      throw new ApiError(
        401,
        "Not logged in to the console (or the session expired): log in again",
        "authentication_error",
        "not_authenticated",
      );
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      if (!isSameOrigin(c, trustProxy)) throw crossOrigin();
      const csrf = c.req.header(CSRF_HEADER) ?? "";
      if (!safeEqual(csrf, session.csrfToken)) {
        throw new ApiError(
          403,
          `Missing or wrong ${CSRF_HEADER} header: send the csrfToken from GET /api/admin/session`,
          "permission_error",
          "invalid_csrf_token",
        );
      }
    }
    c.set("admin", session);
    await next();
  });
}

/**
 * The console user behind a request that carries no `Authorization` header
 * (the playground calls `/v1` with the console session): a live session
 * cookie, and for state-changing methods the same origin and the CSRF token.
 * `undefined` otherwise, so the request is treated as unauthenticated.
 */
export function consoleCaller(
  c: Context,
  auth: AdminAuth,
  trustProxy: boolean,
): ConsoleSession | undefined {
  const cookie = getCookie(c, SESSION_COOKIE);
  const session = cookie ? auth.session(cookie) : undefined;
  if (!session) return undefined;
  if (SAFE_METHODS.has(c.req.method)) return session;
  if (!isSameOrigin(c, trustProxy)) return undefined;
  return safeEqual(c.req.header(CSRF_HEADER) ?? "", session.csrfToken) ? session : undefined;
}

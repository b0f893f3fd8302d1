/**
 * Setup, login and the session: the console's way in.
 *
 * | Method | Path                  | Body                                   | Answer                                   |
 * |--------|-----------------------|----------------------------------------|------------------------------------------|
 * | GET    | /api/admin/setup      | –                                      | `{needed}` (public)                      |
 * | POST   | /api/admin/setup      | `{token, username, password}`          | `{user:{username}, csrfToken}` + cookie (public; 403 without the token, 409 once set up) |
 * | POST   | /api/admin/login      | `{username, password}`                 | `{user:{username}, csrfToken}` + cookie (public; 401 wrong, 429 + Retry-After when throttled or busy) |
 * | GET    | /api/admin/session    | –                                      | `{user:{username}, csrfToken, expiresAt}` |
 * | POST   | /api/admin/logout     | –                                      | `{ok: true}`; ends all of the user's sessions |
 * | POST   | /api/admin/password   | `{current_password, new_password}`     | `{ok: true}`; ends the user's other sessions (403 wrong, 429 after 5 wrong in 15 min) |
 *
 * Public POSTs still need the same origin; the others need the session
 * cookie, and POSTs the `X-CSRF-Token` header too (see `auth.ts`).
 * @module
 */
import { type Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import { badRequest } from "../api/errors.ts";
import { type Fields, optionalString, readJson } from "../api/fields.ts";
import {
  type AdminAuth,
  type AdminEnv,
  clearSessionCookie,
  type NewLogin,
  SESSION_COOKIE,
  setSessionCookie,
} from "./auth.ts";
import { MAX_PASSWORD_LENGTH } from "./passwords.ts";

/** What the session routes need. */
export interface SessionRouteDeps {
  auth: AdminAuth;
  now: () => number;
  /** The client's address (see `src/net/client_address.ts`). */
  clientAddress: (c: Context) => string;
}

function required(fields: Fields, name: string, max: number): string {
  const value = optionalString(fields, name, { max });
  if (value === undefined || value === "") {
    throw badRequest(name, `'${name}' is required`, "missing_required_parameter");
  }
  return value;
}

function toLoginResponse(login: NewLogin) {
  return { user: { username: login.username }, csrfToken: login.csrfToken };
}

/** Public routes: setup and login. */
export function publicSessionRoutes(deps: SessionRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.get("/setup", (c) => c.json({ needed: deps.auth.setupNeeded() }));

  app.post("/setup", async (c) => {
    const fields = await readJson(c);
    const token = optionalString(fields, "token", { max: 200 }) ?? "";
    const login = await deps.auth.setup({
      token,
      username: required(fields, "username", 64).trim(),
      password: required(fields, "password", MAX_PASSWORD_LENGTH),
    });
    setSessionCookie(c, login, deps.now());
    return c.json(toLoginResponse(login), 201);
  });

  app.post("/login", async (c) => {
    const fields = await readJson(c);
    const login = await deps.auth.login({
      username: required(fields, "username", 64).trim(),
      password: required(fields, "password", MAX_PASSWORD_LENGTH),
      ip: deps.clientAddress(c),
      previous: getCookie(c, SESSION_COOKIE),
    });
    setSessionCookie(c, login, deps.now());
    return c.json(toLoginResponse(login));
  });

  return app;
}

/** Routes of a logged-in administrator. */
export function sessionRoutes(deps: SessionRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.get("/session", (c) => {
    const session = c.get("admin");
    return c.json({
      user: { username: session.username },
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    });
  });

  app.post("/logout", (c) => {
    deps.auth.logout(c.get("admin"));
    clearSessionCookie(c);
    return c.json({ ok: true });
  });

  app.post("/password", async (c) => {
    const fields = await readJson(c);
    await deps.auth.changePassword(
      c.get("admin"),
      required(fields, "current_password", MAX_PASSWORD_LENGTH),
      required(fields, "new_password", MAX_PASSWORD_LENGTH),
    );
    return c.json({ ok: true });
  });

  return app;
}

/**
 * A logged-in console client for API tests: keeps the session cookie and
 * sends the same-origin and CSRF headers a browser page of the console would.
 * @module
 */
import assert from "node:assert/strict";
import type { Stack } from "./stack.ts";

/** The admin credentials tests configure with ADMIN_USER / ADMIN_PASSWORD. */
export const ADMIN = { username: "admin", password: "correct horse battery" } as const;

/** Environment creating {@linkcode ADMIN} at start. */
export const ADMIN_ENV = { ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password };

/** A console session. */
export interface AdminClient {
  cookie: string;
  csrfToken: string;
  /** Calls `/api/admin{path}` with the session; JSON bodies. */
  call(method: string, path: string, body?: unknown): Promise<Response>;
  /** Like `call`, asserting the status and returning the parsed JSON. */
  json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    status?: number,
  ): Promise<T>;
}

/** The `name=value` of a Set-Cookie header. */
export function cookieOf(response: Response): string {
  const header = response.headers.get("set-cookie");
  assert.ok(header, "expected a Set-Cookie header");
  return header.split(";")[0];
}

/** Sends a JSON request to the admin API as a same-origin page would. */
export function adminFetch(
  stack: Stack,
  method: string,
  path: string,
  options: { body?: unknown; cookie?: string; csrfToken?: string; origin?: string | null } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.cookie) headers["Cookie"] = options.cookie;
  if (options.csrfToken) headers["X-CSRF-Token"] = options.csrfToken;
  const origin = options.origin === undefined ? stack.url : options.origin;
  if (origin !== null) headers["Origin"] = origin;
  return fetch(`${stack.url}/api/admin${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

/** Logs in and returns a client bound to the new session. */
export async function loginAdmin(
  stack: Stack,
  credentials: { username: string; password: string } = ADMIN,
): Promise<AdminClient> {
  const response = await adminFetch(stack, "POST", "/login", { body: credentials });
  assert.equal(response.status, 200, await response.clone().text());
  const cookie = cookieOf(response);
  const { csrfToken } = await response.json();
  return adminClient(stack, cookie, csrfToken);
}

/** A client for an existing session. */
export function adminClient(stack: Stack, cookie: string, csrfToken: string): AdminClient {
  const client: AdminClient = {
    cookie,
    csrfToken,
    call: (method, path, body) => adminFetch(stack, method, path, { body, cookie, csrfToken }),
    async json(method, path, body, status = 200) {
      const response = await client.call(method, path, body);
      const text = await response.text();
      assert.equal(response.status, status, text);
      assert.match(response.headers.get("content-type") ?? "", /application\/json/);
      return JSON.parse(text);
    },
  };
  return client;
}

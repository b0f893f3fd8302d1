/**
 * The operator's Jimeng/Dreamina accounts. Sessionids go in once and come
 * back only masked.
 *
 * | Method | Path                           | Body                                   | Answer |
 * |--------|--------------------------------|----------------------------------------|--------|
 * | GET    | /api/admin/accounts            | –                                      | `{data: Account[]}` |
 * | POST   | /api/admin/accounts            | `{sessionids: string \| string[]}` (one or many, pasted: new lines, commas or semicolons; array items count as lines; or cookies copied from the browser, see below), `cookies?` (a `Cookie:` header, a cookie export as JSON text or value, or a Netscape cookies.txt), `proxy?` (for every account of this request) | `{added: Account[], existing: Account[], invalid: [{line, label, code, reason}]}` (201 when any was added) |
 * | PATCH  | /api/admin/accounts/:id        | `{disabled?, name?, note?, proxy?: string \| null}` (at least one; `null` or "" clears a name or note, or removes the proxy; `direct` keeps the account off JIMENG_PROXY) | `Account` |
 * | DELETE | /api/admin/accounts/:id        | –                                      | `{id, deleted: true}` |
 * | POST   | /api/admin/accounts/:id/check  | –                                      | `Account` (liveness and credits read now) |
 * | POST   | /api/admin/accounts/:id/claim  | –                                      | `{received, account: Account}` (502 when the upstream refuses) |
 *
 * `Account` = `{id, label, name, note, region, credits: {gift, purchase, vip, total} | null, health:
 * "ok" | "expired" | "proxy_error" | "cooling" | "disabled" | "unknown", disabled, lastCheckAt,
 * lastCheckError, lastClaimAt, lastClaimReceived, inFlight, createdAt, proxy: {source: "account" |
 * "default" | "direct", label: string | null} | null, cookies: number}`; times are Unix ms or
 * `null`. A proxy's credentials never come back: `label` masks them.
 *
 * Pasted text that is a `Cookie:` header (name=value pairs, not only sessionids), a JSON cookie
 * export or a Netscape cookies.txt is read as cookies: each site in it (jimeng.jianying.com,
 * dreamina.capcut.com) with a sessionid becomes an account, its region from Dreamina's
 * `store-country-code` / `store-idc`, its `webId` from `_tea_web_id`, all its cookies kept
 * encrypted for the browser context.
 * @module
 */
import { Hono } from "hono";
import { type CookiePaste, cookiesFromJson, parseCookiePaste } from "../accounts/cookie_import.ts";
import {
  accountHealth,
  type AccountInput,
  type AccountManager,
  splitPasted,
} from "../accounts/manager.ts";
import type { Account } from "../accounts/pool.ts";
import { ApiError, badRequest, toApiError } from "../api/errors.ts";
import { type Fields, optionalBoolean, readJson } from "../api/fields.ts";
import type { Session } from "../jimeng/http.ts";
import { type AccountProxy, parseAccountProxy, type ProxySpec } from "../net/proxy.ts";
import type { AdminEnv } from "./auth.ts";

/** What the account routes need. */
export interface AccountRouteDeps {
  accounts: AccountManager;
  now: () => number;
  /** Called with newly added accounts (their first claim and check run in the background). */
  onAdded?: (accounts: Account[]) => void;
  /** The proxy an account's traffic takes (its own or the default); `null` = directly. */
  proxyOf?: (session: Session) => ProxySpec | null;
}

/** An account as the console sees it. */
export interface AccountJson {
  id: number;
  label: string;
  /** The operator's name for the account (up to 100 characters) and a note (up to 1000). */
  name: string | null;
  note: string | null;
  region: string;
  credits: { gift: number; purchase: number; vip: number; total: number } | null;
  health: ReturnType<typeof accountHealth>;
  disabled: boolean;
  lastCheckAt: number | null;
  lastCheckError: string | null;
  lastClaimAt: number | null;
  lastClaimReceived: number | null;
  inFlight: number;
  createdAt: number;
  /** Which proxy the account's traffic takes, its credentials masked; `null` = directly. */
  proxy: { source: "account" | "default" | "direct"; label: string | null } | null;
  /** Cookies imported from the browser (0 = none). */
  cookies: number;
}

function proxyJson(
  account: Account,
  proxyOf: AccountRouteDeps["proxyOf"],
): AccountJson["proxy"] {
  const own = account.session.proxy;
  if (own === "direct") return { source: "direct", label: null };
  if (own) return { source: "account", label: own.label };
  const fallback = proxyOf?.(account.session);
  return fallback ? { source: "default", label: fallback.label } : null;
}

/** Shapes an account for the console (the token and any proxy credentials only masked). */
export function toAccountJson(
  account: Account,
  now: number,
  proxyOf?: AccountRouteDeps["proxyOf"],
): AccountJson {
  return {
    id: account.id!,
    label: account.label,
    name: account.name,
    note: account.note,
    region: account.session.region,
    credits: account.credits ? { ...account.credits } : null,
    health: accountHealth(account, now),
    disabled: account.disabled,
    lastCheckAt: account.lastCheckAt,
    lastCheckError: account.lastCheckError,
    lastClaimAt: account.lastClaimAt,
    lastClaimReceived: account.lastClaimReceived,
    inFlight: account.inFlight,
    createdAt: account.createdAt,
    proxy: proxyJson(account, proxyOf),
    cookies: account.session.cookies?.length ?? 0,
  };
}

/** A name or note: absent = unchanged; `null` or blank = cleared; no control characters. */
function describingText(fields: Fields, name: string, max: number): string | null | undefined {
  if (!(name in fields.values)) return undefined;
  const value = fields.values[name];
  if (value === null) return null;
  if (typeof value !== "string" || value.length > max) {
    throw badRequest(name, `'${name}' must be null or a text of up to ${max} characters`);
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    throw badRequest(name, `'${name}' must not contain control characters`);
  }
  const text = value.trim();
  return text === "" ? null : text;
}

/** A proxy field: absent = `undefined`; `null` or blank = none; else a validated proxy. */
function proxyField(fields: Fields): AccountProxy | null | undefined {
  const value = fields.values.proxy;
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== "string") {
    throw badRequest("proxy", "'proxy' must be a string (a proxy URL or direct) or null");
  }
  if (value.trim() === "") return null;
  try {
    return parseAccountProxy(value);
  } catch (error) {
    throw badRequest("proxy", (error as Error).message, "invalid_proxy");
  }
}

/** The `cookies` field: a text paste or an already-parsed JSON export. */
function cookiesField(fields: Fields): CookiePaste | undefined {
  const value = fields.values.cookies;
  if (value === undefined || value === null) return undefined;
  const paste = typeof value === "string" ? parseCookiePaste(value) : cookiesFromJson(value);
  if (!paste) {
    throw badRequest(
      "cookies",
      "'cookies' must be a Cookie header, a cookie export (JSON) or a Netscape cookies.txt",
    );
  }
  return paste;
}

/** Accounts of a cookie paste, and its problems as refusals. */
function fromPaste(
  paste: CookiePaste,
): { inputs: { input: AccountInput; line: number }[]; refused: Refusal[] } {
  return {
    inputs: paste.accounts.map((account) => ({
      input: {
        token: account.token,
        cookies: { webId: account.webId, userId: account.userId, cookies: account.cookies },
      },
      line: account.line ?? 1,
    })),
    refused: paste.problems.map((problem) => ({
      line: problem.line ?? 1,
      label: `cookies (${paste.format})`,
      code: "cookies",
      reason: problem.reason,
    })),
  };
}

/** A pasted line that added no account. */
interface Refusal {
  line: number;
  label: string;
  code: string;
  reason: string;
}

/** The largest number of sessionids one POST may add. */
const MAX_ADD = 500;

/** The account routes. */
export function accountRoutes(deps: AccountRouteDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const find = (raw: string): Account => {
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
    const account = Number.isSafeInteger(id) ? deps.accounts.get(id) : undefined;
    if (!account) {
      throw new ApiError(404, `No account with id ${raw}`, "invalid_request_error", "not_found");
    }
    return account;
  };

  const json = (account: Account) => toAccountJson(account, deps.now(), deps.proxyOf);

  app.get("/accounts", (c) => {
    return c.json({ data: deps.accounts.list().map(json) });
  });

  app.post("/accounts", async (c) => {
    const fields = await readJson(c);
    const raw = fields.values.sessionids;
    const parts = raw === undefined && fields.values.cookies !== undefined
      ? []
      : typeof raw === "string"
      ? [raw]
      : Array.isArray(raw) && raw.every((v) => typeof v === "string")
      ? raw as string[]
      : null;
    if (parts === null) {
      throw badRequest(
        "sessionids",
        "'sessionids' must be a string (one or many, separated by commas or new lines, or cookies copied from the browser) or an array of strings",
        "invalid_type",
      );
    }
    const proxy = proxyField(fields);
    // Each input with the pasted line it came from, for the refusals.
    const inputs: { input: AccountInput; line: number }[] = [];
    const refused: Refusal[] = [];
    const text = parts.join("\n");
    const pasted = parseCookiePaste(text);
    for (const paste of [pasted, cookiesField(fields)]) {
      if (!paste) continue;
      const found = fromPaste(paste);
      inputs.push(...found.inputs);
      refused.push(...found.refused);
    }
    if (!pasted) {
      inputs.push(...splitPasted(text).map(({ token, line }) => ({ input: { token }, line })));
    }
    if (inputs.length === 0 && refused.length === 0) {
      throw badRequest(
        "sessionids",
        "'sessionids' holds no sessionid",
        "missing_required_parameter",
      );
    }
    if (inputs.length > MAX_ADD) {
      throw badRequest("sessionids", `At most ${MAX_ADD} sessionids can be added at once`);
    }
    const results = deps.accounts.add(
      inputs.map(({ input }) => (proxy ? { ...input, proxy } : input)),
    );
    // One result per input, in order: the line each refusal came from.
    const invalid = [
      ...refused,
      ...results.flatMap((r, i) =>
        r.status === "invalid"
          ? [{ line: inputs[i].line, label: r.label, code: r.code as string, reason: r.reason }]
          : []
      ),
    ];
    if (results.every((r) => r.status === "invalid")) {
      const reasons = invalid.map((r) => `line ${r.line} (${r.label}) ${r.reason}`);
      throw badRequest(
        pasted || fields.values.cookies === undefined ? "sessionids" : "cookies",
        `None of the sessionids can be added: ${reasons.slice(0, 5).join("; ")}`,
      );
    }
    const added = results.flatMap((r) => (r.status === "added" ? [r.account] : []));
    if (added.length > 0) deps.onAdded?.(added);
    return c.json({
      added: added.map(json),
      existing: results.flatMap((r) => r.status === "existing" ? [json(r.account)] : []),
      invalid,
    }, added.length > 0 ? 201 : 200);
  });

  app.patch("/accounts/:id", async (c) => {
    const account = find(c.req.param("id"));
    const fields = await readJson(c);
    const disabled = optionalBoolean(fields, "disabled");
    const name = describingText(fields, "name", 100);
    const note = describingText(fields, "note", 1000);
    const proxy = proxyField(fields);
    if (
      disabled === undefined && name === undefined && note === undefined && proxy === undefined
    ) {
      throw badRequest(
        "disabled",
        "Send 'disabled' (true or false), 'name', 'note' or 'proxy' (a proxy URL, direct, or null)",
        "missing_required_parameter",
      );
    }
    if (name !== undefined || note !== undefined) deps.accounts.describe(account, { name, note });
    if (proxy !== undefined) deps.accounts.setProxy(account, proxy);
    if (disabled !== undefined) deps.accounts.setDisabled(account, disabled);
    return c.json(json(account));
  });

  app.delete("/accounts/:id", (c) => {
    const account = find(c.req.param("id"));
    deps.accounts.remove(account);
    return c.json({ id: account.id, deleted: true });
  });

  app.post("/accounts/:id/check", async (c) => {
    const account = find(c.req.param("id"));
    await deps.accounts.check(account, c.req.raw.signal);
    return c.json(json(account));
  });

  app.post("/accounts/:id/claim", async (c) => {
    const account = find(c.req.param("id"));
    let received: number;
    try {
      const claim = await deps.accounts.claim(account, { force: true, signal: c.req.raw.signal });
      received = claim?.received ?? 0;
    } catch (error) {
      const cause = toApiError(error);
      if (cause.code === "internal_error") throw error;
      throw new ApiError(
        502,
        `The daily claim for ${account.label} failed: ${cause.message}`,
        "upstream_error",
        "claim_failed",
      );
    }
    await deps.accounts.check(account, c.req.raw.signal);
    return c.json({ received, account: json(account) });
  });

  return app;
}

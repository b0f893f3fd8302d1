/**
 * The operator's Jimeng/Dreamina accounts. Sessionids go in once and come
 * back only masked.
 *
 * | Method | Path                           | Body                                   | Answer |
 * |--------|--------------------------------|----------------------------------------|--------|
 * | GET    | /api/admin/accounts            | –                                      | `{data: Account[]}` |
 * | POST   | /api/admin/accounts            | `{sessionids: string \| string[]}` (one or many, pasted: new lines, commas or semicolons; array items count as lines) | `{added: Account[], existing: Account[], invalid: [{line, label, code, reason}]}` (201 when any was added) |
 * | PATCH  | /api/admin/accounts/:id        | `{disabled: boolean}`                  | `Account` |
 * | DELETE | /api/admin/accounts/:id        | –                                      | `{id, deleted: true}` |
 * | POST   | /api/admin/accounts/:id/check  | –                                      | `Account` (liveness and credits read now) |
 * | POST   | /api/admin/accounts/:id/claim  | –                                      | `{received, account: Account}` (502 when the upstream refuses) |
 *
 * `Account` = `{id, label, region, credits: {gift, purchase, vip, total} | null, health:
 * "ok" | "expired" | "cooling" | "disabled" | "unknown", disabled, lastCheckAt, lastCheckError,
 * lastClaimAt, lastClaimReceived, inFlight, createdAt}`; times are Unix ms or `null`.
 * @module
 */
import { Hono } from "hono";
import { accountHealth, type AccountManager, splitPasted } from "../accounts/manager.ts";
import type { Account } from "../accounts/pool.ts";
import { ApiError, badRequest, toApiError } from "../api/errors.ts";
import { optionalBoolean, readJson } from "../api/fields.ts";
import type { AdminEnv } from "./auth.ts";

/** What the account routes need. */
export interface AccountRouteDeps {
  accounts: AccountManager;
  now: () => number;
  /** Called with newly added accounts (their first claim and check run in the background). */
  onAdded?: (accounts: Account[]) => void;
}

/** An account as the console sees it. */
export interface AccountJson {
  id: number;
  label: string;
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
}

/** Shapes an account for the console (the token only masked). */
export function toAccountJson(account: Account, now: number): AccountJson {
  return {
    id: account.id!,
    label: account.label,
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
  };
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

  app.get("/accounts", (c) => {
    const now = deps.now();
    return c.json({ data: deps.accounts.list().map((a) => toAccountJson(a, now)) });
  });

  app.post("/accounts", async (c) => {
    const fields = await readJson(c);
    const raw = fields.values.sessionids;
    const parts = typeof raw === "string"
      ? [raw]
      : Array.isArray(raw) && raw.every((v) => typeof v === "string")
      ? raw as string[]
      : null;
    if (parts === null) {
      throw badRequest(
        "sessionids",
        "'sessionids' must be a string (one or many, separated by commas or new lines) or an array of strings",
        "invalid_type",
      );
    }
    const pasted = splitPasted(parts.join("\n"));
    const tokens = pasted.map((entry) => entry.token);
    if (tokens.length === 0) {
      throw badRequest(
        "sessionids",
        "'sessionids' holds no sessionid",
        "missing_required_parameter",
      );
    }
    if (tokens.length > MAX_ADD) {
      throw badRequest("sessionids", `At most ${MAX_ADD} sessionids can be added at once`);
    }
    const results = deps.accounts.add(tokens);
    // One result per token, in order: the line each refusal came from.
    const invalid = results.flatMap((r, i) =>
      r.status === "invalid"
        ? [{ line: pasted[i].line, label: r.label, code: r.code, reason: r.reason }]
        : []
    );
    if (invalid.length === results.length) {
      const reasons = invalid.map((r) => `line ${r.line} (${r.label}) ${r.reason}`);
      throw badRequest(
        "sessionids",
        `None of the sessionids can be added: ${reasons.slice(0, 5).join("; ")}`,
      );
    }
    const now = deps.now();
    const added = results.flatMap((r) => (r.status === "added" ? [r.account] : []));
    if (added.length > 0) deps.onAdded?.(added);
    return c.json({
      added: added.map((a) => toAccountJson(a, now)),
      existing: results.flatMap((r) =>
        r.status === "existing" ? [toAccountJson(r.account, now)] : []
      ),
      invalid,
    }, added.length > 0 ? 201 : 200);
  });

  app.patch("/accounts/:id", async (c) => {
    const account = find(c.req.param("id"));
    const fields = await readJson(c);
    const disabled = optionalBoolean(fields, "disabled");
    if (disabled === undefined) {
      throw badRequest(
        "disabled",
        "'disabled' (true or false) is required",
        "missing_required_parameter",
      );
    }
    deps.accounts.setDisabled(account, disabled);
    return c.json(toAccountJson(account, deps.now()));
  });

  app.delete("/accounts/:id", (c) => {
    const account = find(c.req.param("id"));
    deps.accounts.remove(account);
    return c.json({ id: account.id, deleted: true });
  });

  app.post("/accounts/:id/check", async (c) => {
    const account = find(c.req.param("id"));
    await deps.accounts.check(account, c.req.raw.signal);
    return c.json(toAccountJson(account, deps.now()));
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
    return c.json({ received, account: toAccountJson(account, deps.now()) });
  });

  return app;
}

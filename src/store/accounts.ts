/**
 * The `accounts` table: the operator's upstream accounts. The sessionid is
 * stored only encrypted (`secret`), found by `token_hash`, shown as `label`;
 * the account's proxy and imported cookies are encrypted too.
 * @module
 */
import { type Db, statement, transaction } from "./db.ts";

/** A stored account as read back. */
export interface AccountRow {
  id: number;
  tokenHash: string;
  label: string;
  region: string;
  /** Encrypted sessionid (see `src/accounts/secrets.ts`). */
  secret: Uint8Array;
  /** Fingerprint of the encryption key that wrote `secret`. */
  keyId: string;
  disabled: boolean;
  expired: boolean;
  coolingUntil: number;
  credits: { gift: number; purchase: number; vip: number; total: number } | null;
  creditsAt: number | null;
  lastCheckAt: number | null;
  lastCheckError: string | null;
  lastClaimAt: number | null;
  lastClaimDay: string | null;
  lastClaimReceived: number | null;
  createdAt: number;
  updatedAt: number;
  /** The operator's name for the account, and a note; `null` when unset. */
  name: string | null;
  note: string | null;
  /** Encrypted proxy URL (or `direct`); `null` = none of its own. */
  proxySecret: Uint8Array | null;
  /** Encrypted JSON of the imported cookies; `null` = none imported. */
  cookiesSecret: Uint8Array | null;
}

/** What a new account row needs. */
export interface NewAccount {
  tokenHash: string;
  label: string;
  region: string;
  secret: Uint8Array;
  keyId: string;
  createdAt: number;
  proxySecret?: Uint8Array | null;
  cookiesSecret?: Uint8Array | null;
}

/** The mutable state of an account, written after every change. */
export interface AccountState {
  disabled: boolean;
  expired: boolean;
  coolingUntil: number;
  credits: AccountRow["credits"];
  creditsAt: number | null;
  lastCheckAt: number | null;
  lastCheckError: string | null;
  lastClaimAt: number | null;
  lastClaimDay: string | null;
  lastClaimReceived: number | null;
  updatedAt: number;
}

const COLUMNS = `id, token_hash, label, region, secret, key_id, disabled, expired, cooling_until,
  credits_gift, credits_purchase, credits_vip, credits_total, credits_at, last_check_at,
  last_check_error, last_claim_at, last_claim_day, last_claim_received, created_at, updated_at,
  name, note, proxy_secret, cookies_secret`;

function toAccountRow(row: Record<string, unknown>): AccountRow {
  const total = row.credits_total as number | null;
  return {
    id: row.id as number,
    tokenHash: row.token_hash as string,
    label: row.label as string,
    region: row.region as string,
    secret: row.secret as Uint8Array,
    keyId: row.key_id as string,
    disabled: row.disabled === 1,
    expired: row.expired === 1,
    coolingUntil: row.cooling_until as number,
    credits: total === null ? null : {
      gift: row.credits_gift as number,
      purchase: row.credits_purchase as number,
      vip: row.credits_vip as number,
      total,
    },
    creditsAt: row.credits_at as number | null,
    lastCheckAt: row.last_check_at as number | null,
    lastCheckError: row.last_check_error as string | null,
    lastClaimAt: row.last_claim_at as number | null,
    lastClaimDay: row.last_claim_day as string | null,
    lastClaimReceived: row.last_claim_received as number | null,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    name: row.name as string | null,
    note: row.note as string | null,
    proxySecret: (row.proxy_secret as Uint8Array | null) ?? null,
    cookiesSecret: (row.cookies_secret as Uint8Array | null) ?? null,
  };
}

/**
 * Inserts the accounts that are not stored yet (same `tokenHash` = same
 * account) in one transaction.
 *
 * @returns for each input, the row and whether it was added now
 */
export function insertAccounts(
  db: Db,
  accounts: readonly NewAccount[],
): { row: AccountRow; added: boolean }[] {
  return transaction(db, () =>
    accounts.map((account) => {
      const inserted = statement(
        db,
        `INSERT INTO accounts (token_hash, label, region, secret, key_id, created_at, updated_at,
           proxy_secret, cookies_secret)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (token_hash) DO NOTHING
         RETURNING ${COLUMNS}`,
      ).get(
        account.tokenHash,
        account.label,
        account.region,
        account.secret,
        account.keyId,
        account.createdAt,
        account.createdAt,
        account.proxySecret ?? null,
        account.cookiesSecret ?? null,
      ) as Record<string, unknown> | undefined;
      if (inserted) return { row: toAccountRow(inserted), added: true };
      return { row: getAccountByHash(db, account.tokenHash)!, added: false };
    }));
}

/** Every stored account, oldest first. */
export function listAccounts(db: Db): AccountRow[] {
  const rows = statement(db, `SELECT ${COLUMNS} FROM accounts ORDER BY id`).all();
  return rows.map((row) => toAccountRow(row as Record<string, unknown>));
}

/** One account by id. */
export function getAccount(db: Db, id: number): AccountRow | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM accounts WHERE id = ?`).get(id);
  return row ? toAccountRow(row as Record<string, unknown>) : undefined;
}

/** One account by the hash of its token. */
export function getAccountByHash(db: Db, tokenHash: string): AccountRow | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM accounts WHERE token_hash = ?`).get(tokenHash);
  return row ? toAccountRow(row as Record<string, unknown>) : undefined;
}

/** Writes an account's state; false when the row is gone. */
export function saveAccountState(db: Db, id: number, state: AccountState): boolean {
  const result = statement(
    db,
    `UPDATE accounts SET disabled = ?, expired = ?, cooling_until = ?, credits_gift = ?,
       credits_purchase = ?, credits_vip = ?, credits_total = ?, credits_at = ?, last_check_at = ?,
       last_check_error = ?, last_claim_at = ?, last_claim_day = ?, last_claim_received = ?,
       updated_at = ?
     WHERE id = ?`,
  ).run(
    state.disabled ? 1 : 0,
    state.expired ? 1 : 0,
    state.coolingUntil,
    state.credits?.gift ?? null,
    state.credits?.purchase ?? null,
    state.credits?.vip ?? null,
    state.credits?.total ?? null,
    state.creditsAt,
    state.lastCheckAt,
    state.lastCheckError,
    state.lastClaimAt,
    state.lastClaimDay,
    state.lastClaimReceived,
    state.updatedAt,
    id,
  );
  return Number(result.changes) === 1;
}

/** Replaces one account's sealed secret (re-added after the encryption key changed). */
export function updateAccountSecret(db: Db, id: number, secret: Uint8Array, keyId: string): void {
  statement(db, "UPDATE accounts SET secret = ?, key_id = ? WHERE id = ?").run(secret, keyId, id);
}

/** Sets an account's name and note (absent = unchanged, `null` = cleared); false when gone. */
export function describeAccount(
  db: Db,
  id: number,
  changes: { name?: string | null; note?: string | null },
): boolean {
  const result = statement(
    db,
    `UPDATE accounts SET name = CASE WHEN ? THEN ? ELSE name END,
       note = CASE WHEN ? THEN ? ELSE note END WHERE id = ?`,
  ).run(
    changes.name !== undefined ? 1 : 0,
    changes.name ?? null,
    changes.note !== undefined ? 1 : 0,
    changes.note ?? null,
    id,
  );
  return Number(result.changes) === 1;
}

/** Replaces (or, with `null`, removes) one account's sealed proxy; false when the row is gone. */
export function updateAccountProxy(db: Db, id: number, proxySecret: Uint8Array | null): boolean {
  const result = statement(db, "UPDATE accounts SET proxy_secret = ? WHERE id = ?")
    .run(proxySecret, id);
  return Number(result.changes) === 1;
}

/** Replaces one account's sealed cookies (imported again); false when the row is gone. */
export function updateAccountCookies(db: Db, id: number, cookiesSecret: Uint8Array): boolean {
  const result = statement(db, "UPDATE accounts SET cookies_secret = ? WHERE id = ?")
    .run(cookiesSecret, id);
  return Number(result.changes) === 1;
}

/** Deletes an account; false when there was none. */
export function deleteAccount(db: Db, id: number): boolean {
  return Number(statement(db, "DELETE FROM accounts WHERE id = ?").run(id).changes) === 1;
}

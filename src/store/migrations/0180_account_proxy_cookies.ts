import type { Db } from "../db.ts";

/**
 * Per-account proxies and imported browser cookies, both sealed like the
 * sessionid (`src/accounts/secrets.ts`): `proxy_secret` holds the proxy URL
 * (or `direct`), `cookies_secret` the JSON of the cookies and the browser's
 * `_tea_web_id` / `uid_tt`. `NULL` when the account has none.
 */
export function up(db: Db): void {
  db.exec(`
    ALTER TABLE accounts ADD COLUMN proxy_secret BLOB;
    ALTER TABLE accounts ADD COLUMN cookies_secret BLOB;
  `);
}

import type { Db } from "../db.ts";

/**
 * The console keeps no secret in clear: the CSRF token is now derived from
 * the session cookie (only its hash is stored), and failed logins no longer
 * record the name typed, which may have been a password typed into the wrong
 * field; per-user counts key on the administrator's id from now on.
 */
export function up(db: Db): void {
  db.exec(`
    ALTER TABLE admin_sessions DROP COLUMN csrf_token;
    DELETE FROM login_failures WHERE scope = 'user';
  `);
}

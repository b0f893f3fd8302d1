/**
 * Console administrators (`admin_users`), their sessions (`admin_sessions`,
 * keyed by the SHA-256 of the cookie value; the CSRF token is derived from
 * the cookie, so no secret is stored) and login failures (`login_failures`)
 * for throttling.
 * @module
 */
import { type Db, statement, transaction } from "./db.ts";

/** An administrator. */
export interface AdminUser {
  id: number;
  username: string;
  /** `scrypt$N$r$p$salt$hash` (see `src/dashboard/passwords.ts`). */
  passwordHash: string;
  createdAt: number;
  passwordChangedAt: number;
}

/** A login session. */
export interface AdminSession {
  idHash: string;
  userId: number;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/** A session with its user. */
export interface AdminSessionWithUser extends AdminSession {
  username: string;
}

function toAdminUser(row: Record<string, unknown>): AdminUser {
  return {
    id: row.id as number,
    username: row.username as string,
    passwordHash: row.password_hash as string,
    createdAt: row.created_at as number,
    passwordChangedAt: row.password_changed_at as number,
  };
}

/** How many administrators exist. */
export function countAdminUsers(db: Db): number {
  return (statement(db, "SELECT count(*) AS n FROM admin_users").get() as { n: number }).n;
}

/**
 * Creates the first administrator, atomically refusing when one exists.
 *
 * @returns the user, or `undefined` when an administrator already existed
 */
export function insertFirstAdminUser(
  db: Db,
  user: { username: string; passwordHash: string; createdAt: number },
): AdminUser | undefined {
  return transaction(db, () => {
    if (countAdminUsers(db) > 0) return undefined;
    const row = statement(
      db,
      `INSERT INTO admin_users (username, password_hash, created_at, password_changed_at)
       VALUES (?, ?, ?, ?) RETURNING id, username, password_hash, created_at, password_changed_at`,
    ).get(user.username, user.passwordHash, user.createdAt, user.createdAt) as Record<
      string,
      unknown
    >;
    return toAdminUser(row);
  });
}

/** An administrator by name (case-insensitive). */
export function findAdminUser(db: Db, username: string): AdminUser | undefined {
  const row = statement(
    db,
    `SELECT id, username, password_hash, created_at, password_changed_at
     FROM admin_users WHERE username = ?`,
  ).get(username);
  return row ? toAdminUser(row as Record<string, unknown>) : undefined;
}

/** An administrator by id. */
export function getAdminUser(db: Db, id: number): AdminUser | undefined {
  const row = statement(
    db,
    `SELECT id, username, password_hash, created_at, password_changed_at
     FROM admin_users WHERE id = ?`,
  ).get(id);
  return row ? toAdminUser(row as Record<string, unknown>) : undefined;
}

/** Sets a new password hash. */
export function updateAdminPassword(db: Db, id: number, passwordHash: string, at: number): void {
  statement(db, "UPDATE admin_users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
    .run(passwordHash, at, id);
}

/** Stores a session. */
export function insertAdminSession(db: Db, session: AdminSession): void {
  statement(
    db,
    `INSERT INTO admin_sessions (id_hash, user_id, created_at, expires_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?)`,
  ).run(
    session.idHash,
    session.userId,
    session.createdAt,
    session.expiresAt,
    session.lastSeenAt,
  );
}

/** A live session (not expired at `now`) with its user. */
export function findAdminSession(
  db: Db,
  idHash: string,
  now: number,
): AdminSessionWithUser | undefined {
  const row = statement(
    db,
    `SELECT s.id_hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at,
       u.username
     FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
     WHERE s.id_hash = ? AND s.expires_at > ?`,
  ).get(idHash, now) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    idHash: row.id_hash as string,
    userId: row.user_id as number,
    createdAt: row.created_at as number,
    expiresAt: row.expires_at as number,
    lastSeenAt: row.last_seen_at as number,
    username: row.username as string,
  };
}

/** Records activity on a session. */
export function touchAdminSession(db: Db, idHash: string, at: number): void {
  statement(db, "UPDATE admin_sessions SET last_seen_at = ? WHERE id_hash = ?").run(at, idHash);
}

/** Deletes one session. */
export function deleteAdminSession(db: Db, idHash: string): void {
  statement(db, "DELETE FROM admin_sessions WHERE id_hash = ?").run(idHash);
}

/**
 * Deletes a user's sessions, except `keepIdHash` when given.
 *
 * @returns how many were deleted
 */
export function deleteAdminSessionsOfUser(db: Db, userId: number, keepIdHash?: string): number {
  const result = statement(
    db,
    "DELETE FROM admin_sessions WHERE user_id = ? AND id_hash IS NOT ?",
  ).run(userId, keepIdHash ?? null);
  return Number(result.changes);
}

/** Deletes sessions that expired before `now`. */
export function deleteExpiredAdminSessions(db: Db, now: number): number {
  return Number(
    statement(db, "DELETE FROM admin_sessions WHERE expires_at <= ?").run(now).changes,
  );
}

/**
 * What a failed login is counted against: the client's address (`ip`), the
 * address and the name tried (`ip_user`), an existing administrator from any
 * address (`user`), or an administrator's wrong current passwords when
 * changing it (`password`).
 */
export type LoginScope = "ip" | "ip_user" | "user" | "password";

/** Records a failed login against each subject. */
export function insertLoginFailure(
  db: Db,
  subjects: readonly { scope: LoginScope; subject: string }[],
  at: number,
): void {
  transaction(db, () => {
    for (const { scope, subject } of subjects) {
      statement(db, "INSERT INTO login_failures (scope, subject, at) VALUES (?, ?, ?)")
        .run(scope, subject, at);
    }
  });
}

/** Failures of a subject since `since`: how many and the oldest time. */
export function loginFailuresSince(
  db: Db,
  scope: LoginScope,
  subject: string,
  since: number,
): { count: number; oldest: number | null } {
  const row = statement(
    db,
    `SELECT count(*) AS n, min(at) AS oldest FROM login_failures
     WHERE scope = ? AND subject = ? AND at >= ?`,
  ).get(scope, subject, since) as { n: number; oldest: number | null };
  return { count: row.n, oldest: row.oldest };
}

/** Forgets a subject's failures (after a successful login). */
export function clearLoginFailures(db: Db, scope: LoginScope, subject: string): void {
  statement(db, "DELETE FROM login_failures WHERE scope = ? AND subject = ?").run(scope, subject);
}

/** Deletes failures older than `before`. */
export function pruneLoginFailures(db: Db, before: number): void {
  statement(db, "DELETE FROM login_failures WHERE at < ?").run(before);
}

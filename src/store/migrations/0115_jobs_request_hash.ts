import type { Db } from "../db.ts";

/**
 * Jobs created with an `Idempotency-Key` remember a fingerprint of the
 * request, so that reusing the key for another request is refused (409)
 * instead of silently answered with the first job. Older jobs have none.
 */
export function up(db: Db): void {
  db.exec("ALTER TABLE jobs ADD COLUMN request_hash TEXT");
}

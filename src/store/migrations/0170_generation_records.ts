import type { Db } from "../db.ts";

/**
 * Usage records are about generations.
 *
 * - `requests` rows that were not generations (model lists, polls, downloads,
 *   refused calls: kind `other`) are dropped — their counts now live in
 *   `/metrics` only — while the rollup still follows deletions.
 * - Then the rollup stops following deletions: the retention
 *   (`REQUESTS_KEEP_DAYS`) removes old rows, not the statistics built from them.
 * - A row remembers the credits reserved for it before the upstream submit
 *   (`credits_reserved`, what a key's quota counts until `credits_spent` is
 *   known), a video's seconds and the error message the client got.
 * - API keys get an expiry, a model allow-list (JSON array), a total credit
 *   cap, and `credits_used`: their total charge (spent, else reserved), kept by
 *   triggers and untouched by the retention.
 * - Accounts get a name and a note.
 */
export function up(db: Db): void {
  db.exec(`
    DELETE FROM requests WHERE kind = 'other';
    DROP TRIGGER requests_hour_groups_delete;

    ALTER TABLE requests ADD COLUMN credits_reserved INTEGER;
    ALTER TABLE requests ADD COLUMN seconds INTEGER;
    ALTER TABLE requests ADD COLUMN error_message TEXT;
    DROP INDEX requests_key_time;
    CREATE INDEX requests_key_time
      ON requests (api_key_id, created_at, credits_spent, credits_reserved)
      WHERE api_key_id IS NOT NULL;

    ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
    ALTER TABLE api_keys ADD COLUMN models TEXT;
    ALTER TABLE api_keys ADD COLUMN credit_cap INTEGER;
    ALTER TABLE api_keys ADD COLUMN credits_used INTEGER NOT NULL DEFAULT 0;
    UPDATE api_keys SET credits_used = coalesce(
      (SELECT sum(credits_spent) FROM requests WHERE api_key_id = api_keys.id), 0);

    CREATE TRIGGER requests_key_credits_insert AFTER INSERT ON requests
    WHEN NEW.api_key_id IS NOT NULL
      AND coalesce(NEW.credits_spent, NEW.credits_reserved, 0) <> 0 BEGIN
      UPDATE api_keys
        SET credits_used = credits_used + coalesce(NEW.credits_spent, NEW.credits_reserved, 0)
        WHERE id = NEW.api_key_id;
    END;

    CREATE TRIGGER requests_key_credits_update AFTER UPDATE OF credits_spent ON requests
    WHEN NEW.api_key_id IS NOT NULL
      AND coalesce(OLD.credits_spent, OLD.credits_reserved, 0)
        <> coalesce(NEW.credits_spent, NEW.credits_reserved, 0) BEGIN
      UPDATE api_keys
        SET credits_used = credits_used - coalesce(OLD.credits_spent, OLD.credits_reserved, 0)
          + coalesce(NEW.credits_spent, NEW.credits_reserved, 0)
        WHERE id = NEW.api_key_id;
    END;

    ALTER TABLE accounts ADD COLUMN name TEXT;
    ALTER TABLE accounts ADD COLUMN note TEXT;
  `);
}

import type { Db } from "../db.ts";

/**
 * Requests remember the API key that made them. Per-key and per-account
 * indexes cover the time range and the credits (quota checks and "today"
 * read the index, not the table). `request_hours` rolls requests up per UTC
 * hour, key, account and model, kept exact by triggers (credits arrive by
 * UPDATE after the answer), so tables over months of a million rows read a
 * few thousand rollup rows.
 */
export function up(db: Db): void {
  db.exec(`
    ALTER TABLE requests ADD COLUMN api_key_id INTEGER;
    CREATE INDEX requests_key_time ON requests (api_key_id, created_at, credits_spent)
      WHERE api_key_id IS NOT NULL;
    CREATE INDEX requests_account_time ON requests (account_key, created_at, credits_spent)
      WHERE account_key IS NOT NULL;

    CREATE TABLE request_hours (
      hour INTEGER NOT NULL,
      api_key_id INTEGER NOT NULL,
      account_key TEXT NOT NULL,
      model TEXT NOT NULL,
      requests INTEGER NOT NULL,
      errors INTEGER NOT NULL,
      credits INTEGER NOT NULL,
      latency_ms INTEGER NOT NULL,
      PRIMARY KEY (hour, api_key_id, account_key, model)
    ) STRICT, WITHOUT ROWID;

    INSERT INTO request_hours
      SELECT created_at / 3600000, 0, coalesce(account_key, ''), coalesce(model, ''), count(*),
        sum(status = 'error'), coalesce(sum(credits_spent), 0), sum(latency_ms)
      FROM requests GROUP BY 1, 2, 3, 4;

    CREATE TRIGGER requests_hours_insert AFTER INSERT ON requests BEGIN
      INSERT INTO request_hours
        VALUES (NEW.created_at / 3600000, coalesce(NEW.api_key_id, 0),
          coalesce(NEW.account_key, ''), coalesce(NEW.model, ''), 1, NEW.status = 'error',
          coalesce(NEW.credits_spent, 0), NEW.latency_ms)
        ON CONFLICT DO UPDATE SET requests = requests + 1, errors = errors + excluded.errors,
          credits = credits + excluded.credits, latency_ms = latency_ms + excluded.latency_ms;
    END;

    CREATE TRIGGER requests_hours_credits AFTER UPDATE OF credits_spent ON requests
    WHEN coalesce(OLD.credits_spent, 0) <> coalesce(NEW.credits_spent, 0) BEGIN
      UPDATE request_hours
        SET credits = credits - coalesce(OLD.credits_spent, 0) + coalesce(NEW.credits_spent, 0)
        WHERE hour = NEW.created_at / 3600000 AND api_key_id = coalesce(NEW.api_key_id, 0)
          AND account_key = coalesce(NEW.account_key, '') AND model = coalesce(NEW.model, '');
    END;

    CREATE TRIGGER requests_hours_delete AFTER DELETE ON requests BEGIN
      UPDATE request_hours
        SET requests = requests - 1, errors = errors - (OLD.status = 'error'),
          credits = credits - coalesce(OLD.credits_spent, 0), latency_ms = latency_ms - OLD.latency_ms
        WHERE hour = OLD.created_at / 3600000 AND api_key_id = coalesce(OLD.api_key_id, 0)
          AND account_key = coalesce(OLD.account_key, '') AND model = coalesce(OLD.model, '');
      DELETE FROM request_hours
        WHERE hour = OLD.created_at / 3600000 AND api_key_id = coalesce(OLD.api_key_id, 0)
          AND account_key = coalesce(OLD.account_key, '') AND model = coalesce(OLD.model, '')
          AND requests = 0;
    END;
  `);
}

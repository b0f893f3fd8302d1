import type { Db } from "../db.ts";

/** An optional webhook URL per API key: it also receives the events of that key's jobs. */
export function up(db: Db): void {
  db.exec(`ALTER TABLE api_keys ADD COLUMN webhook_url TEXT;`);
}

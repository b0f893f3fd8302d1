import type { Db } from "../db.ts";

/**
 * A running job's place in the upstream queue (JSON: position, length and
 * when the queue is forecast to end), `NULL` when it is not queued.
 */
export function up(db: Db): void {
  db.exec(`ALTER TABLE jobs ADD COLUMN queue TEXT`);
}

/**
 * The `job_references` table: which file holds each reference material of
 * an omni-reference job, and what uploading it gave on which account.
 * @module
 */
import { type Db, statement, transaction } from "./db.ts";

/** A reference material of a job. */
export interface JobReference {
  jobId: string;
  /** 0-based, the order the prompt numbers them. */
  position: number;
  kind: "image" | "video" | "audio";
  /** File name under the references directory. */
  file: string;
  size: number;
  /** The account the upload below belongs to. */
  accountKey: string | null;
  /** What the upload returned (an image URI or a Vid, with sizes), as stored JSON. */
  upload: Record<string, unknown> | null;
}

type Row = Record<string, unknown>;

function toJobReference(row: Row): JobReference {
  return {
    jobId: row.job_id as string,
    position: row.position as number,
    kind: row.kind as JobReference["kind"],
    file: row.file as string,
    size: row.size as number,
    accountKey: row.account_key as string | null,
    upload: row.upload === null ? null : JSON.parse(row.upload as string),
  };
}

/** Inserts a job's references (in the caller's transaction when there is one). */
export function insertJobReferences(
  db: Db,
  references: readonly Omit<JobReference, "accountKey" | "upload">[],
): void {
  transaction(db, () => {
    const insert = statement(
      db,
      "INSERT INTO job_references (job_id, position, kind, file, size) VALUES (?, ?, ?, ?, ?)",
    );
    for (const ref of references) {
      insert.run(ref.jobId, ref.position, ref.kind, ref.file, ref.size);
    }
  });
}

/** A job's references, in order. */
export function jobReferences(db: Db, jobId: string): JobReference[] {
  const rows = statement(
    db,
    "SELECT * FROM job_references WHERE job_id = ? ORDER BY position",
  ).all(jobId) as Row[];
  return rows.map(toJobReference);
}

/** Records what uploading one reference gave on an account. */
export function recordReferenceUpload(
  db: Db,
  jobId: string,
  position: number,
  accountKey: string,
  upload: Record<string, unknown>,
): boolean {
  const result = statement(
    db,
    "UPDATE job_references SET account_key = ?, upload = ? WHERE job_id = ? AND position = ?",
  ).run(accountKey, JSON.stringify(upload), jobId, position);
  return Number(result.changes) === 1;
}

/** Drops a job's reference rows (their files are removed by the caller). */
export function deleteJobReferences(db: Db, jobId: string): void {
  statement(db, "DELETE FROM job_references WHERE job_id = ?").run(jobId);
}

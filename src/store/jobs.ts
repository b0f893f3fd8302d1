/**
 * The `jobs` and `job_inputs` tables: durable generation jobs.
 * @module
 */
import { type Db, statement, transaction } from "./db.ts";

/** Lifecycle of a job, as the OpenAI video API names it. */
export type JobStatus = "queued" | "in_progress" | "completed" | "failed";

/** What a finished job produced. */
export interface JobResult {
  /** Result URLs as handed to clients (local media URLs or upstream ones). */
  urls: string[];
  /** Upstream URLs, for downloading content. */
  upstreamUrls: string[];
  coverUrl?: string;
  /** Media library ids, when recorded. */
  mediaIds?: string[];
  /** Videos: which file was kept (`no_watermark`, `high_bitrate` or `preview`). */
  variant?: "no_watermark" | "high_bitrate" | "preview";
  /**
   * `/media/<id>.<ext>` of each cached result (`null` when not cached), so
   * links can be built with the base URL of the request that reads the job.
   */
  paths?: (string | null)[];
}

/** Where a running job waits in the upstream queue. */
export interface JobQueue {
  /** The upstream's queue index. */
  position: number;
  /** The queue's length, when the upstream says. */
  length: number | null;
  /** Unix ms the upstream forecast the queue to end at, when it says. */
  endsAt: number | null;
}

/** A job row. */
export interface Job {
  id: string;
  kind: "image" | "video";
  /** Who may see the job (an API key or a hash of the caller's sessionids). */
  owner: string;
  model: string;
  prompt: string;
  /** The validated request parameters, as the runner needs them. */
  params: Record<string, unknown>;
  status: JobStatus;
  progress: number;
  submitId: string;
  historyId: string | null;
  accountKey: string | null;
  /** The caller's sessionids, sealed; only for callers without an API key. */
  authSealed: string | null;
  idempotencyKey: string | null;
  /** Fingerprint of the request behind `idempotencyKey` (`null` for jobs made before it existed). */
  requestHash: string | null;
  apiKeyId: number | null;
  requestId: string | null;
  result: JobResult | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
  updatedAt: number;
  submittedAt: number | null;
  completedAt: number | null;
  expiresAt: number | null;
  /** Set while the upstream holds the job in its queue. */
  queue: JobQueue | null;
}

type Row = Record<string, unknown>;

function toJob(row: Row): Job {
  return {
    id: row.id as string,
    kind: row.kind as Job["kind"],
    owner: row.owner as string,
    model: row.model as string,
    prompt: row.prompt as string,
    params: JSON.parse(row.params as string),
    status: row.status as JobStatus,
    progress: row.progress as number,
    submitId: row.submit_id as string,
    historyId: row.history_id as string | null,
    accountKey: row.account_key as string | null,
    authSealed: row.auth_sealed as string | null,
    idempotencyKey: row.idempotency_key as string | null,
    requestHash: (row.request_hash as string | null | undefined) ?? null,
    apiKeyId: row.api_key_id as number | null,
    requestId: row.request_id as string | null,
    result: row.result === null ? null : JSON.parse(row.result as string),
    errorCode: row.error_code as string | null,
    errorMessage: row.error_message as string | null,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    submittedAt: row.submitted_at as number | null,
    completedAt: row.completed_at as number | null,
    expiresAt: row.expires_at as number | null,
    queue: row.queue === null || row.queue === undefined ? null : JSON.parse(row.queue as string),
  };
}

/** Inserts a job and its input images in one transaction. */
export function insertJob(db: Db, job: Job, inputs: readonly Uint8Array[] = []): void {
  transaction(db, () => {
    statement(
      db,
      `INSERT INTO jobs (id, kind, owner, model, prompt, params, status, progress, submit_id,
         history_id, account_key, auth_sealed, idempotency_key, api_key_id, request_id, result,
         error_code, error_message, created_at, updated_at, submitted_at, completed_at, expires_at,
         request_hash, queue)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      job.id,
      job.kind,
      job.owner,
      job.model,
      job.prompt,
      JSON.stringify(job.params),
      job.status,
      job.progress,
      job.submitId,
      job.historyId,
      job.accountKey,
      job.authSealed,
      job.idempotencyKey,
      job.apiKeyId,
      job.requestId,
      job.result === null ? null : JSON.stringify(job.result),
      job.errorCode,
      job.errorMessage,
      job.createdAt,
      job.updatedAt,
      job.submittedAt,
      job.completedAt,
      job.expiresAt,
      job.requestHash,
      job.queue === null ? null : JSON.stringify(job.queue),
    );
    const insert = statement(
      db,
      "INSERT INTO job_inputs (job_id, position, bytes) VALUES (?, ?, ?)",
    );
    inputs.forEach((bytes, position) => insert.run(job.id, position, bytes));
  });
}

/** One job, or `undefined`. */
export function getJob(db: Db, id: string): Job | undefined {
  const row = statement(db, "SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
  return row ? toJob(row) : undefined;
}

/** The job an owner created with an `Idempotency-Key`, if any. */
export function findJobByIdempotencyKey(db: Db, owner: string, key: string): Job | undefined {
  const row = statement(db, "SELECT * FROM jobs WHERE owner = ? AND idempotency_key = ?").get(
    owner,
    key,
  ) as Row | undefined;
  return row ? toJob(row) : undefined;
}

/** Options of {@linkcode listJobs}. */
export interface ListJobsOptions {
  /** Only this owner's jobs; every job when absent (the console). */
  owner?: string;
  /** Cursor: the id of the last job of the previous page. */
  after?: string;
  limit: number;
  order: "asc" | "desc";
  status?: JobStatus;
}

/**
 * A page of jobs in creation order, plus whether more follow.
 * An unknown `after` id yields an empty page.
 */
export function listJobs(db: Db, options: ListJobsOptions): { jobs: Job[]; hasMore: boolean } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.owner !== undefined) {
    where.push("owner = ?");
    params.push(options.owner);
  }
  if (options.status !== undefined) {
    where.push("status = ?");
    params.push(options.status);
  }
  const desc = options.order === "desc";
  if (options.after !== undefined) {
    where.push(
      `rowid ${desc ? "<" : ">"} coalesce((SELECT rowid FROM jobs WHERE id = ?), ${
        desc ? "-1" : "9223372036854775807"
      })`,
    );
    params.push(options.after);
  }
  const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY rowid ${desc ? "DESC" : "ASC"} LIMIT ?`;
  const rows = statement(db, sql).all(...params, options.limit + 1) as Row[];
  return {
    jobs: rows.slice(0, options.limit).map(toJob),
    hasMore: rows.length > options.limit,
  };
}

/** Jobs that were queued or running, oldest first: what a restart resumes. */
export function activeJobs(db: Db): Job[] {
  const rows = statement(
    db,
    "SELECT * FROM jobs WHERE status IN ('queued', 'in_progress') ORDER BY rowid",
  ).all() as Row[];
  return rows.map(toJob);
}

/** Fields a running job changes. */
export type JobPatch = Partial<
  Pick<
    Job,
    | "status"
    | "progress"
    | "submitId"
    | "historyId"
    | "accountKey"
    | "result"
    | "errorCode"
    | "errorMessage"
    | "updatedAt"
    | "submittedAt"
    | "completedAt"
    | "expiresAt"
    | "queue"
  >
>;

const COLUMNS: Record<keyof JobPatch, string> = {
  status: "status",
  progress: "progress",
  submitId: "submit_id",
  historyId: "history_id",
  accountKey: "account_key",
  result: "result",
  errorCode: "error_code",
  errorMessage: "error_message",
  updatedAt: "updated_at",
  submittedAt: "submitted_at",
  completedAt: "completed_at",
  expiresAt: "expires_at",
  queue: "queue",
};

/** Columns stored as JSON text. */
const JSON_COLUMNS: ReadonlySet<keyof JobPatch> = new Set(["result", "queue"]);

/** Updates a job; returns whether the row still exists. */
export function updateJob(db: Db, id: string, patch: JobPatch): boolean {
  const keys = (Object.keys(patch) as (keyof JobPatch)[]).filter((k) => patch[k] !== undefined);
  if (keys.length === 0) return getJob(db, id) !== undefined;
  const sets = keys.map((k) => `${COLUMNS[k]} = ?`).join(", ");
  const values = keys.map((k) => {
    const value = patch[k];
    return JSON_COLUMNS.has(k) ? (value === null ? null : JSON.stringify(value)) : value;
  }) as (string | number | null)[];
  const result = statement(db, `UPDATE jobs SET ${sets} WHERE id = ?`).run(...values, id);
  return Number(result.changes) === 1;
}

/** Deletes a job and its inputs; returns whether it existed. */
export function deleteJob(db: Db, id: string): boolean {
  return Number(statement(db, "DELETE FROM jobs WHERE id = ?").run(id).changes) === 1;
}

/** A job's input images, in order. */
export function jobInputs(db: Db, id: string): Uint8Array[] {
  const rows = statement(
    db,
    "SELECT bytes FROM job_inputs WHERE job_id = ? ORDER BY position",
  ).all(id) as { bytes: Uint8Array }[];
  return rows.map((row) => row.bytes);
}

/** Drops a job's input images once they are no longer needed. */
export function deleteJobInputs(db: Db, id: string): void {
  statement(db, "DELETE FROM job_inputs WHERE job_id = ?").run(id);
}

/** Number of jobs per status. */
export function countJobsByStatus(db: Db): Record<JobStatus, number> {
  const counts: Record<JobStatus, number> = {
    queued: 0,
    in_progress: 0,
    completed: 0,
    failed: 0,
  };
  const rows = statement(db, "SELECT status, count(*) AS n FROM jobs GROUP BY status").all() as {
    status: JobStatus;
    n: number;
  }[];
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/**
 * Median submit-to-completion time of the latest completed jobs per model
 * (at most `sample` per model), for seeding the poller's estimates at start.
 */
export function typicalDurations(db: Db, sample = 20): Map<string, number> {
  const rows = statement(
    db,
    `SELECT model, completed_at - submitted_at AS ms FROM (
       SELECT model, completed_at, submitted_at,
         row_number() OVER (PARTITION BY model ORDER BY completed_at DESC) AS n
       FROM jobs WHERE status = 'completed' AND submitted_at IS NOT NULL
     ) WHERE n <= ? ORDER BY model, ms`,
  ).all(sample) as { model: string; ms: number }[];
  const byModel = new Map<string, number[]>();
  for (const row of rows) {
    const list = byModel.get(row.model) ?? [];
    list.push(row.ms);
    byModel.set(row.model, list);
  }
  const out = new Map<string, number>();
  for (const [model, list] of byModel) out.set(model, list[Math.floor(list.length / 2)]);
  return out;
}

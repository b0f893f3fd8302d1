/**
 * Generation jobs for the console: every caller's, newest first.
 *
 * | Method | Path             | Query                                        | Answer |
 * |--------|------------------|----------------------------------------------|--------|
 * | GET    | /api/admin/jobs  | `status=queued\|in_progress\|completed\|failed`, `limit` (1–200, default 50) | `{items: Video[], counts}` |
 *
 * `Video` is the OpenAI video object (`/v1/videos/{id}`) plus `kind`, `finished_at` (Unix
 * seconds a completed or failed job ended, else `null`: `completed_at` stays `null` for a failed
 * job, as OpenAI's does) and `variant` (which file a completed video kept: `no_watermark`,
 * `high_bitrate` or `preview`; else `null`); `counts` = jobs per status.
 * @module
 */
import { Hono } from "hono";
import { badRequest } from "../api/errors.ts";
import { toVideoObject } from "../api/videos.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { Job, JobStatus } from "../store/jobs.ts";
import type { AdminEnv } from "./auth.ts";

const STATUSES: readonly JobStatus[] = ["queued", "in_progress", "completed", "failed"];

/** When a job ended, in Unix seconds; a failed job's last update is its end. */
function finishedAt(job: Job): number | null {
  const ms = job.completedAt ?? (job.status === "failed" ? job.updatedAt : null);
  return ms === null ? null : Math.floor(ms / 1000);
}

/** The jobs router. */
export function jobAdminRoutes(jobs: JobRunner): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.get("/jobs", (c) => {
    const status = c.req.query("status") || undefined;
    if (status !== undefined && !STATUSES.includes(status as JobStatus)) {
      throw badRequest("status", `'status' must be one of ${STATUSES.join(", ")}`);
    }
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw badRequest("limit", "'limit' must be an integer from 1 to 200");
    }
    const page = jobs.list({ limit, order: "desc", status: status as JobStatus | undefined });
    return c.json({
      items: page.jobs.map((job) => ({
        ...toVideoObject(job),
        kind: job.kind,
        finished_at: finishedAt(job),
        variant: job.result?.variant ?? null,
      })),
      counts: jobs.counts(),
    });
  });

  return app;
}

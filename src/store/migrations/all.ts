/**
 * Every migration, in order. Versions step by 10 to leave room for fixes.
 * @module
 */
import type { Migration } from "../migrate.ts";
import * as requests from "./0010_requests.ts";
import * as jobs from "./0020_jobs.ts";
import * as media from "./0040_media.ts";
import * as logs from "./0050_logs.ts";

/** The migration list. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 10, name: "requests", up: requests.up },
  { version: 20, name: "jobs", up: jobs.up },
  { version: 40, name: "media", up: media.up },
  { version: 50, name: "logs", up: logs.up },
];

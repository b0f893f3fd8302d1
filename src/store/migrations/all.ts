/**
 * Every migration, in order. Versions step by 10 to leave room for fixes.
 * @module
 */
import type { Migration } from "../migrate.ts";
import * as requests from "./0010_requests.ts";
import * as jobs from "./0020_jobs.ts";
import * as accountsKeys from "./0030_accounts_keys.ts";
import * as requestsKeys from "./0035_requests_keys.ts";
import * as media from "./0040_media.ts";
import * as logs from "./0050_logs.ts";
import * as admin from "./0060_admin.ts";
import * as logIds from "./0070_logs_ids.ts";
import * as requestHourGroups from "./0080_request_hour_groups.ts";
import * as pollEstimates from "./0090_poll_estimates.ts";
import * as jobsQueue from "./0091_jobs_queue.ts";
import * as settings from "./0100_settings.ts";
import * as adminSecrets from "./0110_admin_secrets.ts";
import * as jobsRequestHash from "./0115_jobs_request_hash.ts";
import * as mediaVariant from "./0130_media_variant.ts";
import * as browserRoutes from "./0140_browser_routes.ts";
import * as jobReferences from "./0150_job_references.ts";
import * as webhooks from "./0160_webhooks.ts";
import * as keyWebhooks from "./0161_key_webhooks.ts";
import * as generationRecords from "./0170_generation_records.ts";
import * as accountProxyCookies from "./0180_account_proxy_cookies.ts";

/** The migration list. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 10, name: "requests", up: requests.up },
  { version: 20, name: "jobs", up: jobs.up },
  { version: 30, name: "accounts and API keys", up: accountsKeys.up },
  { version: 35, name: "requests by API key and account", up: requestsKeys.up },
  { version: 40, name: "media", up: media.up },
  { version: 50, name: "logs", up: logs.up },
  { version: 60, name: "console admins and sessions", up: admin.up },
  { version: 70, name: "log ids never reused", up: logIds.up },
  { version: 80, name: "hourly rollup per dimension", up: requestHourGroups.up },
  { version: 90, name: "learned run times per model", up: pollEstimates.up },
  { version: 91, name: "a job's place in the upstream queue", up: jobsQueue.up },
  { version: 100, name: "settings changed at run time", up: settings.up },
  { version: 110, name: "no console secret or typed name kept in clear", up: adminSecrets.up },
  { version: 115, name: "jobs remember their request's fingerprint", up: jobsRequestHash.up },
  { version: 130, name: "which file of a video a media row holds", up: mediaVariant.up },
  { version: 140, name: "routes the browser transport learned", up: browserRoutes.up },
  { version: 150, name: "omni-reference materials of jobs", up: jobReferences.up },
  { version: 160, name: "webhook outbox", up: webhooks.up },
  { version: 161, name: "webhook URL per API key", up: keyWebhooks.up },
  {
    version: 170,
    name: "generation records, key options, account names",
    up: generationRecords.up,
  },
  { version: 180, name: "account proxies and imported cookies", up: accountProxyCookies.up },
];

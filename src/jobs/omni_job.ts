/**
 * The upstream side of an omni-reference video job: upload each material on
 * the account that will submit (images through ImageX, videos and audio
 * through VOD) unless it was already uploaded there — what an upload gave is
 * stored at once, so a job resumed after a restart uploads nothing twice —
 * then submit the draft under the job's `submit_id`.
 * @module
 */
import type { Account } from "../accounts/pool.ts";
import type { PromptSegment } from "../generation/placeholders.ts";
import type { JimengClient } from "../jimeng/client.ts";
import { JimengError } from "../jimeng/errors.ts";
import type { VideoModel, VideoRatio, VideoResolution } from "../jimeng/models.ts";
import { OMNI_LIMITS, type OmniMaterial } from "../jimeng/omni.ts";
import type { MaterialFormat, MaterialKind } from "../media/sniff.ts";
import type { Db } from "../store/db.ts";
import {
  type JobReference,
  jobReferences,
  recordReferenceUpload,
} from "../store/job_references.ts";
import type { Job } from "../store/jobs.ts";
import type { ReferenceFiles } from "./reference_files.ts";

/** What a job keeps about each material (in its parameters; shown by the API and console). */
export interface OmniReferenceMeta {
  kind: MaterialKind;
  format: MaterialFormat;
  contentType: string;
  /** Bytes. */
  size: number;
  /** Read from the file before upload. */
  durationMs?: number;
  width?: number;
  height?: number;
  /** The request field it came from. */
  source: string;
}

/** The omni part of a video job's parameters. */
export interface OmniJobParams {
  segments: PromptSegment[];
  references: OmniReferenceMeta[];
}

/** What {@linkcode submitOmniJob} needs. */
export interface OmniJobDeps {
  db: Db;
  client: JimengClient;
  files: ReferenceFiles;
}

/** Shape of a video job's parameters that the omni submit reads. */
interface VideoShape {
  ratio: VideoRatio;
  resolution: VideoResolution;
  seconds: number;
  omni?: OmniJobParams;
}

function toMaterial(ref: JobReference): OmniMaterial {
  const upload = ref.upload!;
  if (ref.kind === "image") {
    return {
      kind: "image",
      uri: upload.uri as string,
      width: upload.width as number | undefined,
      height: upload.height as number | undefined,
      format: upload.format as string | undefined,
    };
  }
  const durationMs = upload.durationMs as number;
  if (ref.kind === "audio") return { kind: "audio", vid: upload.vid as string, durationMs };
  return {
    kind: "video",
    vid: upload.vid as string,
    durationMs,
    width: upload.width as number | undefined,
    height: upload.height as number | undefined,
  };
}

async function upload(
  deps: OmniJobDeps,
  ref: JobReference,
  meta: OmniReferenceMeta | undefined,
  account: Account,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  let bytes: Uint8Array;
  try {
    bytes = await deps.files.read(ref.file);
  } catch (cause) {
    throw new Error(`The reference file ${ref.file} is gone from ${deps.files.dir}`, { cause });
  }
  if (ref.kind === "image") {
    const image = await deps.client.uploadImage(account.session, bytes, signal);
    return { ...image };
  }
  const media = await deps.client.uploadMedia(account.session, bytes, signal);
  // VOD's measure wins; the local one stands in when VOD reports none.
  const durationMs = media.durationMs ?? meta?.durationMs;
  if (durationMs === undefined) {
    throw new JimengError(
      "bad_response",
      `Jimeng's VOD reported no duration for reference ${ref.position + 1}`,
    );
  }
  return { ...media, durationMs };
}

/**
 * Uploads what is not yet uploaded on `account`, then submits.
 *
 * @returns the upstream history record id
 */
export async function submitOmniJob(
  deps: OmniJobDeps,
  job: Job,
  model: VideoModel,
  account: Account,
  signal: AbortSignal,
): Promise<string> {
  const params = job.params as unknown as VideoShape;
  const omni = params.omni!;
  const refs = jobReferences(deps.db, job.id);
  if (refs.length !== omni.references.length) {
    throw new Error(
      `Job ${job.id} has ${refs.length} stored references, expected ${omni.references.length}`,
    );
  }
  const materials: OmniMaterial[] = [];
  for (const ref of refs) {
    if (ref.accountKey !== account.key || ref.upload === null) {
      ref.upload = await upload(deps, ref, omni.references[ref.position], account, signal);
      ref.accountKey = account.key;
      recordReferenceUpload(deps.db, job.id, ref.position, account.key, ref.upload);
    }
    materials.push(toMaterial(ref));
  }
  // Checked locally before anything was uploaded; VOD's own measure decides now.
  const videoMs = materials.reduce((sum, m) => sum + (m.kind === "video" ? m.durationMs : 0), 0);
  if (videoMs > OMNI_LIMITS.videoSeconds * 1000) {
    throw new JimengError(
      "invalid_parameter",
      `Jimeng measured the reference videos at ${
        videoMs / 1000
      } s together; at most ${OMNI_LIMITS.videoSeconds} s are accepted`,
    );
  }
  return await deps.client.submitOmniTask(
    account.session,
    {
      model,
      ratio: params.ratio,
      resolution: params.resolution,
      durationS: params.seconds,
      materials,
      segments: omni.segments,
    },
    job.submitId,
    signal,
  );
}

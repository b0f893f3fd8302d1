/**
 * The reference materials of omni-reference jobs as files: one directory
 * per job under `DATA_DIR/references`, one file per material, kept until the
 * job ends (its rows in `job_references` name them). Files, not database
 * blobs: a job may carry hundreds of MiB of video.
 * @module
 */
import { join } from "node:path";

/** One material to keep. */
export interface ReferenceFileInput {
  bytes: Uint8Array;
  /** File extension, without the dot. */
  ext: string;
}

/** The store of reference files. */
export interface ReferenceFiles {
  /** The directory, for messages. */
  readonly dir: string;
  /**
   * Writes a job's materials (synchronously: it runs inside job creation)
   * and returns their file names, relative to the directory.
   */
  write(jobId: string, items: readonly ReferenceFileInput[]): string[];
  /** Reads one file by the name {@linkcode ReferenceFiles.write} returned. */
  read(file: string): Promise<Uint8Array>;
  /** Whether the file is still there. */
  exists(file: string): boolean;
  /** Removes a job's files; missing ones are fine. */
  remove(jobId: string): void;
}

const SAFE_ID = /^[a-z]+_[0-9a-f]{32}$/;
const SAFE_FILE = /^[a-z]+_[0-9a-f]{32}\/\d+\.[a-z0-9]{1,5}$/;

function checkId(jobId: string): void {
  if (!SAFE_ID.test(jobId)) throw new TypeError(`Unexpected job id "${jobId}"`);
}

function checkFile(file: string): void {
  if (!SAFE_FILE.test(file)) throw new TypeError(`Unexpected reference file name "${file}"`);
}

/** Reference files under `dir` (created on first write). */
export function createReferenceFiles(dir: string): ReferenceFiles {
  return {
    dir,
    write(jobId, items) {
      checkId(jobId);
      const jobDir = join(dir, jobId);
      Deno.mkdirSync(jobDir, { recursive: true, mode: 0o700 });
      try {
        return items.map(({ bytes, ext }, position) => {
          const name = `${jobId}/${position}.${ext}`;
          checkFile(name);
          // Written whole, then renamed: a crash never leaves a short file under the final name.
          const part = join(jobDir, `${position}.part`);
          Deno.writeFileSync(part, bytes, { mode: 0o600 });
          Deno.renameSync(part, join(dir, name));
          return name;
        });
      } catch (error) {
        Deno.removeSync(jobDir, { recursive: true });
        throw error;
      }
    },
    async read(file) {
      checkFile(file);
      return await Deno.readFile(join(dir, file));
    },
    exists(file) {
      checkFile(file);
      try {
        return Deno.statSync(join(dir, file)).isFile;
      } catch {
        return false;
      }
    },
    remove(jobId) {
      checkId(jobId);
      try {
        Deno.removeSync(join(dir, jobId), { recursive: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    },
  };
}

/**
 * The data directory holds sessionids (sealed), the key that opens them,
 * usage records and generated media: only the server's own user may read
 * it. Files are created 0600 and directories 0700; wider modes found at
 * start are narrowed, with a warning. (No-op on Windows, which has no modes.)
 * @module
 */
import type { Logger } from "./log.ts";

/** Mode of every file the server writes under `DATA_DIR`. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of the directories it creates there. */
export const PRIVATE_DIR_MODE = 0o700;

const modesApply = Deno.build.os !== "windows";

function narrow(path: string, mode: number, log: Logger): void {
  if (!modesApply) return;
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (stat.mode === null || (stat.mode & 0o077) === 0) return;
  try {
    Deno.chmodSync(path, mode);
    log.warn(
      `${path} was open to other users (mode ${(stat.mode & 0o777).toString(8)}); it is now ${
        mode.toString(8)
      }`,
    );
  } catch (error) {
    log.warn(`${path} is open to other users and its mode could not be narrowed`, { error });
  }
}

/** Creates `path` (and its parents) as 0700, or narrows an existing directory to it. */
export function ensurePrivateDir(path: string, log: Logger): void {
  Deno.mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  narrow(path, PRIVATE_DIR_MODE, log);
}

/**
 * Creates an empty file at `path` with mode 0600 unless it exists, and
 * narrows an existing one; `companions` (e.g. SQLite's `-wal` and `-shm`) are
 * narrowed when they exist.
 */
export function ensurePrivateFile(path: string, log: Logger, companions: string[] = []): void {
  try {
    Deno.openSync(path, { write: true, createNew: true, mode: PRIVATE_FILE_MODE }).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    narrow(path, PRIVATE_FILE_MODE, log);
  }
  for (const companion of companions) narrow(companion, PRIVATE_FILE_MODE, log);
}

/** Async twin of {@linkcode ensurePrivateDir}'s creation, for directories made at run time. */
export async function makePrivateDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Loads `playwright-core` on first use only, so a server that never needs the
 * browser transport neither pays its start-up time nor its memory.
 * @module
 */
/** The part of `playwright-core` the browser transport uses. */
export type Playwright = typeof import("playwright-core");

/**
 * The module, as a full specifier (the same version as deno.json's import
 * map, which a test checks). It is imported through a variable so that Deno
 * does not resolve the package at start (that alone costs ~3 MiB of memory);
 * `deno compile` embeds it with `--include`, and the bundle resolves it from
 * the npm cache (or the registry) on first use.
 */
export const PLAYWRIGHT_MODULE = "npm:playwright-core@1.65.1";

let loading: Promise<Playwright> | undefined;

/**
 * Node's `existsSync` never throws; Deno's throws `NotCapable` for special
 * files such as `/proc/sys/…` unless the process has every permission, and
 * playwright-core probes one of them (for WSL) while loading. Such a file is
 * treated as absent, as Node would report any file it cannot check.
 */
async function tolerateUncheckableFiles(): Promise<void> {
  const { default: fs } = await import("node:fs");
  const existsSync = fs.existsSync;
  if ((existsSync as { tolerant?: boolean }).tolerant) return;
  const tolerant = (path: Parameters<typeof existsSync>[0]): boolean => {
    try {
      return existsSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) return false;
      throw error;
    }
  };
  fs.existsSync = Object.assign(tolerant, { tolerant: true }) as typeof fs.existsSync;
}

/**
 * `playwright-core`, imported on the first call.
 *
 * @throws {Error} when the module cannot be loaded (e.g. missing permissions)
 */
export function loadPlaywright(): Promise<Playwright> {
  if (!loading) {
    const specifier: string = PLAYWRIGHT_MODULE;
    loading = tolerateUncheckableFiles().then(() => import(specifier) as Promise<Playwright>).catch(
      (
        error,
      ) => {
        loading = undefined;
        throw error;
      },
    );
  }
  return loading;
}

/**
 * The media library: every generated image and video is recorded, and (with
 * the cache on) downloaded into `DATA_DIR/media/<id>.<ext>` because upstream
 * links expire. The cache is bounded; the oldest files go first. A failed
 * download never fails the caller: the row keeps the upstream URL.
 *
 * Used by the image routes and by the video job runner.
 * @module
 */
import { downloadToFile } from "../generation/download.ts";
import type { Logger } from "../log.ts";
import { makePrivateDir } from "../private_files.ts";
import type { Db } from "../store/db.ts";
import {
  cachedMediaBytes,
  clearMediaFile,
  deleteMedia,
  getMedia,
  insertMedia,
  listMedia,
  type MediaKind,
  type MediaRecord,
  type MediaVariant,
  oldestCachedMedia,
  setMediaFile,
} from "../store/media.ts";
import { MEDIA_TYPES, mediaTypeOfHeader, sniffMediaType } from "./content_type.ts";

/** A strict public media id: 128 random bits, base64url, no padding. */
export const MEDIA_ID = /^[A-Za-z0-9_-]{22}$/;

/** Creates a new media id. */
export function newMediaId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The extension of a row's public path: the cached type's, else the kind's usual one. */
export function mediaExtension(record: MediaRecord): string {
  const known = Object.values(MEDIA_TYPES).find((t) => t.contentType === record.contentType);
  return known?.ext ?? (record.kind === "video" ? "mp4" : "png");
}

/** `/media/<id>.<ext>` of a row. */
export function mediaPath(record: MediaRecord): string {
  return `/media/${record.id}.${mediaExtension(record)}`;
}

/** Options of {@linkcode createMediaLibrary}. */
export interface MediaLibraryOptions {
  db: Db;
  /** The cache directory (`DATA_DIR/media`). */
  dir: string;
  log: Logger;
  now: () => number;
  /** Whether results are downloaded. */
  cache: boolean;
  /** Cache size beyond which the oldest files are evicted. */
  maxCacheBytes: number;
  /**
   * Public base URL for `/media/…` links; `null` = the one each call passes
   * (`SaveOptions.baseUrl`, taken from the request), if any.
   */
  publicBaseUrl: string | null;
  /** Which URL {@linkcode SavedMedia.url} is. */
  urlMode: "upstream" | "local";
  fetch?: typeof fetch;
  /** Longest time a caller waits for downloads before it gets upstream URLs. @default 30000 */
  waitMs?: number;
  /** Timeout of one download, by kind. @default image 60 s, video 10 min */
  timeoutMs?: Partial<Record<MediaKind, number>>;
  /** Largest file, by kind. @default image 64 MiB, video 2 GiB */
  maxFileBytes?: Partial<Record<MediaKind, number>>;
  /** Downloads at once; more wait their turn. @default 4 */
  concurrency?: number;
  /** Hooks for metrics. */
  onDownload?: (kind: MediaKind, outcome: "ok" | "error", bytes: number) => void;
  onEvict?: (files: number) => void;
}

/** One generated result. */
export interface MediaResult {
  url: string;
  width?: number;
  height?: number;
  /** Videos: which file `url` is. */
  variant?: MediaVariant;
}

/** What {@linkcode MediaLibrary.saveResults} records. */
export interface SaveResultsInput {
  kind: MediaKind;
  model: string;
  prompt: string;
  /** Request (or job) id. */
  requestId: string;
  accountKey: string | null;
  accountLabel: string | null;
  apiKeyId: number | null;
  results: readonly MediaResult[];
  /** The `fetch` of the account that made them (through its proxy); default: the library's. */
  fetch?: typeof fetch;
}

/** One recorded result. */
export interface SavedMedia {
  /** Public id; `null` if the row could not be written (the result is still handed out). */
  id: string | null;
  upstreamUrl: string;
  /** `<base URL>/media/<id>.<ext>` when the file is cached and a base URL is known. */
  localUrl: string | null;
  /** `/media/<id>.<ext>` when the file is cached (links are built from it later too). */
  path: string | null;
  /** The URL to hand out: local in local mode when there is one, else upstream. */
  url: string;
  /** Path of the cached file, `null` when not cached (yet). */
  file: string | null;
}

/** Options of one {@linkcode MediaLibrary.saveResults} call. */
export interface SaveOptions {
  /**
   * Wait (up to `waitMs`) for the downloads before answering.
   * @default true in local URL mode, else false (downloads run in the background)
   */
  wait?: boolean;
  /** Stops waiting (downloads go on). */
  signal?: AbortSignal;
  /** Base URL of local links when no fixed one is configured (the request's). */
  baseUrl?: string | null;
}

/** The library. */
export interface MediaLibrary {
  /** Whether downloads happen at all. */
  readonly caching: boolean;
  /**
   * Records `input.results` (in order) and starts their downloads.
   * Never fails because of a download.
   */
  saveResults(input: SaveResultsInput, options?: SaveOptions): Promise<SavedMedia[]>;
  /** The account that made a result of a request (by its upstream URL), if recorded. */
  accountOf(requestId: string, upstreamUrl: string): string | null;
  /** A row by public id (`undefined` for unknown or malformed ids). */
  get(id: string): MediaRecord | undefined;
  /** The cached file of a row, or `null`. */
  filePath(record: MediaRecord): string | null;
  /** Marks a row's file as gone (found missing on disk). */
  forgetFile(record: MediaRecord): void;
  /** Deletes a row and its file; false if there was no such row. */
  remove(id: string): Promise<boolean>;
  /** Bytes in the cache. */
  cacheBytes(): number;
  /** Resolves when no download, eviction or clean-up is running. */
  idle(): Promise<void>;
  /** Aborts downloads and waits for them to stop. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT: Record<MediaKind, number> = { image: 60_000, video: 600_000 };
const DEFAULT_MAX_FILE: Record<MediaKind, number> = { image: 64 * 1048576, video: 2 * 1073741824 };
const FILE_NAME = /^([A-Za-z0-9_-]{22})\.([a-z0-9]{2,5})$/;

/** Creates the library; starts a clean-up of the cache directory in the background. */
export function createMediaLibrary(options: MediaLibraryOptions): MediaLibrary {
  const { db, dir, log } = options;
  const waitMs = options.waitMs ?? 30_000;
  const concurrency = options.concurrency ?? 4;
  const closing = new AbortController();
  const running = new Set<Promise<unknown>>();
  /** Ids being downloaded: the clean-up leaves their files alone. */
  const downloading = new Set<string>();
  let cached = options.cache ? cachedMediaBytes(db) : 0;
  let evicting: Promise<void> = Promise.resolve();
  let active = 0;
  const waiting: (() => void)[] = [];

  function track<T>(promise: Promise<T>): Promise<T> {
    running.add(promise);
    promise.finally(() => running.delete(promise)).catch(() => {});
    return promise;
  }

  /** Runs `work` when one of `concurrency` slots is free; a finished task hands its slot on. */
  async function slot<T>(work: () => Promise<T>): Promise<T> {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  }

  const pathOf = (fileName: string) => `${dir}/${fileName}`;

  async function removeFile(fileName: string): Promise<void> {
    try {
      await Deno.remove(pathOf(fileName));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        log.warn("Could not delete a cached media file", { file: fileName, error });
      }
    }
  }

  /** Evicts oldest-first until the cache fits. Runs one at a time. */
  function evict(): Promise<void> {
    evicting = evicting.then(async () => {
      if (cached <= options.maxCacheBytes) return;
      cached = cachedMediaBytes(db);
      let evicted = 0;
      while (cached > options.maxCacheBytes) {
        const batch = oldestCachedMedia(db, 50);
        if (batch.length === 0) break;
        for (const item of batch) {
          if (cached <= options.maxCacheBytes) break;
          // The row first: from now on the file is not served, then it goes.
          clearMediaFile(db, item.id);
          await removeFile(item.fileName);
          cached -= item.bytes;
          evicted++;
        }
      }
      if (evicted > 0) {
        options.onEvict?.(evicted);
        log.debug("Evicted media from the cache", { files: evicted, cacheBytes: cached });
      }
    }).catch((error) => log.warn("Media cache eviction failed", { error }));
    return evicting;
  }

  /** Downloads one row's result; the cached file name, or `null` on failure. */
  async function download(
    record: MediaRecord,
    fetch?: typeof globalThis.fetch,
  ): Promise<string | null> {
    const part = pathOf(`${record.id}.part`);
    const maxBytes = Math.min(
      options.maxFileBytes?.[record.kind] ?? DEFAULT_MAX_FILE[record.kind],
      options.maxCacheBytes,
    );
    downloading.add(record.id);
    try {
      const fetched = await slot(async () => {
        await makePrivateDir(dir);
        return await downloadToFile(record.upstreamUrl, part, {
          maxBytes,
          timeoutMs: options.timeoutMs?.[record.kind] ?? DEFAULT_TIMEOUT[record.kind],
          signal: closing.signal,
          fetch: fetch ?? options.fetch,
        });
      });
      const type = sniffMediaType(fetched.head) ?? mediaTypeOfHeader(fetched.contentType);
      if (!type) {
        throw new TypeError(
          `The CDN sent a file that is not an image or video the cache keeps (Content-Type "${fetched.contentType}")`,
        );
      }
      const fileName = `${record.id}.${type.ext}`;
      await Deno.rename(part, pathOf(fileName));
      const stored = setMediaFile(db, record.id, {
        fileName,
        bytes: fetched.size,
        contentType: type.contentType,
      });
      if (!stored) {
        // Deleted while downloading.
        await removeFile(fileName);
        return null;
      }
      cached += fetched.size;
      options.onDownload?.(record.kind, "ok", fetched.size);
      await evict();
      return fileName;
    } catch (error) {
      await Deno.remove(part).catch(() => {});
      if (closing.signal.aborted) return null;
      options.onDownload?.(record.kind, "error", 0);
      log.warn(`Could not cache a generated ${record.kind}; its upstream URL stays in use`, {
        mediaId: record.id,
        requestId: record.requestId,
        error,
      });
      return null;
    } finally {
      downloading.delete(record.id);
    }
  }

  /** Removes partial downloads and files no row points at, then fits the cache. */
  async function cleanUp(): Promise<void> {
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (!entry.isFile || downloading.has(entry.name.slice(0, 22))) continue;
        if (entry.name.endsWith(".part")) {
          await removeFile(entry.name);
          continue;
        }
        const match = FILE_NAME.exec(entry.name);
        if (match && getMedia(db, match[1])?.fileName !== entry.name) {
          await removeFile(entry.name);
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        log.warn("Could not clean up the media cache directory", { dir, error });
      }
    }
    await evict();
  }

  function toSaved(
    record: MediaRecord,
    fileName: string | null,
    baseUrl: string | null | undefined,
  ): SavedMedia {
    const path = fileName ? `/media/${fileName}` : null;
    const base = options.publicBaseUrl ?? baseUrl ?? null;
    const local = path && base ? `${base}${path}` : null;
    return {
      id: record.id,
      upstreamUrl: record.upstreamUrl,
      localUrl: local,
      path,
      url: options.urlMode === "local" && local ? local : record.upstreamUrl,
      file: fileName ? pathOf(fileName) : null,
    };
  }

  async function idle(): Promise<void> {
    while (running.size > 0) await Promise.allSettled([...running]);
    await evicting;
  }

  if (options.cache) track(cleanUp());

  return {
    caching: options.cache,
    async saveResults(input, saveOptions = {}) {
      const createdAt = options.now();
      let records: MediaRecord[];
      try {
        records = insertMedia(
          db,
          input.results.map((result) => ({
            id: newMediaId(),
            kind: input.kind,
            model: input.model,
            prompt: input.prompt,
            width: result.width ?? null,
            height: result.height ?? null,
            accountKey: input.accountKey,
            accountLabel: input.accountLabel,
            apiKeyId: input.apiKeyId,
            requestId: input.requestId,
            upstreamUrl: result.url,
            createdAt,
            variant: result.variant ?? null,
          })),
        );
      } catch (error) {
        // The generation succeeded and was paid for: the client gets it anyway.
        log.error(`Could not record generated ${input.kind} results in the media library`, {
          requestId: input.requestId,
          error,
        });
        return input.results.map((result) => ({
          id: null,
          upstreamUrl: result.url,
          localUrl: null,
          path: null,
          url: result.url,
          file: null,
        }));
      }
      const base = saveOptions.baseUrl;
      if (!options.cache || closing.signal.aborted) {
        return records.map((record) => toSaved(record, null, base));
      }
      const downloads = records.map((record) => track(download(record, input.fetch)));
      const wait = saveOptions.wait ?? options.urlMode === "local";
      if (!wait) return records.map((record) => toSaved(record, null, base));
      // Filled as downloads finish, so a timeout still uses the ones that did.
      const files: (string | null)[] = records.map(() => null);
      const all = Promise.all(downloads.map((promise, i) => promise.then((f) => (files[i] = f))));
      const stop = Promise.withResolvers<void>();
      const timer = setTimeout(stop.resolve, waitMs);
      const onAbort = () => stop.resolve();
      saveOptions.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await Promise.race([all, stop.promise]);
      } finally {
        clearTimeout(timer);
        saveOptions.signal?.removeEventListener("abort", onAbort);
      }
      return records.map((record, i) => toSaved(record, files[i], base));
    },
    accountOf(requestId, upstreamUrl) {
      const rows = listMedia(db, { requestId, limit: 100 }).items;
      return rows.find((row) => row.upstreamUrl === upstreamUrl)?.accountKey ?? null;
    },
    get: (id) => (MEDIA_ID.test(id) ? getMedia(db, id) : undefined),
    filePath: (record) => (record.fileName ? pathOf(record.fileName) : null),
    forgetFile(record) {
      if (record.fileName && clearMediaFile(db, record.id)) cached -= record.bytes ?? 0;
    },
    async remove(id) {
      if (!MEDIA_ID.test(id)) return false;
      const record = deleteMedia(db, id);
      if (!record) return false;
      if (record.fileName) {
        cached -= record.bytes ?? 0;
        await removeFile(record.fileName);
      }
      return true;
    },
    cacheBytes: () => cached,
    idle,
    async close() {
      closing.abort(new DOMException("The server is shutting down", "AbortError"));
      // Queued downloads start (and stop at once, being aborted), each holding a slot.
      const queued = waiting.splice(0);
      active += queued.length;
      for (const resolve of queued) resolve();
      await idle();
    },
  };
}

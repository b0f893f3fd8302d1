/**
 * Large JSON bodies — in practice, references (images, videos, audio) sent
 * as data URLs — are parsed off the event loop: a worker decodes the
 * text, runs `JSON.parse` and decodes every long base64 data URL natively,
 * and hands back the small rest of the body with the image bytes
 * transferred, not copied. One worker parses one body at a time, so decodes
 * are bounded (their transient copies of text, parsed string and bytes exist
 * for one body at once) however many arrive together; the others wait in
 * its queue as the bytes they arrived as. The worker starts on the first
 * large body and stops when idle.
 * @module
 */
import { type DataUrlProblem, DecodedDataUrl } from "../generation/references.ts";

/** Bodies at least this large are parsed by the worker. */
export const LARGE_JSON_BYTES = 1_048_576;

/** Strings at least this long that are data URLs are decoded by the worker. */
const MIN_DATA_URL_CHARS = 65_536;

/** Data URLs are looked for this deep in the body (`messages[i].content[j].image_url.url`). */
const MAX_DEPTH = 8;

/** A body the worker parsed. */
export type ParsedJson =
  | { ok: true; value: unknown }
  | { ok: false };

/** The parser of large bodies. */
export interface JsonParser {
  /** Parses a body in the worker (the buffer is transferred to it). */
  parse(body: ArrayBuffer): Promise<ParsedJson>;
  /** Whether the worker is running (it starts with a body and stops when idle). */
  running(): boolean;
  /** Stops the worker and fails what is pending. */
  close(): void;
}

/** Options of {@linkcode createJsonParser}. */
export interface JsonParserOptions {
  /**
   * Largest decoded data URL (the largest file any reference may be: image,
   * video or audio); larger ones are marked too large without decoding.
   */
  maxDataUrlBytes: number;
  /** The worker stops after this long without work. @default 60000 */
  idleMs?: number;
  /** Schedules `fn` after `ms`; returns its cancel function (tests pass a virtual one). */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

/** What the worker answers. */
interface WorkerAnswer {
  id: number;
  ok: boolean;
  value?: unknown;
  found?: {
    path: (string | number)[];
    mediaType: string;
    bytes?: Uint8Array;
    problem?: DataUrlProblem;
  }[];
}

/** The worker's global scope, as far as the worker uses it. */
interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

/**
 * The worker's program. It runs from its source text in its own isolate, so
 * it must not refer to anything outside itself (not even a helper function).
 */
function jsonWorkerMain(scope: WorkerScope): void {
  scope.onmessage = (event: MessageEvent) => {
    const { id, buffer, minChars, maxBytes, maxDepth } = event.data;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(buffer));
    } catch {
      scope.postMessage({ id, ok: false });
      return;
    }
    const found: WorkerAnswer["found"] = [];
    const transfer: ArrayBuffer[] = [];
    const stack: { node: Record<string, unknown>; path: (string | number)[] }[] = [];
    if (value !== null && typeof value === "object") {
      stack.push({ node: value as Record<string, unknown>, path: [] });
    }
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      for (const key of Object.keys(node)) {
        const child = node[key];
        const at = Array.isArray(node) ? Number(key) : key;
        if (child !== null && typeof child === "object") {
          if (path.length + 1 < maxDepth) {
            stack.push({ node: child as Record<string, unknown>, path: [...path, at] });
          }
          continue;
        }
        if (typeof child !== "string" || child.length < minChars) continue;
        const comma = child.indexOf(",");
        const header = child.slice(0, comma === -1 ? 256 : Math.min(comma, 256));
        // Only plain keys are replaced: "__proto__" would set a prototype, not a field.
        if (!/^\s*data:/i.test(header) || key === "__proto__") continue;
        node[key] = null;
        const mediaType = (/^\s*data:([^;,]*)/i.exec(header)?.[1] ?? "").trim().toLowerCase();
        const place = [...path, at];
        if (comma === -1 || comma > 255) {
          found.push({ path: place, mediaType, problem: "no_data" });
          continue;
        }
        if (!/;base64$/i.test(header.trimEnd())) {
          found.push({ path: place, mediaType, problem: "not_base64" });
          continue;
        }
        let payload = child.slice(comma + 1).trimEnd();
        if (payload.length * 0.75 > maxBytes + 3) {
          found.push({ path: place, mediaType, problem: "too_large" });
          continue;
        }
        if (/[-_]/.test(payload)) payload = payload.replaceAll("-", "+").replaceAll("_", "/");
        try {
          const bytes = Uint8Array.fromBase64(payload);
          found.push({ path: place, mediaType, bytes });
          transfer.push(bytes.buffer);
        } catch {
          found.push({ path: place, mediaType, problem: "invalid_base64" });
        }
      }
    }
    scope.postMessage({ id, ok: true, value, found }, transfer);
  };
}

/** Puts `item` at `path` inside `root`, as an own property. */
function place(root: unknown, path: readonly (string | number)[], item: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  Object.defineProperty(node, path[path.length - 1], {
    value: item,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** Creates the parser; the worker starts with the first body. */
export function createJsonParser(options: JsonParserOptions): JsonParser {
  const idleMs = options.idleMs ?? 60_000;
  let worker: Worker | undefined;
  let source: string | undefined;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  });
  let cancelIdle = () => {};
  let nextId = 0;
  const pending = new Map<
    number,
    { resolve: (a: WorkerAnswer) => void; reject: (e: Error) => void }
  >();
  let closed = false;

  function failPending(error: Error): void {
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  }

  function stopWorker(): void {
    worker?.terminate();
    worker = undefined;
    if (source) URL.revokeObjectURL(source);
    source = undefined;
  }

  function startWorker(): Worker {
    cancelIdle();
    if (worker) return worker;
    source = URL.createObjectURL(
      new Blob([`(${jsonWorkerMain.toString()})(self);`], { type: "text/javascript" }),
    );
    const started = new Worker(source, { type: "module", name: "json-parser" });
    started.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      const entry = pending.get(event.data.id);
      pending.delete(event.data.id);
      entry?.resolve(event.data);
      if (pending.size === 0) cancelIdle = setTimer(stopWorker, idleMs);
    };
    started.onerror = (event) => {
      event.preventDefault();
      stopWorker();
      failPending(new Error(`The JSON parser worker failed: ${event.message}`));
    };
    worker = started;
    return started;
  }

  function inWorker(buffer: ArrayBuffer): Promise<WorkerAnswer> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      startWorker().postMessage({
        id,
        buffer,
        minChars: MIN_DATA_URL_CHARS,
        maxBytes: options.maxDataUrlBytes,
        maxDepth: MAX_DEPTH,
      }, [buffer]);
    });
  }

  return {
    async parse(body) {
      if (closed) throw new Error("The JSON parser is closed");
      const answer = await inWorker(body);
      if (!answer.ok) return { ok: false };
      const value = answer.value;
      for (const { path, bytes, problem, mediaType } of answer.found ?? []) {
        place(value, path, new DecodedDataUrl(bytes ?? null, problem ?? null, mediaType));
      }
      return { ok: true, value };
    },
    running: () => worker !== undefined,
    close() {
      closed = true;
      cancelIdle();
      stopWorker();
      failPending(new Error("The server is shutting down"));
    },
  };
}

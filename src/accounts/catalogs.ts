/**
 * The model catalogs of the accounts (2026-10 sheet §3), cached per account:
 * a copy is used for `MODEL_CATALOG_TTL_MIN`; when the upstream cannot be
 * read the last copy is kept, and without one the built-in table stands in.
 * A set of accounts — a request's — sees the models any of them can use,
 * merged: what their catalogs offer, and for an account whose catalog could
 * not be read, the built-in models of its region. A built-in model no
 * catalog mentions is not listed but still resolves (the static table stays
 * the last fallback; an upstream that retired it answers 2061).
 * @module
 */
import { untilAborted } from "../abortable.ts";
import type { CatalogEntry } from "../jimeng/catalog.ts";
import { builtinByReqKey, catalogModel, catalogModelId, slugOf } from "../jimeng/catalog_models.ts";
import type { JimengClient } from "../jimeng/client.ts";
import { findModel, IMAGE_MODELS, type Model, VIDEO_MODELS } from "../jimeng/models.ts";
import type { Region } from "../jimeng/regions.ts";
import type { Logger } from "../log.ts";
import type { Account } from "./pool.ts";

/** Where a listed model comes from. */
export type ModelSource = "catalog" | "builtin";

/** A model the accounts can use. */
export interface ListedModel {
  model: Model;
  source: ModelSource;
}

/** What a name resolves to for a set of accounts. */
export type ModelLookup =
  | { status: "found"; model: Model; source: ModelSource }
  /** The catalogs list it but say it cannot be used now (`model_status` ≠ 0 or unbillable). */
  | { status: "unavailable"; id: string; reason: string; alternatives: string[] }
  | { status: "unknown" };

/** What the catalogs need. */
export interface ModelCatalogDeps {
  client: Pick<JimengClient, "fetchCatalog">;
  now: () => number;
  log: Logger;
  /** How long a copy is used. */
  ttlMs: number;
  /** Longest wait for one catalog call. */
  timeoutMs: number;
  /** Accounts × kinds remembered at most. @default 2000 */
  maxEntries?: number;
}

/** Options of a lookup. */
export interface CatalogOptions {
  /** Read the catalogs again, whatever the cache holds. */
  refresh?: boolean;
  signal?: AbortSignal;
}

/** The catalogs. */
export interface ModelCatalogs {
  /** Every model `accounts` can use, of `kinds` (both by default). */
  list(
    accounts: readonly Account[],
    options?: CatalogOptions & { kinds?: readonly Model["kind"][] },
  ): Promise<ListedModel[]>;
  /** Resolves a model name (id, alias or catalog id) for a request served by `accounts`. */
  resolve(
    name: string,
    accounts: readonly Account[],
    options?: CatalogOptions,
  ): Promise<ModelLookup>;
}

type Kind = Model["kind"];

interface Slot {
  /** The last copy read; `null` while none was. */
  entries: CatalogEntry[] | null;
  expires: number;
  /** After a failure, no new read before this time (ms). */
  retryAt: number;
  pending?: Promise<CatalogEntry[] | null>;
}

/** Position of each built-in model in the table, for listing in its order. */
const TABLE_ORDER = new Map([...IMAGE_MODELS, ...VIDEO_MODELS].map((m, i) => [m.id, i]));

/** How long a failed read is not repeated, at most. */
const RETRY_AFTER_MS = 30_000;

/** The bare, lower-case form of a requested name (`model:WxH` suffix dropped). */
function bareName(name: string): string {
  return name.trim().toLowerCase().replace(/:\d+x\d+$/, "");
}

/** The kind a name is for: a built-in's, or the one a catalog id carries. */
function kindOfName(name: string): Kind | undefined {
  const builtin = findModel(name);
  if (builtin) return builtin.kind;
  const bare = bareName(name);
  if (bare.startsWith("jimeng-image-")) return "image";
  if (bare.startsWith("jimeng-video-")) return "video";
  return undefined;
}

/** Creates the catalogs. */
export function createModelCatalogs(deps: ModelCatalogDeps): ModelCatalogs {
  const slots = new Map<string, Slot>();
  const maxEntries = deps.maxEntries ?? 2000;

  function read(account: Account, kind: Kind, refresh: boolean): Promise<CatalogEntry[] | null> {
    const key = `${account.key}:${kind}`;
    let slot = slots.get(key);
    if (!slot) {
      if (slots.size >= maxEntries) slots.delete(slots.keys().next().value!);
      slot = { entries: null, expires: 0, retryAt: 0 };
      slots.set(key, slot);
    }
    const current = slot;
    current.pending = deps.client.fetchCatalog(account.session, kind, {
      refresh,
      signal: AbortSignal.timeout(deps.timeoutMs),
    }).then((entries) => {
      current.entries = entries;
      current.expires = deps.now() + deps.ttlMs;
      current.retryAt = 0;
      return entries;
    }, (error) => {
      current.retryAt = deps.now() + Math.min(deps.ttlMs, RETRY_AFTER_MS);
      deps.log.warn(
        `Could not read the ${kind} model catalog of account ${account.label}; using ${
          current.entries ? "the last copy" : "the built-in model table"
        }`,
        { error },
      );
      return current.entries;
    }).finally(() => (current.pending = undefined));
    return current.pending;
  }

  /** The account's catalog of `kind`: `null` when none could be read yet. */
  async function catalogOf(
    account: Account,
    kind: Kind,
    options: CatalogOptions,
  ): Promise<CatalogEntry[] | null> {
    const slot = slots.get(`${account.key}:${kind}`);
    const now = deps.now();
    if (slot?.pending) return await untilAborted(slot.pending, options.signal);
    if (!options.refresh && slot) {
      if (slot.entries && slot.expires > now) return slot.entries;
      if (slot.retryAt > now) return slot.entries;
    }
    return await untilAborted(read(account, kind, options.refresh === true), options.signal);
  }

  async function view(
    accounts: readonly Account[],
    kinds: readonly Kind[],
    options: CatalogOptions,
  ): Promise<{ listed: ListedModel[]; unavailable: Map<string, string> }> {
    const usable = [...new Map(accounts.map((a) => [a.key, a])).values()]
      .filter((a) => !a.disabled && !a.expired);
    const offered = new Map<string, { entry: CatalogEntry; regions: Set<Region> }>();
    const refused = new Map<string, { entry: CatalogEntry; regions: Set<Region> }>();
    /** Built-in models some account may use without its catalog saying so: id → regions. */
    const fallback = new Map<string, Set<Region>>();
    const note = (
      map: Map<string, { entry: CatalogEntry; regions: Set<Region> }>,
      entry: CatalogEntry,
      region: Region,
    ) => {
      const key = `${entry.kind}:${entry.reqKey}`;
      const known = map.get(key) ?? { entry, regions: new Set<Region>() };
      known.regions.add(region);
      map.set(key, known);
    };
    const reads = usable.flatMap((account) =>
      kinds.map(async (kind) => ({
        account,
        kind,
        entries: await catalogOf(account, kind, options),
      }))
    );
    for (const { account, kind, entries } of await Promise.all(reads)) {
      const region = account.session.region;
      for (const entry of entries ?? []) {
        note(entry.status === 0 ? offered : refused, entry, region);
      }
      // A catalog that was read says what the account can use; without one, the table does.
      if (entries !== null) continue;
      const builtins: readonly Model[] = kind === "image" ? IMAGE_MODELS : VIDEO_MODELS;
      for (const model of builtins) {
        if (!model.regions.includes(region)) continue;
        const regions = fallback.get(model.id) ?? new Set<Region>();
        regions.add(region);
        fallback.set(model.id, regions);
      }
    }
    const seenAtS = Math.floor(deps.now() / 1000);
    const taken = new Set<string>();
    const ids = new Map<string, string>();
    /** An unknown model's id: its slug, or with its request key when that clashes. */
    const idFor = (entry: CatalogEntry) => {
      const key = `${entry.kind}:${entry.reqKey}`;
      let id = ids.get(key);
      if (id !== undefined) return id;
      id = catalogModelId(entry);
      if (findModel(id) || taken.has(id)) id = `${id}-${slugOf(entry.reqKey)}`;
      taken.add(id);
      ids.set(key, id);
      return id;
    };
    const listed: ListedModel[] = [];
    const unavailable = new Map<string, string>();
    for (const { entry, regions } of offered.values()) {
      const extra = fallback.get(builtinByReqKey(entry.reqKey)?.id ?? "") ?? [];
      const made = catalogModel(entry, {
        regions: [...new Set([...regions, ...extra])],
        seenAtS,
        id: idFor(entry),
      });
      if (made.usable) listed.push({ model: made.model, source: "catalog" });
      else if (made.model) unavailable.set(made.model.id, made.reason);
    }
    const listedIds = new Set(listed.map((m) => m.model.id));
    for (const { entry } of refused.values()) {
      const made = catalogModel(entry, { regions: [], seenAtS, id: idFor(entry) });
      const id = made.model!.id;
      if (!listedIds.has(id) && !fallback.has(id)) {
        unavailable.set(
          id,
          `Jimeng's model catalog marks it unavailable (model_status ${entry.status})`,
        );
      }
    }
    for (const [id, regions] of fallback) {
      if (listedIds.has(id)) continue;
      const model = findModel(id)!;
      listed.push({ model: { ...model, regions: [...regions] }, source: "builtin" });
    }
    // The table's order (newest first), then what only the catalogs know, by name.
    const rank = (model: Model) => {
      const index = TABLE_ORDER.get(model.id);
      return index === undefined ? TABLE_ORDER.size : index;
    };
    listed.sort((a, b) =>
      a.model.kind.localeCompare(b.model.kind) || rank(a.model) - rank(b.model) ||
      a.model.id.localeCompare(b.model.id)
    );
    return { listed, unavailable };
  }

  return {
    async list(accounts, options = {}) {
      const kinds = options.kinds ?? ["image", "video"];
      return (await view(accounts, kinds, options)).listed;
    },
    async resolve(name, accounts, options = {}) {
      const kind = kindOfName(name);
      if (!kind) return { status: "unknown" };
      const builtin = findModel(name);
      const id = builtin?.id ?? bareName(name);
      const { listed, unavailable } = await view(accounts, [kind], options);
      const hit = listed.find((m) => m.model.id === id);
      if (hit) return { status: "found", model: hit.model, source: hit.source };
      const reason = unavailable.get(id);
      if (reason !== undefined) {
        const alternatives = listed.filter((m) => m.model.kind === kind).slice(0, 4)
          .map((m) => m.model.id);
        return { status: "unavailable", id, reason, alternatives };
      }
      if (builtin) return { status: "found", model: builtin, source: "builtin" };
      return { status: "unknown" };
    },
  };
}

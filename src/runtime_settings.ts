/**
 * Settings the console changes while the server runs. One rule for all of
 * them: an explicit environment variable (or flag) wins and the console shows
 * it as such; otherwise the value the console stored in SQLite; otherwise
 * the default. Secrets are stored sealed and shown only as set.
 * @module
 */
import { Buffer } from "node:buffer";
import type { SecretBox } from "./accounts/secrets.ts";
import { type Config, findRuntimeSetting, type RuntimeSetting } from "./config.ts";
import type { Logger } from "./log.ts";
import type { Db } from "./store/db.ts";
import { deleteSetting, listStoredSettings, upsertSetting } from "./store/settings.ts";

/** Where a runtime setting's value comes from. */
export type SettingSource = "environment" | "console" | "default";

/** Thrown when the console tries to change a setting it cannot. */
export class SettingError extends Error {
  override name = "SettingError";
}

/** The effective runtime settings. */
export interface RuntimeSettings {
  /** The effective, typed value. */
  get<T>(setting: RuntimeSetting<T>): T;
  /** Where the value of `env` comes from. */
  source(env: string): SettingSource;
  /** The console's raw value of a non-secret setting, `"(set)"` for a secret, else `null`. */
  storedValue(env: string): string | null;
  /**
   * Stores the console's value (validated by the setting's parser) or, with
   * `null`, removes it so the default applies again.
   *
   * @throws {SettingError} for an unknown setting or one the environment sets
   * @throws {TypeError | RangeError} for a value the setting does not accept
   */
  set(env: string, raw: string | null): void;
  /** Calls `listener` with the name of each setting that changed. */
  subscribe(listener: (env: string) => void): () => void;
}

/** What {@linkcode createRuntimeSettings} needs. */
export interface RuntimeSettingsDeps {
  db: Db;
  config: Config;
  box: SecretBox;
  log: Logger;
  now: () => number;
}

const sealContext = (env: string) => `setting:${env}`;

/** Loads the stored settings and returns the accessor. */
export function createRuntimeSettings(deps: RuntimeSettingsDeps): RuntimeSettings {
  const { db, config, box, log } = deps;
  /** Raw console values by name (secrets opened). */
  const stored = new Map<string, string>();
  /** Parsed effective values by name, filled on first read. */
  const parsed = new Map<string, unknown>();
  const listeners = new Set<(env: string) => void>();

  for (const row of listStoredSettings(db)) {
    const entry = findRuntimeSetting(row.name);
    if (!entry) continue;
    try {
      const raw = row.sealed
        ? box.open(Buffer.from(row.value, "base64"), sealContext(row.name))
        : row.value;
      entry.parse(raw, row.name);
      stored.set(row.name, raw);
    } catch (error) {
      log.warn(`The stored value of ${row.name} is not usable; its default applies`, { error });
    }
  }

  function source(env: string): SettingSource {
    if (config.explicit[env] !== undefined) return "environment";
    return stored.has(env) ? "console" : "default";
  }

  return {
    get<T>(setting: RuntimeSetting<T>): T {
      if (parsed.has(setting.env)) return parsed.get(setting.env) as T;
      const raw = config.explicit[setting.env] ?? stored.get(setting.env);
      const value = raw === undefined ? setting.fallback : setting.parse(raw, setting.env);
      parsed.set(setting.env, value);
      return value;
    },
    source,
    storedValue(env) {
      const raw = stored.get(env);
      if (raw === undefined) return null;
      return findRuntimeSetting(env)?.secret ? "(set)" : raw;
    },
    set(env, raw) {
      const entry = findRuntimeSetting(env);
      if (!entry) throw new SettingError(`${env} cannot be changed at run time`);
      if (source(env) === "environment") {
        throw new SettingError(
          `${env} is set in the server's environment, which wins; change or unset it there`,
        );
      }
      if (raw === null || raw.trim() === "") {
        deleteSetting(db, env);
        stored.delete(env);
      } else {
        const value = raw.trim();
        entry.parse(value, env);
        upsertSetting(db, {
          name: env,
          value: entry.secret
            ? Buffer.from(box.seal(value, sealContext(env))).toString("base64")
            : value,
          sealed: entry.secret,
          updatedAt: deps.now(),
        });
        stored.set(env, value);
      }
      parsed.delete(env);
      log.info(`Setting ${env} changed from the console`);
      for (const listener of [...listeners]) {
        try {
          listener(env);
        } catch (error) {
          log.warn("A settings listener failed", { setting: env, error });
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

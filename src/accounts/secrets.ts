/**
 * Encryption at rest of stored sessionids: AES-256-GCM with a key derived
 * from `SECRET_KEY`, or a random key kept in `DATA_DIR/secret.key` (created
 * with mode 0600). Each sealed value is bound to its row by associated data.
 * @module
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { Logger } from "../log.ts";

/** Seals and opens secrets with one key. */
export interface SecretBox {
  /** Fingerprint of the key (not secret), stored beside each sealed value. */
  readonly keyId: string;
  /** Encrypts `plaintext`; `context` (e.g. the row's hash) must be given again to open. */
  seal(plaintext: string, context: string): Uint8Array;
  /**
   * Decrypts a sealed value.
   * @throws {Error} when the key or the context is wrong or the value was altered
   */
  open(sealed: Uint8Array, context: string): string;
}

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Creates a box around a 32-byte key. */
export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== 32) throw new RangeError(`The encryption key has ${key.length} bytes, not 32`);
  const keyId = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return {
    keyId,
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(new TextEncoder().encode(context));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return new Uint8Array(
        Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]),
      );
    },
    open(sealed, context) {
      if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
        throw new Error("The sealed value is not in a known format");
      }
      const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
      const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
      const decipher = createDecipheriv("aes-256-gcm", key, nonce);
      decipher.setAAD(new TextEncoder().encode(context));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    },
  };
}

/** Derives the 32-byte key from a `SECRET_KEY` value. */
export function deriveKey(secret: string): Uint8Array {
  return new Uint8Array(
    hkdfSync("sha256", secret, "jimeng-api", "sessionid encryption at rest", 32),
  );
}

/** Where the key comes from. */
export interface KeySource {
  /** `SECRET_KEY`, when set. */
  secretKey: string | null;
  /** Directory of the key file; `null` = an in-memory key for this run only. */
  dataDir: string | null;
  log: Logger;
}

/** The file name of the generated key inside DATA_DIR. */
export const KEY_FILE = "secret.key";

/**
 * Resolves the encryption key: `SECRET_KEY`, else `DATA_DIR/secret.key`
 * (generated on first use with mode 0600; wider permissions are narrowed),
 * else a key for this run only.
 */
export function loadSecretKey(source: KeySource): Uint8Array {
  if (source.secretKey !== null) return deriveKey(source.secretKey);
  if (source.dataDir === null) return new Uint8Array(randomBytes(32));
  const path = `${source.dataDir}/${KEY_FILE}`;
  try {
    const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    try {
      const key = new Uint8Array(randomBytes(32));
      file.writeSync(new TextEncoder().encode(Buffer.from(key).toString("base64") + "\n"));
      source.log.info(
        `Created the encryption key for stored sessionids at ${path}; back it up with the database (or set SECRET_KEY)`,
      );
      return key;
    } finally {
      file.close();
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const stat = Deno.statSync(path);
  if (stat.mode !== null && (stat.mode & 0o077) !== 0) {
    Deno.chmodSync(path, 0o600);
    source.log.warn(`${path} was readable by others; its permissions are now 0600`);
  }
  const key = new Uint8Array(Buffer.from(Deno.readTextFileSync(path).trim(), "base64"));
  if (key.length !== 32) {
    throw new Error(`${path} does not hold a 32-byte base64 key; restore it or set SECRET_KEY`);
  }
  return key;
}

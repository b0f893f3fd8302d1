/**
 * Console passwords: scrypt (`node:crypto`) with a random 16-byte salt per
 * hash, stored as `scrypt$N$r$p$salt$hash` (base64url) so the cost can be
 * raised later without breaking old hashes.
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;
/** Longest password accepted (scrypt cost grows with input only mildly, but bodies stay small). */
export const MAX_PASSWORD_LENGTH = 256;

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, { N: n, r, p, maxmem: 64 * 1048576 }, (
      error,
      key,
    ) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password for storage. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `password` matches a stored hash (constant-time comparison). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0)) return false;
  const salt = Buffer.from(parts[4], "base64url");
  const expected = Buffer.from(parts[5], "base64url");
  const actual = await derive(password, salt, n, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummy: Promise<string> | undefined;

/** A hash of a random password, to spend the same time on unknown user names. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}

/** Why a new password is refused, or `null`. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `The password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `The password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  return null;
}

/**
 * Bounds the password checks running at once: each scrypt call holds 16 MiB
 * and a CPU core for tens of milliseconds, so a flood of logins would
 * otherwise take the memory and the cores from everything else.
 */
export interface PasswordGate {
  /**
   * Runs `work` in a free slot, after the checks already waiting; `undefined`
   * at once (nothing started) when every slot is busy and the queue is full.
   */
  tryRun<T>(work: () => Promise<T>): Promise<T> | undefined;
}

/** Password checks that run at once. */
export const MAX_CONCURRENT_CHECKS = 2;
/** Password checks that may wait for a slot; beyond them a login is told to retry. */
export const MAX_WAITING_CHECKS = 16;

/** Creates a gate of `concurrency` slots and `maxWaiting` places in line. */
export function createPasswordGate(
  concurrency = MAX_CONCURRENT_CHECKS,
  maxWaiting = MAX_WAITING_CHECKS,
): PasswordGate {
  let active = 0;
  const waiting: (() => void)[] = [];
  async function run<T>(work: () => Promise<T>, queued: boolean): Promise<T> {
    if (queued) await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      // A finished check hands its slot to the next one in line.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  }
  return {
    tryRun(work) {
      if (active < concurrency) {
        active++;
        return run(work, false);
      }
      if (waiting.length >= maxWaiting) return undefined;
      return run(work, true);
    },
  };
}

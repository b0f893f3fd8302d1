/**
 * Secret redaction for everything that leaves the process as text: logs,
 * stored log rows and error messages. Sessionids, API keys, cookies and
 * passwords are masked; data URLs are shortened.
 * @module
 */

/** Masks a secret for display: the first and last 4 characters around an ellipsis. */
export function maskSecret(secret: string): string {
  if (secret.length <= 12) return `${secret.slice(0, 2)}…`;
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}

/**
 * Whether a word could be a credential rather than a word of a sentence:
 * token characters only, and long (16+) or with a digit (8+). Placeholders
 * such as `<API key>` and words such as "token" are not.
 */
export function looksLikeSecret(value: string): boolean {
  if (!/^[A-Za-z0-9._~+/=-]+$/.test(value)) return false;
  return value.length >= 16 || (value.length >= 8 && /\d/.test(value));
}

const maskIfSecret = (value: string) => (looksLikeSecret(value) ? maskSecret(value) : value);

/** Names whose value is a secret whatever it looks like (cookies, credentials). */
const SECRET_NAMES =
  /^(?:sessionid(?:_ss)?|sid_tt|sid_guard|uid_tt(?:_ss)?|api_key|apikey|password|x-amz-security-token|sessionkey)$/i;

const PATTERNS: [RegExp, (match: string, ...groups: string[]) => string][] = [
  // Credentials in a URL (proxies): the user masked, the password hidden.
  [
    /\b((?:https?|socks5h?):\/\/)([^\s:@/]+):([^\s/]+)@(?=[^\s@/]+)/gi,
    (_m, scheme, user) => `${scheme}${maskSecret(user)}:****@`,
  ],
  // Bearer values: one or more comma-separated tokens that look like credentials.
  [
    /(Bearer\s+)([^\s"',;<>]+(?:\s*,\s*[^\s"',;<>]+)*)/gi,
    (_m, prefix, value) => prefix + value.split(",").map((v) => maskIfSecret(v.trim())).join(","),
  ],
  // Cookie-style and query-style assignments of session material (not `name=<placeholder>`).
  [
    /\b(sessionid(?:_ss)?|sid_tt|sid_guard|uid_tt(?:_ss)?|session|token|api_key|apikey|secret|password|x-amz-security-token|sessionkey)(["']?\s*[=:]\s*["']?)([^"'\s;&,}<>]+)/gi,
    (_m, key, sep, value) =>
      `${key}${sep}${SECRET_NAMES.test(key) ? maskSecret(value) : maskIfSecret(value)}`,
  ],
  // Issued API keys.
  [/\bsk-[A-Za-z0-9_-]{12,}/g, (match) => maskSecret(match)],
  // Long hex strings (sessionids are 32 hex characters).
  [/\b[0-9a-f]{24,}\b/gi, (match) => maskSecret(match)],
  // Data URLs: keep the media type only.
  [
    /data:([\w.+-]+\/[\w.+-]+)?(;[\w=.+-]+)*,[A-Za-z0-9+/=%_-]{16,}/g,
    (match) => `${match.slice(0, match.indexOf(",") + 1)}…(${match.length} chars)`,
  ],
];

/**
 * The registry of secrets seen at run time, masked wherever they appear. A
 * scan costs the same whatever its size: every registered secret is indexed
 * under a rolling hash of its first {@linkcode MIN_SECRET_LENGTH} characters,
 * and `redact` looks each position of the text up once, comparing only the
 * secrets filed under that position's hash. Secrets merely seen in requests
 * are bounded (least recently seen dropped first); those the server keeps
 * (stored accounts, issued keys, the admin password) are registered as
 * lasting, so that a flood of made-up tokens cannot push them out.
 */
const MIN_SECRET_LENGTH = 6;
/** Secrets seen in requests that are remembered. */
const SEEN_LIMIT = 10_000;
/** Lasting secrets remembered (far above what an operator stores). */
const LASTING_LIMIT = 100_000;

const seen = new Set<string>();
const lasting = new Set<string>();
/** Hash of the first characters → the secrets starting so, longest first. */
const index = new Map<number, string[]>();

const BASE = 31;
/** BASE ** (MIN_SECRET_LENGTH - 1), modulo 2^32. */
const TOP = Array.from({ length: MIN_SECRET_LENGTH - 1 }).reduce<number>(
  (power) => Math.imul(power, BASE),
  1,
);

function hashAt(text: string, start: number): number {
  let hash = 0;
  for (let i = start; i < start + MIN_SECRET_LENGTH; i++) {
    hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  }
  return hash;
}

function addToIndex(secret: string): void {
  const key = hashAt(secret, 0);
  const bucket = index.get(key);
  if (!bucket) return void index.set(key, [secret]);
  if (bucket.includes(secret)) return;
  bucket.push(secret);
  bucket.sort((a, b) => b.length - a.length);
}

function removeFromIndex(secret: string): void {
  const key = hashAt(secret, 0);
  const bucket = index.get(key)?.filter((s) => s !== secret);
  if (!bucket || bucket.length === 0) index.delete(key);
  else index.set(key, bucket);
}

/**
 * Registers a secret (e.g. a sessionid seen in a request) so that it is masked
 * wherever it appears, even in a form the patterns would not catch. With
 * `lasting`, it is one the server keeps and is never dropped for newer ones.
 */
export function registerSecret(secret: string, options: { lasting?: boolean } = {}): void {
  if (secret.length < MIN_SECRET_LENGTH) return;
  if (options.lasting) {
    if (lasting.has(secret)) return;
    seen.delete(secret);
    if (lasting.size >= LASTING_LIMIT) {
      const oldest = lasting.values().next().value!;
      lasting.delete(oldest);
      removeFromIndex(oldest);
    }
    lasting.add(secret);
    return addToIndex(secret);
  }
  if (lasting.has(secret)) return;
  // Seen again: it moves to the back of the line.
  if (seen.delete(secret)) return void seen.add(secret);
  if (seen.size >= SEEN_LIMIT) {
    const oldest = seen.values().next().value!;
    seen.delete(oldest);
    removeFromIndex(oldest);
  }
  seen.add(secret);
  addToIndex(secret);
}

/** How many secrets are registered (lasting and seen). */
export function registeredSecrets(): { lasting: number; seen: number } {
  return { lasting: lasting.size, seen: seen.size };
}

/** `text` with every registered secret masked, in one pass. */
function maskRegistered(text: string): string {
  if (index.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
  let out = "";
  let copied = 0;
  let i = 0;
  let hash = hashAt(text, 0);
  while (i + MIN_SECRET_LENGTH <= text.length) {
    const found = index.get(hash)?.find((secret) => text.startsWith(secret, i));
    if (found) {
      out += text.slice(copied, i) + maskSecret(found);
      i += found.length;
      copied = i;
      if (i + MIN_SECRET_LENGTH <= text.length) hash = hashAt(text, i);
      continue;
    }
    if (i + MIN_SECRET_LENGTH < text.length) {
      // Roll: drop the first character of the window, take in the next one.
      hash = (Math.imul(hash - Math.imul(text.charCodeAt(i), TOP), BASE) +
        text.charCodeAt(i + MIN_SECRET_LENGTH)) | 0;
    }
    i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Returns `text` with every secret masked. */
export function redact(text: string): string {
  let out = maskRegistered(text);
  for (const [pattern, replace] of PATTERNS) {
    out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

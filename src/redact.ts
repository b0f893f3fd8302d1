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

const PATTERNS: [RegExp, (match: string, ...groups: string[]) => string][] = [
  // Credentials in a URL (proxies): the user masked, the password hidden.
  [
    /\b((?:https?|socks5h?):\/\/)([^\s:@/]+):([^\s/]+)@(?=[^\s@/]+)/gi,
    (_m, scheme, user) => `${scheme}${maskSecret(user)}:****@`,
  ],
  // Bearer values: one or more comma-separated tokens.
  [
    /(Bearer\s+)([^\s"',;]+(?:\s*,\s*[^\s"',;]+)*)/gi,
    (_m, prefix, value) => prefix + value.split(",").map((v) => maskSecret(v.trim())).join(","),
  ],
  // Cookie-style and query-style assignments of session material.
  [
    /\b(sessionid(?:_ss)?|sid_tt|sid_guard|uid_tt(?:_ss)?|session|token|api_key|apikey|secret|password|x-amz-security-token|sessionkey)(["']?\s*[=:]\s*["']?)([^"'\s;&,}]+)/gi,
    (_m, key, sep, value) => `${key}${sep}${maskSecret(value)}`,
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

const known = new Set<string>();
const KNOWN_LIMIT = 10_000;

/**
 * Registers a secret (e.g. a sessionid seen in a request) so that it is masked
 * wherever it appears, even in a form the patterns would not catch.
 */
export function registerSecret(secret: string): void {
  if (secret.length < 6 || known.has(secret)) return;
  if (known.size >= KNOWN_LIMIT) known.delete(known.values().next().value!);
  known.add(secret);
}

/** Returns `text` with every secret masked. */
export function redact(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.replaceAll(secret, maskSecret(secret));
  }
  for (const [pattern, replace] of PATTERNS) {
    out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

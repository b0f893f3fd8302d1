/**
 * AWS Signature Version 4, in the variant ImageX (and VOD) accept from the
 * Jimeng web app: only `x-amz-*` headers are signed (no `host`), canonical URI
 * is always `/`.
 * @module
 */
import { createHash, createHmac } from "node:crypto";

/** Temporary credentials issued by `get_upload_token`. */
export interface StsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** Inputs of {@linkcode signV4}. */
export interface SignV4Input {
  method: "GET" | "POST";
  /** Query parameters; sorted and encoded here. */
  query: Record<string, string>;
  /** Exact body bytes for POST; omitted for GET. */
  body?: string | Uint8Array;
  credentials: StsCredentials;
  region: string;
  service: string;
  /** Signing time; defaults to now. */
  date?: Date;
}

/** What {@linkcode signV4} produces: headers to send and the canonical query string. */
export interface SignedRequest {
  headers: Record<string, string>;
  queryString: string;
  /** Hex SHA-256 of the canonical request (exposed for tests). */
  canonicalRequestHash: string;
}

/** Hex SHA-256 of the bytes or UTF-8 text. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: string | Uint8Array, data: string): Uint8Array {
  return createHmac("sha256", key).update(data).digest();
}

/** RFC 3986 percent-encoding, as SigV4 requires (not form encoding). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Canonical query: pairs sorted by key in byte order, RFC 3986 encoded. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${encodeRfc3986(key)}=${encodeRfc3986(query[key])}`)
    .join("&");
}

/** Formats `date` as `YYYYMMDDTHHMMSSZ`. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Signs one ImageX/VOD OpenAPI request. */
export function signV4(input: SignV4Input): SignedRequest {
  const { method, query, body, credentials, region, service } = input;
  const stamp = amzDate(input.date ?? new Date());
  const day = stamp.slice(0, 8);
  const payloadHash = sha256Hex(body ?? "");
  const signed: Record<string, string> = {
    "x-amz-date": stamp,
    "x-amz-security-token": credentials.sessionToken,
  };
  if (body !== undefined) signed["x-amz-content-sha256"] = payloadHash;
  const names = Object.keys(signed).sort();
  const canonicalHeaders = names.map((name) => `${name}:${signed[name]}\n`).join("");
  const signedHeaders = names.join(";");
  const queryString = canonicalQuery(query);
  const canonicalRequest = [
    method,
    "/",
    queryString,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const canonicalRequestHash = sha256Hex(canonicalRequest);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${canonicalRequestHash}`;
  const kDate = hmac(`AWS4${credentials.secretAccessKey}`, day);
  const kSigning = hmac(hmac(hmac(kDate, region), service), "aws4_request");
  const signature = createHmac("sha256", kSigning).update(stringToSign).digest("hex");
  const headers: Record<string, string> = {
    Authorization:
      `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    "X-Amz-Date": stamp,
    "X-Amz-Security-Token": credentials.sessionToken,
  };
  if (body !== undefined) headers["X-Amz-Content-Sha256"] = payloadHash;
  return { headers, queryString, canonicalRequestHash };
}

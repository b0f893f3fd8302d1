/**
 * Reading request bodies (JSON or multipart) into typed values, with a 400
 * naming the field for anything malformed.
 * @module
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError, badRequest } from "./errors.ts";
import { type JsonParser, LARGE_JSON_BYTES, type ParsedJson } from "./json_worker.ts";

/** A parsed body: JSON fields, or multipart fields where every value is a string or File. */
export interface Fields {
  source: "json" | "form";
  values: Record<string, unknown>;
}

/** Largest prompt accepted, in characters. */
export const MAX_PROMPT_CHARS = 8000;

/** Where {@linkcode parseLargeJson} leaves a body it parsed for the route. */
const PARSED_JSON = "parsedJson";

const invalidJson = () =>
  new ApiError(400, "The request body is not valid JSON", "invalid_request_error", "invalid_json");

/**
 * Parses large JSON bodies (or bodies of unknown length) in the parser's
 * worker before the route runs, so `JSON.parse` and data-URL decoding of
 * tens of MiB never hold up the event loop; {@linkcode readJson} picks the
 * result up. Multipart bodies are left to their route.
 */
export function parseLargeJson(parser: JsonParser) {
  return createMiddleware(async function largeJson(c, next) {
    const type = c.req.header("content-type") ?? "";
    const length = c.req.header("content-length");
    const large = length === undefined
      ? c.req.raw.body !== null
      : Number(length) >= LARGE_JSON_BYTES;
    if (c.req.method === "POST" && large && !/multipart\/form-data/i.test(type)) {
      let body: ArrayBuffer;
      try {
        body = await readBodyBuffer(c.req.raw, length === undefined ? null : Number(length));
      } catch (error) {
        throw rethrowBodyError(error);
      }
      c.set(PARSED_JSON, await parser.parse(body));
    }
    await next();
  });
}

/**
 * Reads a request body into one buffer that grows (by doubling, up to the
 * declared length) as bytes arrive: never a second whole copy of tens of MiB,
 * and nothing reserved for bytes a client only announced.
 */
async function readBodyBuffer(request: Request, declared: number | null): Promise<ArrayBuffer> {
  if (declared === null || !Number.isSafeInteger(declared) || !request.body) {
    return await request.arrayBuffer();
  }
  let buffer = new Uint8Array(Math.min(declared, 1_048_576));
  let offset = 0;
  for await (const chunk of request.body) {
    if (offset + chunk.length > declared) throw new RangeError("The body is longer than declared");
    if (offset + chunk.length > buffer.length) {
      const grown = new Uint8Array(
        Math.min(declared, Math.max(buffer.length * 2, offset + chunk.length)),
      );
      grown.set(buffer.subarray(0, offset));
      buffer = grown;
    }
    buffer.set(chunk, offset);
    offset += chunk.length;
  }
  if (offset !== declared) throw new RangeError("The body is shorter than declared");
  return buffer.buffer;
}

/** Reads a JSON object body. */
export async function readJson(c: Context): Promise<Fields> {
  let value: unknown;
  const parsed = c.get(PARSED_JSON) as ParsedJson | undefined;
  if (parsed) {
    if (!parsed.ok) throw invalidJson();
    value = parsed.value;
  } else {
    let text: string;
    try {
      text = await c.req.text();
    } catch (error) {
      throw rethrowBodyError(error);
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw invalidJson();
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError(
      400,
      "The request body must be a JSON object",
      "invalid_request_error",
      "invalid_json",
    );
  }
  return { source: "json", values: value as Record<string, unknown> };
}

/** A body-limit rejection stays a 413; anything else reading the body is a 400. */
function rethrowBodyError(error: unknown): unknown {
  if (error instanceof Error && "status" in error && (error as { status: number }).status === 413) {
    return error;
  }
  return new ApiError(
    400,
    "The request body could not be read",
    "invalid_request_error",
    "invalid_body",
  );
}

function malformedMultipart(detail: string): ApiError {
  return new ApiError(
    400,
    `The multipart body is malformed: ${detail}`,
    "invalid_request_error",
    "invalid_multipart",
  );
}

const encoder = new TextEncoder();

/** Whether `bytes` ends with the close delimiter (`--boundary--`), give or take trailing space. */
function endsWithCloseDelimiter(bytes: Uint8Array, boundary: string): boolean {
  const close = encoder.encode(`--${boundary}--`);
  let end = bytes.length;
  while (
    end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20)
  ) {
    end--;
  }
  if (end < close.length) return false;
  for (let i = 0; i < close.length; i++) {
    if (bytes[end - close.length + i] !== close[i]) return false;
  }
  return true;
}

/**
 * Reads a multipart form; repeated names become arrays. A body cut short is
 * refused rather than read as the parts that happened to arrive.
 */
export async function readForm(c: Context): Promise<Fields> {
  const type = c.req.header("content-type") ?? "";
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  if (!boundary) throw malformedMultipart("the Content-Type has no boundary");
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch (error) {
    throw rethrowBodyError(error);
  }
  if (!endsWithCloseDelimiter(bytes, boundary[1] ?? boundary[2])) {
    throw malformedMultipart("it does not end with its closing boundary (truncated?)");
  }
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": type },
    })
      .formData();
  } catch {
    throw malformedMultipart("its parts could not be read");
  }
  const values: Record<string, unknown> = {};
  for (const [rawName, value] of form.entries()) {
    const name = rawName.endsWith("[]") ? rawName.slice(0, -2) : rawName;
    const existing = values[name];
    if (existing === undefined) values[name] = rawName.endsWith("[]") ? [value] : value;
    else if (Array.isArray(existing)) existing.push(value);
    else values[name] = [existing, value];
  }
  return { source: "form", values };
}

/** Reads JSON or a form depending on the content type. */
export function readBody(c: Context): Promise<Fields> {
  const type = c.req.header("content-type") ?? "";
  if (/multipart\/form-data/i.test(type)) return readForm(c);
  // `curl -d '{...}'` labels JSON as urlencoded; JSON is what such bodies are.
  return readJson(c);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof File) return "a file";
  return `a ${typeof value}`;
}

/** An optional string; `undefined` when absent or null. */
export function optionalString(
  fields: Fields,
  name: string,
  options: { max?: number } = {},
): string | undefined {
  const value = fields.values[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw badRequest(name, `'${name}' must be a string, not ${typeName(value)}`, "invalid_type");
  }
  const max = options.max ?? 10_000;
  if (value.length > max) {
    throw badRequest(name, `'${name}' is longer than ${max} characters`, "string_above_max_length");
  }
  return value;
}

/** The prompt: a required, non-blank string. */
export function requiredPrompt(fields: Fields, name = "prompt"): string {
  const value = optionalString(fields, name, { max: MAX_PROMPT_CHARS });
  if (value === undefined) {
    throw badRequest(name, `'${name}' is required`, "missing_required_parameter");
  }
  if (value.trim() === "") throw badRequest(name, `'${name}' must not be empty`, "empty_prompt");
  return value.trim();
}

function numberOf(fields: Fields, name: string): number | undefined {
  const value = fields.values[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return value;
  // Forms carry every value as text.
  if (fields.source === "form" && typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw badRequest(name, `'${name}' must be a number, not ${typeName(value)}`, "invalid_type");
}

/** An optional integer within bounds. */
export function optionalInteger(
  fields: Fields,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = numberOf(fields, name);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badRequest(name, `'${name}' must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** An optional finite number, clamped into [min, max]. */
export function optionalClampedNumber(
  fields: Fields,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = numberOf(fields, name);
  if (value === undefined) return undefined;
  if (!Number.isFinite(value)) throw badRequest(name, `'${name}' must be a finite number`);
  return Math.min(max, Math.max(min, value));
}

/** An optional boolean (forms: "true"/"false"). */
export function optionalBoolean(fields: Fields, name: string): boolean | undefined {
  const value = fields.values[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (fields.source === "form" && (value === "true" || value === "false")) return value === "true";
  throw badRequest(name, `'${name}' must be a boolean, not ${typeName(value)}`, "invalid_type");
}

/** An optional value from a fixed set. */
export function optionalChoice<T extends string>(
  fields: Fields,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = optionalString(fields, name, { max: 100 });
  if (value === undefined) return undefined;
  const normalized = value.trim().toLowerCase();
  const match = choices.find((choice) => choice.toLowerCase() === normalized);
  if (!match) {
    throw badRequest(name, `'${name}' must be one of ${choices.join(", ")}; got "${value}"`);
  }
  return match;
}

/** Values of a field that may be one value or an array. */
export function listOf(fields: Fields, name: string): unknown[] {
  const value = fields.values[name];
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** JSON with object keys sorted at every level, so equal bodies give equal text. */
function canonical(value: unknown, files: File[]): unknown {
  if (value instanceof File) {
    files.push(value);
    return { file: files.length - 1, name: value.name, type: value.type, size: value.size };
  }
  if (Array.isArray(value)) return value.map((item) => canonical(item, files));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = canonical((value as Record<string, unknown>)[key], files);
    }
    return out;
  }
  return value;
}

/**
 * A SHA-256 (hex) of a request's meaning: its fields whatever their order or
 * encoding (JSON or multipart, spacing, boundary), and the bytes of its
 * files. Two requests with the same fingerprint ask for the same thing.
 */
export async function fingerprintFields(fields: Fields, scope: string): Promise<string> {
  const files: File[] = [];
  // The encoding is left out: the same fields as JSON or as a form are the same request.
  const shape = JSON.stringify([scope, canonical(fields.values, files)]);
  const hash = createHash("sha256").update(shape);
  for (const file of files) {
    hash.update(createHash("sha256").update(new Uint8Array(await file.arrayBuffer())).digest());
  }
  return hash.digest("hex");
}

/**
 * What a hostile request must get back: a well-formed OpenAI error with a
 * 4xx status, never a 5xx, an empty answer or another shape.
 * @module
 */

/** An answer as the hostile suites record it. */
export interface Outcome {
  status: number;
  /** The `Content-Type` header ("" when absent). */
  type: string;
  text: string;
}

/** Reads a response into an {@linkcode Outcome}. */
export async function outcomeOf(response: Response): Promise<Outcome> {
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

/** Why an answer is not a well-formed 4xx error, or `undefined` when it is. */
export function problemWith(outcome: Outcome): string | undefined {
  if (outcome.status < 400 || outcome.status > 499) return `status ${outcome.status}`;
  if (!/application\/json/.test(outcome.type)) return `content type "${outcome.type}"`;
  let body: unknown;
  try {
    body = JSON.parse(outcome.text);
  } catch {
    return "body is not JSON";
  }
  const error = (body as { error?: Record<string, unknown> }).error;
  if (!error || typeof error !== "object") return "no error object";
  const keys = Object.keys(error).sort().join(",");
  if (keys !== "code,message,param,type") return `error keys ${keys}`;
  if (typeof error.message !== "string" || error.message.length < 5) return "no message";
  if (typeof error.type !== "string") return "no type";
  if (error.param !== null && typeof error.param !== "string") return "bad param";
  if (error.code !== null && typeof error.code !== "string") return "bad code";
  return undefined;
}

/**
 * Which API calls create work. Only those are usage records, count against
 * a key's creation rate and reserve its quota; everything else under `/v1`
 * (model lists, status polls, downloads, deletions) is a read.
 * @module
 */
import type { Context } from "hono";

/** The routes that create work (all `POST`). */
export const CREATION_ROUTES: ReadonlySet<string> = new Set([
  "/v1/images/generations",
  "/v1/images/edits",
  "/v1/chat/completions",
  "/v1/videos",
  "/v1/videos/generations",
]);

/** Whether a request creates work. */
export function isCreation(c: Context): boolean {
  return c.req.method === "POST" && CREATION_ROUTES.has(c.req.path);
}

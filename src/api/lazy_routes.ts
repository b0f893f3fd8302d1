/**
 * Routes whose code is imported on the first request they serve. Every module
 * the server imports at start stays in its memory for good (its source, its
 * functions, what its top level builds), so a subsystem that many servers
 * never use — the console's files, MCP — is loaded when first asked for; a
 * server driven only through `/v1` never holds it.
 * @module
 */
import type { Env, Handler, Hono } from "hono";

/**
 * A handler that hands each request to the application `load` resolves to,
 * loading it on the first request (later ones reuse it; a failed load is
 * tried again by the next request). Mount it on exactly the paths and
 * methods the loaded application serves. Errors it throws reach the outer
 * application's `onError`, which shapes every error answer.
 */
export function lazyRoutes<E extends Env>(load: () => Promise<Hono<E>>): Handler<E> {
  let loading: Promise<Hono<E>> | undefined;
  return async function serveLoaded(c) {
    loading ??= load().then((app) => {
      app.onError((error) => {
        throw error;
      });
      return app;
    }).catch((error) => {
      loading = undefined;
      throw error;
    });
    const app = await loading;
    return await app.fetch(c.req.raw, c.env);
  };
}

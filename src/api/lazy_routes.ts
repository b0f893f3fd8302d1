/**
 * Routes whose code is imported on the first request they serve. Every module
 * the server imports at start stays in its memory for good (its source, its
 * functions, what its top level builds), so a subsystem that many servers
 * never use — the console's files and API, MCP — is loaded when first asked
 * for; a server driven only through `/v1` never holds it.
 * @module
 */
import { type Env, type Handler, Hono } from "hono";
import { matchedRoutes } from "hono/route";
import type { RouterRoute } from "hono/types";

/** The routes a loaded application matched, by the request it served. */
const served = new WeakMap<Request, RouterRoute[]>();

/** Answers of a loaded application that matched nothing: the outer application's `notFound` answers. */
const unmatched = new WeakSet<Response>();

/**
 * The routes the application behind a {@linkcode lazyRoutes} handler matched
 * for `request` (none when no such application served it), so that metrics
 * and logs name the same routes as if it had been mounted at start.
 */
export function lazilyMatchedRoutes(request: Request): readonly RouterRoute[] {
  return served.get(request) ?? [];
}

/**
 * A handler that hands each request to the application `load` resolves to,
 * loading it on the first request (later ones reuse it; a failed load is
 * tried again by the next request). Errors it throws reach the outer
 * application's `onError`, and a path it does not serve its `notFound`, which
 * shape every error answer.
 */
export function lazyRoutes<E extends Env>(load: () => Promise<Hono<E>>): Handler<E> {
  let loading: Promise<Hono<E>> | undefined;
  return async function serveLoaded(c) {
    loading ??= load().then((loaded) => {
      const app = new Hono<E>();
      app.use(function noteRoutes(c, next) {
        served.set(c.req.raw, matchedRoutes(c));
        return next();
      });
      app.route("/", loaded);
      app.onError((error) => {
        throw error;
      });
      app.notFound(() => {
        const response = new Response(null, { status: 404 });
        unmatched.add(response);
        return response;
      });
      return app;
    }).catch((error) => {
      loading = undefined;
      throw error;
    });
    const app = await loading;
    const response = await app.fetch(c.req.raw, c.env);
    return unmatched.has(response) ? c.notFound() : response;
  };
}

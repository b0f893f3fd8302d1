/**
 * Routes whose code is imported on the first request they serve. Every module
 * the server imports at start stays in its memory for good (its source, its
 * functions, what its top level builds), so a subsystem that many servers
 * never use — the console's files and API, MCP — is loaded when first asked
 * for; a server driven only through `/v1` never holds it.
 * @module
 */
import { type Context, type Env, type ErrorHandler, type Handler, Hono } from "hono";
import { matchedRoutes } from "hono/route";
import type { NotFoundHandler, RouterRoute } from "hono/types";

/** The outer context of each request handed to a loaded application. */
const outerOf = new WeakMap<Request, Context>();

/** The routes a loaded application matched, by the request it served. */
const served = new WeakMap<Request, RouterRoute[]>();

/**
 * The routes the application behind a {@linkcode lazyRoutes} handler matched
 * for `request` (none when no such application served it), so that metrics
 * and logs name the same routes as if it had been mounted at start.
 */
export function lazilyMatchedRoutes(request: Request): readonly RouterRoute[] {
  return served.get(request) ?? [];
}

/** The outer application's answers, which the loaded one gives too. */
export interface OuterAnswers<E extends Env> {
  onError: ErrorHandler<E>;
  notFound: NotFoundHandler<E>;
}

/**
 * A handler that hands each request to the application `load` resolves to,
 * loading it on the first request (later ones reuse it; a failed load is
 * tried again by the next request). The loaded application serves as if it
 * had been mounted at start: it sees the variables the outer middleware set
 * (and the outer one sees those it sets), and answers errors and paths it
 * does not serve with the outer application's `onError` and `notFound`.
 */
export function lazyRoutes<E extends Env>(
  load: () => Promise<Hono<E>>,
  answers: OuterAnswers<E>,
): Handler<E> {
  let loading: Promise<Hono<E>> | undefined;
  return async function serveLoaded(c) {
    loading ??= load().then((loaded) => {
      const app = new Hono<E>();
      app.use(async function shareContext(inner, next) {
        const outer = outerOf.get(inner.req.raw);
        served.set(inner.req.raw, matchedRoutes(inner));
        for (const [key, value] of Object.entries(outer?.var ?? {})) {
          inner.set(key as never, value as never);
        }
        await next();
        for (const [key, value] of Object.entries(inner.var)) outer?.set(key as never, value);
      });
      app.route("/", loaded);
      app.onError(answers.onError);
      app.notFound(answers.notFound);
      return app;
    }).catch((error) => {
      loading = undefined;
      throw error;
    });
    const app = await loading;
    outerOf.set(c.req.raw, c);
    return await app.fetch(c.req.raw, c.env);
  };
}

/**
 * The console's page paths, apart from its files (`static.ts`): the
 * application routes them at start, and loads the files only when the first
 * console request comes (`src/api/lazy_routes.ts`).
 * @module
 */

/** Paths of the single-page app; each answers with `index.html`. */
export const CONSOLE_PAGES: readonly string[] = [
  "/",
  "/setup",
  "/login",
  "/overview",
  "/accounts",
  "/keys",
  "/usage",
  "/logs",
  "/media",
  "/jobs",
  "/playground",
  "/settings",
];

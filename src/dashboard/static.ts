/**
 * Serves the web console: `index.html` for the console's own paths, the
 * browser modules under `/static/`, and Preact and htm under `/vendor/`.
 * Every file is a text import, so `deno compile` and `deno bundle` embed them
 * and nothing is read from disk; the served set is a fixed map, so no request
 * path ever reaches the file system.
 * @module
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { ApiEnv } from "../api/deps.ts";
import { ApiError } from "../api/errors.ts";
import { CONSOLE_PAGES } from "./console_pages.ts";
import preactSource from "preact" with { type: "text" };
import preactHooksSource from "preact/hooks" with { type: "text" };
import htmSource from "htm" with { type: "text" };
import indexHtml from "../../static/index.html" with { type: "text" };
import styleCss from "../../static/style.css" with { type: "text" };
import faviconSvg from "../../static/favicon.svg" with { type: "text" };
import appJs from "../../static/app.js" with { type: "text" };
import libJs from "../../static/lib.js" with { type: "text" };
import apiJs from "../../static/api.js" with { type: "text" };
import i18nJs from "../../static/i18n.js" with { type: "text" };
import formatJs from "../../static/format.js" with { type: "text" };
import seriesJs from "../../static/series.js" with { type: "text" };
import langEnJs from "../../static/lang/en.js" with { type: "text" };
import langZhJs from "../../static/lang/zh.js" with { type: "text" };
import authCardJs from "../../static/components/AuthCard.js" with { type: "text" };
import badgeJs from "../../static/components/Badge.js" with { type: "text" };
import browserTransportCardJs from "../../static/components/BrowserTransportCard.js" with {
  type: "text",
};
import browserTransportSummaryJs from "../../static/components/BrowserTransportSummary.js" with {
  type: "text",
};
import chartJs from "../../static/components/Chart.js" with { type: "text" };
import confirmDialogJs from "../../static/components/ConfirmDialog.js" with { type: "text" };
import copyButtonJs from "../../static/components/CopyButton.js" with { type: "text" };
import dialogJs from "../../static/components/Dialog.js" with { type: "text" };
import emptyStateJs from "../../static/components/EmptyState.js" with { type: "text" };
import fieldJs from "../../static/components/Field.js" with { type: "text" };
import iconJs from "../../static/components/Icon.js" with { type: "text" };
import jobReferencesJs from "../../static/components/JobReferences.js" with { type: "text" };
import paginationJs from "../../static/components/Pagination.js" with { type: "text" };
import pageHeaderJs from "../../static/components/PageHeader.js" with { type: "text" };
import progressBarJs from "../../static/components/ProgressBar.js" with { type: "text" };
import referencePickerJs from "../../static/components/ReferencePicker.js" with { type: "text" };
import segmentedJs from "../../static/components/Segmented.js" with { type: "text" };
import spinnerJs from "../../static/components/Spinner.js" with { type: "text" };
import generateButtonJs from "../../static/components/GenerateButton.js" with { type: "text" };
import statCardJs from "../../static/components/StatCard.js" with { type: "text" };
import toastsJs from "../../static/components/Toasts.js" with { type: "text" };
import topBarJs from "../../static/components/TopBar.js" with { type: "text" };
import variantLabelJs from "../../static/components/VariantLabel.js" with { type: "text" };
import videoPlaygroundJs from "../../static/components/VideoPlayground.js" with { type: "text" };
import accountsPageJs from "../../static/pages/AccountsPage.js" with { type: "text" };
import addAccountsDialogJs from "../../static/pages/AddAccountsDialog.js" with { type: "text" };
import editAccountDialogJs from "../../static/pages/EditAccountDialog.js" with { type: "text" };
import keyDialogJs from "../../static/pages/KeyDialog.js" with { type: "text" };
import jobsPageJs from "../../static/pages/JobsPage.js" with { type: "text" };
import keysPageJs from "../../static/pages/KeysPage.js" with { type: "text" };
import loginPageJs from "../../static/pages/LoginPage.js" with { type: "text" };
import logsPageJs from "../../static/pages/LogsPage.js" with { type: "text" };
import mediaPageJs from "../../static/pages/MediaPage.js" with { type: "text" };
import overviewPageJs from "../../static/pages/OverviewPage.js" with { type: "text" };
import playgroundPageJs from "../../static/pages/PlaygroundPage.js" with { type: "text" };
import settingsPageJs from "../../static/pages/SettingsPage.js" with { type: "text" };
import setupPageJs from "../../static/pages/SetupPage.js" with { type: "text" };
import webhooksCardJs from "../../static/pages/WebhooksCard.js" with { type: "text" };

import themeBootJs from "../../static/theme_boot.js" with { type: "text" };
import themeJs from "../../static/theme.js" with { type: "text" };
import themeSwitchJs from "../../static/components/ThemeSwitch.js" with { type: "text" };
import accountRowJs from "../../static/pages/AccountRow.js" with { type: "text" };
import breakableJs from "../../static/components/Breakable.js" with { type: "text" };
import modelsJs from "../../static/models.js" with { type: "text" };
import modelSelectJs from "../../static/components/ModelSelect.js" with { type: "text" };
import imagePlaygroundJs from "../../static/components/ImagePlayground.js" with { type: "text" };
import videoResultsJs from "../../static/components/VideoResults.js" with { type: "text" };
import modelChecklistJs from "../../static/components/ModelChecklist.js" with { type: "text" };
import secretDialogJs from "../../static/pages/SecretDialog.js" with { type: "text" };
import keyRowJs from "../../static/pages/KeyRow.js" with { type: "text" };
import usageFiltersJs from "../../static/components/UsageFilters.js" with { type: "text" };
import usageTableJs from "../../static/components/UsageTable.js" with { type: "text" };
import usagePageJs from "../../static/pages/UsagePage.js" with { type: "text" };
import configTableJs from "../../static/components/ConfigTable.js" with { type: "text" };
import settingDialogJs from "../../static/pages/SettingDialog.js" with { type: "text" };
import passwordFormJs from "../../static/pages/PasswordForm.js" with { type: "text" };
import mediaPreviewJs from "../../static/pages/MediaPreview.js" with { type: "text" };
import breakdownCardJs from "../../static/components/BreakdownCard.js" with { type: "text" };
import urlBreaksJs from "../../static/url_breaks.js" with { type: "text" };
const JS = "text/javascript; charset=utf-8";

/** The console's files under `/static/`, by path below `static/`. */
const APP_FILES: Record<string, string> = {
  "style.css": styleCss,
  "favicon.svg": faviconSvg,
  "app.js": appJs,
  "lib.js": libJs,
  "api.js": apiJs,
  "i18n.js": i18nJs,
  "format.js": formatJs,
  "series.js": seriesJs,
  "lang/en.js": langEnJs,
  "lang/zh.js": langZhJs,
  "components/AuthCard.js": authCardJs,
  "components/Badge.js": badgeJs,
  "components/BrowserTransportCard.js": browserTransportCardJs,
  "components/BrowserTransportSummary.js": browserTransportSummaryJs,
  "components/Chart.js": chartJs,
  "components/ConfirmDialog.js": confirmDialogJs,
  "components/CopyButton.js": copyButtonJs,
  "components/Dialog.js": dialogJs,
  "components/EmptyState.js": emptyStateJs,
  "components/Field.js": fieldJs,
  "components/Icon.js": iconJs,
  "components/JobReferences.js": jobReferencesJs,
  "components/Pagination.js": paginationJs,
  "components/PageHeader.js": pageHeaderJs,
  "components/ProgressBar.js": progressBarJs,
  "components/ReferencePicker.js": referencePickerJs,
  "components/Segmented.js": segmentedJs,
  "components/Spinner.js": spinnerJs,
  "components/GenerateButton.js": generateButtonJs,
  "components/StatCard.js": statCardJs,
  "components/Toasts.js": toastsJs,
  "components/TopBar.js": topBarJs,
  "components/VariantLabel.js": variantLabelJs,
  "components/VideoPlayground.js": videoPlaygroundJs,
  "pages/AccountsPage.js": accountsPageJs,
  "pages/AddAccountsDialog.js": addAccountsDialogJs,
  "pages/EditAccountDialog.js": editAccountDialogJs,
  "pages/KeyDialog.js": keyDialogJs,
  "pages/JobsPage.js": jobsPageJs,
  "pages/KeysPage.js": keysPageJs,
  "pages/LoginPage.js": loginPageJs,
  "pages/LogsPage.js": logsPageJs,
  "pages/MediaPage.js": mediaPageJs,
  "pages/OverviewPage.js": overviewPageJs,
  "pages/PlaygroundPage.js": playgroundPageJs,
  "pages/SettingsPage.js": settingsPageJs,
  "pages/SetupPage.js": setupPageJs,
  "pages/WebhooksCard.js": webhooksCardJs,
  "theme_boot.js": themeBootJs,
  "theme.js": themeJs,
  "components/ThemeSwitch.js": themeSwitchJs,
  "pages/AccountRow.js": accountRowJs,
  "components/Breakable.js": breakableJs,
  "models.js": modelsJs,
  "components/ModelSelect.js": modelSelectJs,
  "components/ImagePlayground.js": imagePlaygroundJs,
  "components/VideoResults.js": videoResultsJs,
  "components/ModelChecklist.js": modelChecklistJs,
  "pages/SecretDialog.js": secretDialogJs,
  "pages/KeyRow.js": keyRowJs,
  "components/UsageFilters.js": usageFiltersJs,
  "components/UsageTable.js": usageTableJs,
  "pages/UsagePage.js": usagePageJs,
  "components/ConfigTable.js": configTableJs,
  "pages/SettingDialog.js": settingDialogJs,
  "pages/PasswordForm.js": passwordFormJs,
  "pages/MediaPreview.js": mediaPreviewJs,
  "components/BreakdownCard.js": breakdownCardJs,
  "url_breaks.js": urlBreaksJs,
};

/** The vendored browser modules, by the unversioned URL `index.html`'s import map names. */
const VENDOR_FILES: Record<string, string> = {
  "/vendor/preact.mjs": preactSource,
  "/vendor/preact-hooks.mjs": preactHooksSource,
  "/vendor/htm.mjs": htmSource,
};

/** One file ready to serve. */
export interface ServedFile {
  body: string;
  contentType: string;
  /** Strong validator: a hash of the body. */
  etag: string;
}

/** What the console serves, resolved once. */
export interface ConsoleAssets {
  /** `index.html` with the import map pointing at versioned vendor URLs. */
  index: ServedFile;
  /** The `Content-Security-Policy` of `index.html`. */
  csp: string;
  /** `/static/…` files by full URL path. */
  app: ReadonlyMap<string, ServedFile>;
  /** `/vendor/<hash>/…` files by full URL path. */
  vendor: ReadonlyMap<string, ServedFile>;
}

function contentTypeOf(path: string): string {
  if (path.endsWith(".js") || path.endsWith(".mjs")) return JS;
  if (path.endsWith(".css")) return "text/css; charset=utf-8";
  if (path.endsWith(".svg")) return "image/svg+xml";
  if (path.endsWith(".html")) return "text/html; charset=utf-8";
  throw new TypeError(`No content type for console file "${path}"`);
}

function hashOf(text: string, encoding: "hex" | "base64"): string {
  return createHash("sha256").update(text).digest(encoding);
}

function serve(path: string, body: string): ServedFile {
  return { body, contentType: contentTypeOf(path), etag: `"${hashOf(body, "hex").slice(0, 32)}"` };
}

/** The npm builds end with a source map comment; the maps are not served, so drop it. */
function withoutSourceMap(source: string): string {
  return source.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
}

const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/;

/**
 * Builds the served set: versions each vendor URL by a hash of its content,
 * rewrites `index.html`'s import map to those URLs and allows exactly that
 * inline import map in the CSP by its hash.
 */
export function buildConsoleAssets(
  files: { index: string; app: Record<string, string>; vendor: Record<string, string> } = {
    index: indexHtml,
    app: APP_FILES,
    vendor: VENDOR_FILES,
  },
): ConsoleAssets {
  const vendor = new Map<string, ServedFile>();
  const versioned = new Map<string, string>();
  for (const [url, source] of Object.entries(files.vendor)) {
    const body = withoutSourceMap(source);
    const path = url.replace(/^\/vendor\//, `/vendor/${hashOf(body, "hex").slice(0, 12)}/`);
    vendor.set(path, serve(path, body));
    versioned.set(url, path);
  }
  const match = IMPORT_MAP.exec(files.index);
  if (!match) throw new SyntaxError("static/index.html has no import map");
  const imports: Record<string, string> = JSON.parse(match[1]).imports;
  for (const [name, url] of Object.entries(imports)) {
    const path = versioned.get(url);
    if (!path) throw new SyntaxError(`The import map names "${url}", which is not vendored`);
    imports[name] = path;
  }
  const mapJson = JSON.stringify({ imports });
  const html = files.index.replace(IMPORT_MAP, `<script type="importmap">${mapJson}</script>`);
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hashOf(mapJson, "base64")}'`,
    "style-src 'self'",
    // Generated media come from Jimeng's CDNs, whose hosts vary.
    "img-src 'self' data: blob: https: http:",
    "media-src 'self' blob: https: http:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const app = new Map<string, ServedFile>();
  for (const [name, body] of Object.entries(files.app)) {
    app.set(`/static/${name}`, serve(name, body));
  }
  return { index: serve("index.html", html), csp, app, vendor };
}

function notFound(path: string): Response {
  const error = new ApiError(
    404,
    `No console file at ${path}`,
    "invalid_request_error",
    "not_found",
  );
  return Response.json(error.toBody(), { status: 404 });
}

/** Whether an `If-None-Match` header matches the ETag. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

function answer(
  c: { req: { header(name: string): string | undefined } },
  file: ServedFile,
  headers: Record<string, string>,
): Response {
  const all = { "Content-Type": file.contentType, ETag: file.etag, ...headers };
  if (matches(c.req.header("if-none-match"), file.etag)) {
    return new Response(null, { status: 304, headers: all });
  }
  return new Response(file.body, { status: 200, headers: all });
}

/** The console's routes: pages, `/static/*` and `/vendor/*`. */
export function consoleRoutes(assets: ConsoleAssets = buildConsoleAssets()): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const pageHeaders = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": assets.csp,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
  for (const path of CONSOLE_PAGES) {
    app.get(path, (c) => answer(c, assets.index, pageHeaders));
  }
  app.get("/static/*", (c) => {
    const file = assets.app.get(c.req.path);
    if (!file) return notFound(c.req.path);
    return answer(c, file, { "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" });
  });
  app.get("/vendor/*", (c) => {
    const file = assets.vendor.get(c.req.path);
    if (!file) return notFound(c.req.path);
    return answer(c, file, {
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
    });
  });
  return app;
}

/**
 * The console's root: finds out whether the server needs its first admin or a
 * login, routes by path with the History API, and holds the language and the
 * toasts.
 * @module
 */
import { html, render, useCallback, useEffect, useRef, useState } from "./lib.js";
import { getSession, getSetup, logout, onUnauthorized } from "./api.js";
import { getLanguage, LANGUAGES, setLanguage, t } from "./i18n.js";
import { Icon } from "./components/Icon.js";
import { Spinner } from "./components/Spinner.js";
import { Toasts } from "./components/Toasts.js";
import { TopBar } from "./components/TopBar.js";
import { SetupPage } from "./pages/SetupPage.js";
import { LoginPage } from "./pages/LoginPage.js";
import { OverviewPage } from "./pages/OverviewPage.js";
import { AccountsPage } from "./pages/AccountsPage.js";
import { KeysPage } from "./pages/KeysPage.js";
import { LogsPage } from "./pages/LogsPage.js";
import { UsagePage } from "./pages/UsagePage.js";
import { MediaPage } from "./pages/MediaPage.js";
import { JobsPage } from "./pages/JobsPage.js";
import { PlaygroundPage } from "./pages/PlaygroundPage.js";
import { SettingsPage } from "./pages/SettingsPage.js";

/** The signed-in pages, in navigation order. */
const PAGES = [
  { path: "/overview", key: "nav.overview", icon: "overview", Page: OverviewPage },
  { path: "/accounts", key: "nav.accounts", icon: "accounts", Page: AccountsPage },
  { path: "/keys", key: "nav.keys", icon: "key", Page: KeysPage },
  { path: "/usage", key: "nav.usage", icon: "usage", Page: UsagePage },
  { path: "/logs", key: "nav.logs", icon: "logs", Page: LogsPage },
  { path: "/media", key: "nav.media", icon: "media", Page: MediaPage },
  { path: "/jobs", key: "nav.jobs", icon: "jobs", Page: JobsPage },
  { path: "/playground", key: "nav.playground", icon: "playground", Page: PlaygroundPage },
  { path: "/settings", key: "nav.settings", icon: "settings", Page: SettingsPage },
];

/** @typedef {import("./components/Toasts.js").Toast} Toast */
/** @typedef {(kind: Toast["kind"], text: string) => void} Notify */

function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((/** @type {string} */ to, replace = false) => {
    if (to === location.pathname + location.search) return;
    history[replace ? "replaceState" : "pushState"](null, "", to);
    setPath(new URL(to, location.href).pathname);
    if (!replace) scrollTo(0, 0);
  }, []);
  // Same-origin links navigate in place, except with a modifier key or a download.
  useEffect(() => {
    /** @param {MouseEvent} event */
    const onClick = (event) => {
      const link = /** @type {Element} */ (event.target).closest?.("a[href]");
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      if (link.hasAttribute("download") || link.getAttribute("target")) return;
      const url = new URL(/** @type {HTMLAnchorElement} */ (link).href);
      if (url.origin !== location.origin || !url.pathname.match(/^\/(?!api\/|v1\/|static\/)/)) {
        return;
      }
      event.preventDefault();
      navigate(url.pathname + url.search);
    };
    document.addEventListener("click", onClick);
    return () => document.removeEventListener("click", onClick);
  }, [navigate]);
  return { path, navigate };
}

function useToasts() {
  const [toasts, setToasts] = useState(/** @type {Toast[]} */ ([]));
  const nextId = useRef(1);
  const dismiss = useCallback((/** @type {number} */ id) => {
    setToasts((list) => list.filter((toast) => toast.id !== id));
  }, []);
  /** @type {Notify} */
  const notify = useCallback((kind, text) => {
    const id = nextId.current++;
    setToasts((list) => [...list.slice(-3), { id, kind, text }]);
    setTimeout(() => dismiss(id), kind === "error" ? 8000 : 4000);
  }, [dismiss]);
  return { toasts, notify, dismiss };
}

function App() {
  const { path, navigate } = usePath();
  const { toasts, notify, dismiss } = useToasts();
  const [language, setLanguageState] = useState(getLanguage());
  /** @type {[{ state: "loading" | "setup" | "login" | "ready" | "error", user?: { username: string }, error?: string }, Function]} */
  const [session, setSession] = useState({ state: "loading" });
  const after = useRef("/overview");

  const changeLanguage = useCallback((/** @type {"en" | "zh"} */ code) => {
    setLanguage(code);
    setLanguageState(code);
  }, []);

  const bootstrap = useCallback(async () => {
    setSession({ state: "loading" });
    try {
      const { needed } = await getSetup();
      if (needed) return setSession({ state: "setup" });
      const user = await getSession();
      setSession(user ? { state: "ready", user } : { state: "login" });
    } catch (error) {
      setSession({ state: "error", error: /** @type {Error} */ (error).message });
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
    onUnauthorized(() => setSession({ state: "login" }));
    bootstrap();
  }, []);

  // Keep the address bar in step with what is shown.
  useEffect(() => {
    const { state } = session;
    if (state === "setup" && path !== "/setup") navigate("/setup", true);
    if (state === "login" && path !== "/login") {
      if (path !== "/setup" && path !== "/") after.current = path;
      navigate("/login", true);
    }
    if (state === "ready" && !PAGES.some((page) => page.path === path)) {
      navigate(after.current, true);
    }
  }, [session, path]);

  const onSignedIn = useCallback(async () => {
    const user = await getSession();
    if (!user) throw new Error(t("login.noSession"));
    setSession({ state: "ready", user });
    navigate(after.current, true);
  }, []);

  const onLogout = useCallback(async () => {
    try {
      await logout();
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    }
    // Signing in again starts at the overview, not at the page signed out from.
    after.current = "/overview";
    navigate("/login", true);
    setSession({ state: "login" });
  }, []);

  const toastLayer = html`
    <${Toasts}
      toasts=${toasts}
      onDismiss=${dismiss}
      dismissLabel=${t("common.dismiss")}
    />
  `;
  const languageProps = { language, languages: LANGUAGES, onLanguage: changeLanguage };

  if (session.state === "loading") {
    return html`
      <div class="boot">
        <${Spinner} block label=${t("common.loading")} />
      </div>
    `;
  }
  if (session.state === "error") {
    return html`
      <div class="boot">
        <div class="boot-error card">
          <${Icon} name="alert" size=${28} />
          <h1>${t("boot.errorTitle")}</h1>
          <p>${session.error}</p>
          <button type="button" class="button button-primary" onClick=${bootstrap}>${t(
            "common.retry",
          )}</button>
        </div>
      </div>
    `;
  }
  if (session.state === "setup") {
    return html`<${SetupPage} ...${languageProps} notify=${notify} onSignedIn=${onSignedIn} />${toastLayer}`;
  }
  if (session.state === "login") {
    return html`<${LoginPage} ...${languageProps} notify=${notify} onSignedIn=${onSignedIn} />${toastLayer}`;
  }
  const current = PAGES.find((page) => page.path === path) ?? PAGES[0];
  const items = PAGES.map((page) => ({ path: page.path, label: t(page.key), icon: page.icon }));
  return html`<div class="shell">
    <${TopBar}
      items=${items}
      current=${current.path}
      username=${session.user?.username ?? ""}
      ...${languageProps}
      onLogout=${onLogout}
      labels=${{
    menu: t("nav.menu"),
    logout: t("nav.logout"),
    language: t("nav.language"),
    navigation: t("nav.navigation"),
  }}
    />
    <main class="content" key=${current.path}>
      <${current.Page} notify=${notify} navigate=${navigate} />
    </main>
    ${toastLayer}
  </div>`;
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(html`<${App} />`, root);
}

import { html, useCallback, useEffect, useState } from "../lib.js";
import { changePassword, getBrowser, getConfig, putSetting, resetBrowserRoutes } from "../api.js";
import { t } from "../i18n.js";
import { BrowserTransportCard } from "../components/BrowserTransportCard.js";
import { EmptyState } from "../components/EmptyState.js";
import { Field } from "../components/Field.js";
import { PageHeader } from "../components/PageHeader.js";
import { Spinner } from "../components/Spinner.js";
import { WebhooksCard } from "./WebhooksCard.js";

const MIN_PASSWORD = 8;

/** A description with its `backticked` names set as code. @param {string} text */
function describe(text) {
  return text.split(/`([^`]+)`/).map((part, i) => i % 2 ? html`<code>${part}</code>` : part);
}

/** @param {{ notify: import("../app.js").Notify }} props */
function PasswordForm({ notify }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const errors = {
    current: current ? null : t("settings.currentMissing"),
    next: next.length >= MIN_PASSWORD ? null : t("setup.passwordShort", { n: MIN_PASSWORD }),
    confirm: confirm === next ? null : t("setup.passwordMismatch"),
  };
  const shown = (/** @type {keyof typeof errors} */ name) => submitted ? errors[name] : null;
  const submit = async (/** @type {Event} */ event) => {
    event.preventDefault();
    setSubmitted(true);
    setError(null);
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    try {
      await changePassword({ current_password: current, new_password: next });
      notify("success", t("settings.passwordChanged"));
      setCurrent("");
      setNext("");
      setConfirm("");
      setSubmitted(false);
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card form" onSubmit=${submit} novalidate>
      <div class="card-header">
        <h2>${t("settings.password")}</h2>
      </div>
      <p class="muted small">${t("settings.passwordHint")}</p>
      <${Field} id="pw-current" label=${t("settings.current")} error=${shown("current")}>
        <input id="pw-current" class="input" type="password" value=${current}
          autocomplete="current-password" onInput=${(/** @type {any} */ e) =>
            setCurrent(e.currentTarget.value)} />
        <//>
        <${Field} id="pw-new" label=${t("settings.new")} hint=${t("setup.passwordHint", {
          n: MIN_PASSWORD,
        })} error=${shown("next")}>
          <input id="pw-new" class="input" type="password" value=${next} autocomplete="new-password"
            onInput=${(/** @type {any} */ e) => setNext(e.currentTarget.value)} />
          <//>
          <${Field} id="pw-confirm" label=${t("setup.confirm")} error=${shown("confirm")}>
          <input id="pw-confirm" class="input" type="password" value=${confirm}
            autocomplete="new-password" onInput=${(/** @type {any} */ e) =>
              setConfirm(e.currentTarget.value)} />
        <//>
        ${error ? html`<div class="notice notice-error" role="alert">${error}</div>` : null}
        <div><button type="submit" class="button button-primary" disabled=${busy}>${busy
          ? t("common.saving")
          : t("settings.change")}</button></div>
      </form>
  `;
}

/** @param {{ notify: import("../app.js").Notify }} props */
export function SettingsPage({ notify }) {
  const [settings, setSettings] = useState(
    /** @type {import("../api.js").Setting[] | null} */ (null),
  );
  const [browser, setBrowser] = useState(
    /** @type {import("../api.js").BrowserTransport | null} */ (null),
  );
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    const [config, transport] = await Promise.all([getConfig(), getBrowser()]);
    setSettings(config.settings);
    setBrowser(transport);
  }, []);
  const loadConfig = () =>
    load().catch((error) => {
      notify("error", error.message);
      setSettings((current) => current ?? []);
    });
  useEffect(() => {
    loadConfig();
  }, []);
  /** Runs a change of the browser transport, then shows the new state. @param {() => Promise<string>} change */
  const change = async (change) => {
    setBusy(true);
    try {
      notify("success", await change());
      await load();
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    } finally {
      setBusy(false);
    }
  };
  const onMode = (/** @type {string} */ mode) =>
    change(async () => {
      await putSetting("JIMENG_BROWSER_TRANSPORT", mode);
      return t("browser.modeChanged", { mode: t(`browser.mode.${mode}`) });
    });
  const onReset = (/** @type {number | null} */ id) =>
    change(async () => {
      await resetBrowserRoutes(id);
      return t("browser.resetDone");
    });
  return html`
    <${PageHeader} title=${t("settings.title")} subtitle=${t("settings.subtitle")} />
    ${browser
      ? html`<${BrowserTransportCard} status=${browser} busy=${busy} onMode=${onMode} onReset=${onReset} />`
      : null}
    <div class="settings-layout">
      <${PasswordForm} notify=${notify} />
      <${WebhooksCard} notify=${notify} onSettingsChanged=${loadConfig} />
      <div class="card card-flush settings-wide">
            <div class="card-header card-header-padded">
              <h2>${t("settings.config")}</h2>
              <p class="muted small">${t("settings.configHint")}</p>
            </div>
            ${settings === null
              ? html`<${Spinner} block label=${t("common.loading")} />`
              : settings.length === 0
              ? html`<${EmptyState} icon="settings" title=${t("settings.configEmpty")} />`
              : html`
                <div class="table-wrap">
                  <table class="table config-table">
                    <thead>
                      <tr>
                        <th>${t("settings.variable")}</th>
                        <th>${t("settings.value")}</th>
                        <th>${t("settings.description")}</th>
                      </tr>
                    </thead>
                    <tbody>${settings.map((s) =>
                      html`
                        <tr key=${s.env}>
                          <td><code class="mono">${s.env}</code></td>
                          <td><code class=${s.value === s.default
                            ? "mono muted"
                            : "mono value-set"}>${s
                            .value || "—"}</code>${s.value !== s.default && s.default
                            ? html`<div class="muted small">${
                              t("settings.default", { value: s.default })
                            }</div>`
                            : null}</td>
                          <td class="small">${describe(s.description)}</td>
                        </tr>
                      `
                    )}</tbody>
                  </table>
                </div>
              `}
          </div>
    </div>
  `;
}

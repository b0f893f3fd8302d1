import { html, useCallback, useEffect, useState } from "../lib.js";
import { getBrowser, getConfig, putSetting, resetBrowserRoutes } from "../api.js";
import { t } from "../i18n.js";
import { BrowserTransportCard } from "../components/BrowserTransportCard.js";
import { ConfigTable } from "../components/ConfigTable.js";
import { EmptyState } from "../components/EmptyState.js";
import { PageHeader } from "../components/PageHeader.js";
import { Spinner } from "../components/Spinner.js";
import { PasswordForm } from "./PasswordForm.js";
import { SettingDialog } from "./SettingDialog.js";
import { WebhooksCard } from "./WebhooksCard.js";

/**
 * The password, the browser transport, webhooks, and every setting: the
 * runtime ones editable here unless the environment sets them.
 * @param {{ notify: import("../app.js").Notify }} props
 */
export function SettingsPage({ notify }) {
  const [settings, setSettings] = useState(
    /** @type {import("../api.js").Setting[] | null} */ (null),
  );
  const [browser, setBrowser] = useState(
    /** @type {import("../api.js").BrowserTransport | null} */ (null),
  );
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(/** @type {import("../api.js").Setting | null} */ (null));
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
      const message = await change();
      // The toast comes once the page shows the new state.
      await load().finally(() => notify("success", message));
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
          : html`<${ConfigTable} settings=${settings} onEdit=${setEditing} />`}
      </div>
    </div>
    ${editing
      ? html`
        <${SettingDialog} setting=${editing} notify=${notify} onSaved=${loadConfig}
          onClose=${() => setEditing(null)} />
      `
      : null}
  `;
}

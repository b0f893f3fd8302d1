import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatNumber, formatRelative } from "../format.js";
import { Badge } from "./Badge.js";
import { Icon } from "./Icon.js";
import { Segmented } from "./Segmented.js";

const MODES = ["off", "auto", "always"];

/**
 * @typedef {object} BrowserTransportCardProps
 * @property {import("../api.js").BrowserTransport} status
 * @property {boolean} busy a change is being saved
 * @property {(mode: string) => void} onMode
 * @property {(id: number | null) => void} onReset one route by id, or all with `null`
 */

/**
 * The browser transport on the settings page: its mode (the runtime setting
 * JIMENG_BROWSER_TRANSPORT), Chromium, the calls it carried and the routes it
 * learned, each of which can be reset.
 * @param {BrowserTransportCardProps} props
 */
export function BrowserTransportCard({ status, busy, onMode, onReset }) {
  const fromEnvironment = status.modeSource === "environment";
  return html`
    <section class="card card-flush browser-card" aria-labelledby="browser-title">
      <div class="card-header card-header-padded">
        <h2 id="browser-title">${t("browser.title")}</h2>
        <p class="muted small">${t("browser.hint")}</p>
      </div>
      <div class="browser-facts">
        <div class="browser-fact">
          <span class="muted small">${t("browser.mode")}</span>
          ${fromEnvironment
            ? html`<span><${Badge} tone="blue" dot=${false}>${t(`browser.mode.${status.mode}`)}<//>
              <span class="muted small"> ${t("browser.modeFromEnv")}</span></span>`
            : html`
              <${Segmented}
                label=${t("browser.mode")}
                value=${status.mode}
                onChange=${(/** @type {string} */ mode) =>
                  !busy && mode !== status.mode && onMode(mode)}
                options=${MODES.map((mode) => ({ value: mode, label: t(`browser.mode.${mode}`) }))}
              />
            `}
        </div>
        <div class="browser-fact">
          <span class="muted small">${t("browser.chromium")}</span>
          <span>${status.running
            ? html`<${Badge} tone="green">${t("browser.running")}<//>`
            : html`<${Badge} tone="grey">${t("browser.idle")}<//>`}
          ${status.executable
            ? html`
              <code class="mono small">${status.executable}</code>
            `
            : null}</span>
        </div>
        <div class="browser-fact">
          <span class="muted small">${t("browser.calls")}</span>
          <span>${t("browser.callsValue", {
            ok: formatNumber(status.calls.ok),
            failed: formatNumber(status.calls.failed),
          })}</span>
        </div>
      </div>
      ${status.problem
        ? html`<div class="notice notice-warn browser-problem" role="status">
          <${Icon} name="alert" size=${16} /><span>${status.problem}</span>
        </div>`
        : null}
      <div class="card-header card-header-padded browser-routes-header">
        <h3>${t("browser.routes")}</h3>
        ${status.routes.length > 0
          ? html`
            <button type="button" class="button button-small" disabled=${busy}
              onClick=${() => onReset(null)}>${t("browser.resetAll")}</button>
          `
          : null}
      </div>
      ${status.routes.length === 0
        ? html`<p class="muted small browser-empty">${t("browser.noRoutes")}</p>`
        : html`
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>${t("browser.site")}</th>
                  <th>${t("browser.endpoint")}</th>
                  <th>${t("browser.model")}</th>
                  <th>${t("browser.learned")}</th>
                  <th class="num">${t("browser.routeCalls")}</th>
                  <th><span class="offscreen">${t("common.actions")}</span></th>
                </tr>
              </thead>
              <tbody>${status.routes.map((route) =>
                html`
                  <tr key=${route.id}>
                    <td>${route.site}</td>
                    <td><code class="mono">${route.endpoint}</code></td>
                    <td>${route.model ? html`<code class="mono">${route.model}</code>` : "—"}</td>
                    <td class="small">${formatRelative(route.learnedAt)}</td>
                    <td class="num">${formatNumber(route.calls)}</td>
                    <td class="row-actions">
                      <button type="button" class="button button-small" disabled=${busy}
                        aria-label=${t("browser.resetRoute", { endpoint: route.endpoint })}
                        onClick=${() => onReset(route.id)}>${t("browser.reset")}</button>
                    </td>
                  </tr>
                `
              )}</tbody>
            </table>
          </div>
        `}
    </section>
  `;
}

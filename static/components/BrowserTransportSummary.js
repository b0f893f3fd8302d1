import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatNumber } from "../format.js";
import { Badge } from "./Badge.js";

/**
 * @typedef {object} BrowserTransportSummaryProps
 * @property {import("../api.js").BrowserTransport} status
 */

/**
 * One line on the overview: the browser transport's mode, whether Chromium
 * runs, the routes it learned and the calls it carried.
 * @param {BrowserTransportSummaryProps} props
 */
export function BrowserTransportSummary({ status }) {
  return html`
    <section class="card browser-summary" aria-labelledby="browser-summary-title">
      <h2 id="browser-summary-title">${t("browser.title")}</h2>
      <span><span class="muted small">${t(
        "browser.mode",
      )}</span> <${Badge} tone="blue" dot=${false}>${t(`browser.mode.${status.mode}`)}<//></span>
      <span>${status.running
        ? html`<${Badge} tone="green">${t("browser.running")}<//>`
        : html`<${Badge} tone=${status.problem ? "amber" : "grey"}>${
          status.problem ? t("browser.unavailable") : t("browser.idle")
        }<//>`}</span>
      <span><span class="muted small">${t("browser.routes")}</span> ${formatNumber(
        status.routes.length,
      )}</span>
      <span><span class="muted small">${t("browser.calls")}</span> ${t("browser.callsValue", {
        ok: formatNumber(status.calls.ok),
        failed: formatNumber(status.calls.failed),
      })}</span>
      <a class="small" href="/settings#browser-title">${t("browser.manage")}</a>
    </section>
  `;
}

import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatNumber } from "../format.js";
import { EmptyState } from "./EmptyState.js";

/**
 * @typedef {{ key: string, label: import("preact").ComponentChildren, requests: number,
 *   errors: number, credits: number }} BreakdownRow
 * @typedef {object} BreakdownCardProps
 * @property {string} title
 * @property {string} column the first column's heading (model, key)
 * @property {BreakdownRow[]} rows
 * @property {{ icon: string, hint: string }} empty what an empty table says instead
 */

/** A card of the overview: requests, errors and credits per model or per key. @param {BreakdownCardProps} props */
export function BreakdownCard({ title, column, rows, empty }) {
  return html`<div class="card">
    <div class="card-header"><h2>${title}</h2></div>
    ${
    rows.length
      ? html`
        <div class="table-wrap">
          <table class="table overview-table">
            <thead>
              <tr>
                <th>${column}</th>
                <th class="num">${t("overview.requests")}</th>
                <th class="num">${t("overview.errors")}</th>
                <th class="num">${t("overview.credits")}</th>
              </tr>
            </thead>
            <tbody>${rows.map((row) =>
              html`
                <tr key=${row.key}>
                  <td>${row.label}</td>
                  <td class="num">${formatNumber(row.requests)}</td>
                  <td class=${row.errors ? "num text-danger" : "num"}>${formatNumber(
                    row.errors,
                  )}</td>
                  <td class="num">${formatNumber(row.credits)}</td>
                </tr>
              `
            )}</tbody>
          </table>
        </div>
      `
      : html`<${EmptyState} icon=${empty.icon} title=${t("overview.noData")} hint=${empty.hint} />`
  }
  </div>`;
}

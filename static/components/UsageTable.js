import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatClock, formatDateTime, formatLatency, formatNumber } from "../format.js";
import { Badge } from "./Badge.js";

/** @typedef {import("../api.js").UsageRow} UsageRow */

const TONES = { ok: "green", error: "red", client_closed: "grey" };

/** "image × 4", "video · 5 s". @param {UsageRow} row */
function workOf(row) {
  const kind = row.kind === "video" ? t("usage.video") : t("usage.image");
  if (row.seconds) return `${kind} · ${t("common.seconds", { n: row.seconds })}`;
  return row.n > 1 ? `${kind} × ${row.n}` : kind;
}

/** The credits spent, or while unknown what the quota held. @param {UsageRow} row */
function creditsOf(row) {
  if (row.credits !== null) return formatNumber(row.credits);
  if (row.creditsReserved) {
    return html`<span class="muted" title=${t("usage.reservedHint")}>${
      t("usage.reserved", { n: formatNumber(row.creditsReserved) })
    }</span>`;
  }
  return html`<span class="muted">—</span>`;
}

/** A day's time, the date when it is not today. @param {number} ms */
function timeOf(ms) {
  const today = new Date().toDateString() === new Date(ms).toDateString();
  return today ? formatClock(ms) : formatDateTime(ms);
}

/** The usage log's rows: one generation request each. @param {{ rows: UsageRow[] }} props */
export function UsageTable({ rows }) {
  return html`
    <div class="table-wrap">
      <table class="table table-stack usage-table">
        <thead>
          <tr>
            <th>${t("usage.time")}</th>
            <th>${t("usage.key")}</th>
            <th>${t("usage.account")}</th>
            <th>${t("usage.model")}</th>
            <th>${t("usage.work")}</th>
            <th>${t("usage.outcome")}</th>
            <th class="num">${t("usage.credits")}</th>
            <th class="num">${t("usage.latency")}</th>
            <th>${t("usage.requestId")}</th>
          </tr>
        </thead>
        <tbody>${rows.map((row) =>
          html`
            <tr key=${row.id}>
              <td data-label=${t("usage.time")} class="nowrap" title=${formatDateTime(
                row.time,
              )}>${timeOf(row.time)}</td>
              <td data-label=${t("usage.key")}>${row.keyName ??
                html`<span class="muted">${t("usage.sessionCaller")}</span>`}</td>
              <td data-label=${t("usage.account")}>${row.accountName
                ? html`<span title=${row.account ?? ""}>${row.accountName}</span>`
                : row.account
                ? html`<code class="mono">${row.account}</code>`
                : html`<span class="muted">—</span>`}</td>
              <td data-label=${t("usage.model")}><code class="mono">${row.model ?? "—"}</code></td>
              <td data-label=${t("usage.work")} class="nowrap">${workOf(row)}</td>
              <td data-label=${t("usage.outcome")} class="outcome-cell">
                <${Badge} tone=${TONES[row.outcome] ?? "grey"}>${row.outcome === "error" && row.code
                  ? row.code
                  : t(`usage.outcome.${row.outcome}`)}<//>
                ${row.message
                  ? html`<div class="muted small outcome-message" title=${row.message}>${row.message}</div>`
                  : null}</td>
              <td data-label=${t("usage.credits")} class="num">${creditsOf(row)}</td>
              <td data-label=${t("usage.latency")} class="num">${formatLatency(row.latencyMs)}</td>
              <td data-label=${t("usage.requestId")}><code class="mono small request-id"
                title=${row.requestId}>${row.requestId}</code></td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatDateTime, formatNumber, formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { Icon } from "../components/Icon.js";
import { ProgressBar } from "../components/ProgressBar.js";

/** @typedef {import("../api.js").ApiKey} ApiKey */

/** A bar's colour by how much of a limit is used. @param {number} share 0..100 */
const toneOf = (share) => share >= 90 ? "red" : share >= 70 ? "amber" : "green";

/** "used / limit credits" with a bar when there is a limit. @param {{ used: number, limit: number | null, label: string }} props */
function Usage({ used, limit, label }) {
  const share = limit ? (used / limit) * 100 : 0;
  return html`<div class="usage">
    <div class="usage-text">${formatNumber(used)} / ${limit ? formatNumber(limit) : "∞"} <span
      class="muted">${t("keys.creditsUnit")}</span></div>
    ${limit ? html`<${ProgressBar} value=${share} tone=${toneOf(share)} label=${label} />` : null}
  </div>`;
}

/** @param {ApiKey} key @param {number} now */
function statusOf(key, now) {
  if (key.revokedAt !== null) return html`<${Badge} tone="grey">${t("keys.revokedBadge")}<//>`;
  if (key.expiresAt !== null && key.expiresAt <= now) {
    return html`<${Badge} tone="amber">${t("keys.expiredBadge")}<//>`;
  }
  return html`<${Badge} tone="green">${t("keys.active")}<//>`;
}

/** What limits the key beyond its numbers: expiry and allowed models. @param {ApiKey} key */
function limitsOf(key) {
  const parts = [];
  if (key.expiresAt !== null) {
    parts.push(
      html`<span title=${formatDateTime(key.expiresAt)}>${
        t("keys.expiresWhen", { when: formatRelative(key.expiresAt) })
      }</span>`,
    );
  }
  if (key.models !== null) {
    parts.push(
      html`<span title=${key.models.join(", ")}>${
        key.models.length === 1 ? key.models[0] : t("keys.modelCount", { n: key.models.length })
      }</span>`,
    );
  }
  return parts.length
    ? html`<div class="muted small key-limits">${
      parts.map((part, i) => html`${i > 0 ? " · " : ""}${part}`)
    }</div>`
    : null;
}

/**
 * One API key: name and limits, masked key, today's and total use, errors
 * today, status, and its actions (edit and revoke; delete once revoked).
 * @param {{ apiKey: ApiKey, now: number, onEdit: () => void, onRevoke: () => void,
 *   onDelete: () => void }} props
 */
export function KeyRow({ apiKey: key, now, onEdit, onRevoke, onDelete }) {
  const revoked = key.revokedAt !== null;
  return html`
    <tr class=${revoked ? "row-muted" : ""}>
      <td data-label=${t("keys.name")}>
        <div class="key-name"><strong>${key.name}</strong>
        <div class="muted small">${t("keys.createdAt", {
          when: formatRelative(key.createdAt),
        })}</div>
        ${limitsOf(key)}</div>
      </td>
      <td data-label=${t("keys.key")}><code class="mono">${key.prefix}</code></td>
      <td data-label=${t("keys.usageToday")} class="usage-cell">
        <${Usage} used=${key.usedToday} limit=${key.quotaPerDay} label=${t("keys.usageToday")} />
      </td>
      <td data-label=${t("keys.creditsUsed")} class="usage-cell">
        <${Usage} used=${key.creditsUsed} limit=${key.creditCap} label=${t("keys.creditsUsed")} />
      </td>
      <td data-label=${t("keys.rate")} class="num">${key.ratePerMinute
        ? t("keys.perMinute", { n: key.ratePerMinute })
        : html`<span class="muted">∞</span>`}</td>
      <td data-label=${t("keys.requestsToday")} class="num">${formatNumber(key.requestsToday)}</td>
      <td data-label=${t("keys.errorsToday")} class=${key.errorsToday
        ? "num text-danger"
        : "num"}>${formatNumber(key.errorsToday)}</td>
      <td data-label=${t("keys.lastUsed")} class="nowrap">${formatRelative(key.lastUsedAt)}</td>
      <td data-label=${t("keys.status")}>${statusOf(key, now)}</td>
      <td class="actions-col">
        <div class="row-actions">${revoked
          ? html`
            <button type="button" class="button button-small button-danger-ghost"
              onClick=${onDelete}><${Icon} name="trash" size=${15} />${t("keys.delete")}</button>
          `
          : html`
            <button type="button" class="button button-small" onClick=${onEdit}><${Icon} name="edit"
              size=${15} />${t("common.edit")}</button>
            <button type="button" class="button button-small button-danger-ghost"
              onClick=${onRevoke}>${t("keys.revoke")}</button>
          `}</div>
      </td>
    </tr>
  `;
}

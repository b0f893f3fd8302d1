import { html, useCallback, useEffect, useState } from "../lib.js";
import { listKeys, revokeKey } from "../api.js";
import { t } from "../i18n.js";
import { formatNumber, formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { ProgressBar } from "../components/ProgressBar.js";
import { Spinner } from "../components/Spinner.js";
import { KeyDialog, SecretDialog } from "./KeyDialogs.js";

/** @typedef {import("../api.js").ApiKey} ApiKey */

/** @param {{ notify: import("../app.js").Notify }} props */
export function KeysPage({ notify }) {
  const [keys, setKeys] = useState(/** @type {ApiKey[] | null} */ (null));
  const [editing, setEditing] = useState(/** @type {ApiKey | "new" | null} */ (null));
  const [secret, setSecret] = useState(/** @type {string | null} */ (null));
  const [revoking, setRevoking] = useState(/** @type {ApiKey | null} */ (null));

  const load = useCallback(async () => {
    try {
      setKeys((await listKeys()).items);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
      setKeys((list) => list ?? []);
    }
  }, []);
  useEffect(() => {
    load();
  }, []);

  const create = () => setEditing("new");
  const header = html`
    <${PageHeader} title=${t("keys.title")} subtitle=${t("keys.subtitle")}>
      <button type="button" class="button"
        onClick=${load}><${Icon} name="refresh" size=${16} />${t("common.refresh")}</button>
      <button type="button" class="button button-primary" onClick=${create}>
          <${Icon} name="plus" size=${16} />${t("keys.create")}
        </button>
      <//>
  `;
  const dialogs = html`
    ${editing
      ? html`
        <${KeyDialog} existing=${editing === "new" ? null : editing}
          onClose=${() => setEditing(null)}
          onSaved=${(/** @type {{ secret?: string }} */ result) => {
            setEditing(null);
            if (result.secret) setSecret(result.secret);
            else notify("success", t("keys.saved"));
            load();
          }} />
      `
      : null}
    ${secret
      ? html`<${SecretDialog} secret=${secret} notify=${notify} onClose=${() => setSecret(null)} />`
      : null}
    ${revoking
      ? html`
        <${ConfirmDialog} title=${t("keys.revokeTitle")}
          message=${t("keys.revokeMessage", { name: revoking.name })}
          confirmLabel=${t("keys.revoke")} cancelLabel=${t("common.cancel")} danger
          onClose=${() => setRevoking(null)}
          onConfirm=${async () => {
            try {
              await revokeKey(revoking.id);
              notify("success", t("keys.revoked"));
              await load();
            } catch (error) {
              notify("error", /** @type {Error} */ (error).message);
              throw error;
            }
          }} />
      `
      : null}
  `;

  if (!keys) return html`${header}<${Spinner} block label=${t("common.loading")} />`;
  if (!keys.length) {
    return html`
      ${header}<div class="card">
        <${EmptyState} icon="key" title=${t("keys.empty")}
          hint=${t("keys.emptyHint")}>
            <button type="button" class="button button-primary" onClick=${create}>
              <${Icon} name="plus" size=${16} />${t("keys.create")}
            </button>
          <//></div>${dialogs}
    `;
  }
  return html`
    ${header}
        <div class="card card-flush">
      <div class="table-wrap">
        <table class="table table-stack">
          <thead>
            <tr>
              <th>${t("keys.name")}</th>
              <th>${t("keys.key")}</th>
              <th>${t("keys.usageToday")}</th>
              <th class="num">${t("keys.rate")}</th>
              <th class="num">${t("keys.requestsToday")}</th>
              <th>${t("keys.lastUsed")}</th>
              <th>${t("keys.status")}</th>
              <th class="actions-col"><span class="offscreen">${t("common.actions")}</span></th>
            </tr>
          </thead>
          <tbody>${keys.map((key) => {
            const revoked = key.revokedAt !== null;
            const share = key.quotaPerDay ? (key.usedToday / key.quotaPerDay) * 100 : 0;
            return html`
              <tr key=${key.id} class=${revoked ? "row-muted" : ""}>
                <td
                  data-label=${t("keys.name")}>
                  <div><strong>${key
                    .name}</strong><div class="muted small">${t("keys.createdAt", {
                      when: formatRelative(key.createdAt),
                    })}</div></div>
                </td>
                <td data-label=${t("keys.key")}><code class="mono">${key.prefix}</code></td>
                <td data-label=${t("keys.usageToday")} class="usage-cell">
                  <div class="usage">
                          <div class="usage-text">${formatNumber(key.usedToday)} / ${key.quotaPerDay
                            ? formatNumber(key.quotaPerDay)
                            : "∞"} <span class="muted">${t("keys.creditsUnit")}</span></div>
                          ${key.quotaPerDay
                            ? html`<${ProgressBar} value=${share} tone=${
                              share >= 90 ? "red" : share >= 70 ? "amber" : "green"
                            } label=${t("keys.usageToday")} />`
                            : null}
                        </div>
                </td>
                <td data-label=${t("keys.rate")} class="num">${key.ratePerMinute
                  ? t("keys.perMinute", { n: key.ratePerMinute })
                  : html`<span class="muted">∞</span>`}</td>
                <td data-label=${t("keys.requestsToday")} class="num">${formatNumber(
                  key.requestsToday,
                )}</td>
                <td data-label=${t("keys.lastUsed")}>${formatRelative(key.lastUsedAt)}</td>
                <td data-label=${t("keys.status")}>${revoked
                  ? html`<${Badge} tone="grey">${t("keys.revokedBadge")}<//>`
                  : html`<${Badge} tone="green">${t("keys.active")}<//>`}</td>
                <td class="actions-col">
                  <div class="row-actions">
                          ${revoked ? null : html`
                            <button type="button" class="button button-small" onClick=${() =>
                              setEditing(key)}>
                              <${Icon} name="edit" size=${15} />${t("common.edit")}</button>
                            <button type="button" class="button button-small button-danger-ghost"
                              onClick=${() => setRevoking(key)}>${t("keys.revoke")}</button>
                          `}
                        </div>
                </td>
              </tr>
            `;
          })}</tbody>
        </table>
      </div>
    </div>${dialogs}
  `;
}

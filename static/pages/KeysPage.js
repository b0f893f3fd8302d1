import { html, useCallback, useEffect, useState } from "../lib.js";
import { createKey, listKeys, revokeKey, updateKey } from "../api.js";
import { t } from "../i18n.js";
import { formatNumber, formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { CopyButton } from "../components/CopyButton.js";
import { Dialog } from "../components/Dialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Field } from "../components/Field.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { ProgressBar } from "../components/ProgressBar.js";
import { Spinner } from "../components/Spinner.js";

/** @typedef {import("../api.js").ApiKey} ApiKey */

/** A positive whole number, `null` when blank, `undefined` when invalid. @param {string} text */
function parseLimit(text) {
  if (!text.trim()) return null;
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Create or edit: name, daily quota, rate limit.
 * @param {{ existing: ApiKey | null, onClose: () => void, onSaved: (result: { secret?: string }) => void }} props
 */
function KeyDialog({ existing, onClose, onSaved }) {
  const [name, setName] = useState(existing?.name ?? "");
  const [quota, setQuota] = useState(existing?.quotaPerDay ? String(existing.quotaPerDay) : "");
  const [rate, setRate] = useState(existing?.ratePerMinute ? String(existing.ratePerMinute) : "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const quotaValue = parseLimit(quota);
  const rateValue = parseLimit(rate);
  const submit = async (/** @type {Event} */ event) => {
    event.preventDefault();
    if (!name.trim()) return setError(t("keys.nameMissing"));
    if (quotaValue === undefined || rateValue === undefined) return;
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), quotaPerDay: quotaValue, ratePerMinute: rateValue };
      if (existing) {
        await updateKey(existing.id, body);
        onSaved({});
      } else {
        onSaved({ secret: (await createKey(body)).secret });
      }
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
      setBusy(false);
    }
  };
  const footer = html`
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="submit" form="key-form" class="button button-primary" disabled=${busy}>
      ${busy ? t("common.saving") : existing ? t("common.save") : t("keys.create")}
    </button>
  `;
  return html`
    <${Dialog} title=${existing ? t("keys.editTitle") : t("keys.createTitle")}
      onClose=${onClose} closeLabel=${t("common.close")} footer=${footer} size="small">
      <form id="key-form" class="form" onSubmit=${submit} novalidate>
        <${Field} id="key-name" label=${t("keys.name")} hint=${t("keys.nameHint")} error=${error}>
          <input id="key-name" class="input" value=${name} maxlength="100" autofocus
            onInput=${(/** @type {any} */ e) => setName(e.currentTarget.value)} />
          <//>
          <div class="form-row">
            <${Field} id="key-quota" label=${t("keys.quota")} hint=${t("keys.quotaHint")}
              error=${quotaValue === undefined ? t("keys.limitInvalid") : null}>
              <input id="key-quota" class="input" inputmode="numeric" value=${quota}
                placeholder=${t("keys.unlimited")}
                onInput=${(/** @type {any} */ e) => setQuota(e.currentTarget.value)} />
              <//>
              <${Field} id="key-rate" label=${t("keys.rate")} hint=${t("keys.rateHint")}
                error=${rateValue === undefined ? t("keys.limitInvalid") : null}>
                <input id="key-rate" class="input" inputmode="numeric" value=${rate}
                  placeholder=${t("keys.unlimited")}
                  onInput=${(/** @type {any} */ e) => setRate(e.currentTarget.value)} />
                <//>
                </div>
                </form>
                <//>
  `;
}

/** @param {{ secret: string, onClose: () => void, notify: import("../app.js").Notify }} props */
function SecretDialog({ secret, onClose, notify }) {
  const footer = html`
    <${CopyButton} text=${secret} label=${t("keys.copy")} copiedLabel=${t("keys.copied")} primary
      onError=${() => notify("error", t("keys.copyFailed"))} />
    <button type="button" class="button" onClick=${onClose}>${t("keys.done")}</button>
  `;
  return html`
    <${Dialog} title=${t("keys.secretTitle")} onClose=${onClose}
      closeLabel=${t("common.close")} footer=${footer}>
      <div class="notice notice-warn"><${Icon} name="alert" size=${16} />${t(
        "keys.secretOnce",
      )}</div>
      <pre class="secret mono" data-testid="key-secret">${secret}</pre>
      <p class="muted small">${t("keys.secretUsage")}</p>
      <//>
  `;
}

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
        <table class="table">
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
                <td><strong>${key.name}</strong><div class="muted small">${t("keys.createdAt", {
                  when: formatRelative(key.createdAt),
                })}</div></td>
                <td><code class="mono">${key.prefix}…</code></td>
                <td class="usage-cell">
                          <div class="usage-text">${formatNumber(key.usedToday)} / ${key.quotaPerDay
                            ? formatNumber(key.quotaPerDay)
                            : "∞"} <span class="muted">${t("keys.creditsUnit")}</span></div>
                          ${key.quotaPerDay
                            ? html`<${ProgressBar} value=${share} tone=${
                              share >= 90 ? "red" : share >= 70 ? "amber" : "green"
                            } label=${t("keys.usageToday")} />`
                            : null}
                        </td>
                <td class="num">${key.ratePerMinute
                  ? t("keys.perMinute", { n: key.ratePerMinute })
                  : html`<span class="muted">∞</span>`}</td>
                <td class="num">${formatNumber(key.requestsToday)}</td>
                <td>${formatRelative(key.lastUsedAt)}</td>
                <td>${revoked
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

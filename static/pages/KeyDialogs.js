import { html, useState } from "../lib.js";
import { createKey, updateKey } from "../api.js";
import { t } from "../i18n.js";
import { CopyButton } from "../components/CopyButton.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";
import { Icon } from "../components/Icon.js";

/** @typedef {import("../api.js").ApiKey} ApiKey */

/** A positive whole number, `null` when blank, `undefined` when invalid. @param {string} text */
function parseLimit(text) {
  if (!text.trim()) return null;
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Create or edit: name, daily quota, rate limit, webhook URL.
 * @param {{ existing: ApiKey | null, onClose: () => void, onSaved: (result: { secret?: string }) => void }} props
 */
export function KeyDialog({ existing, onClose, onSaved }) {
  const [name, setName] = useState(existing?.name ?? "");
  const [quota, setQuota] = useState(existing?.quotaPerDay ? String(existing.quotaPerDay) : "");
  const [rate, setRate] = useState(existing?.ratePerMinute ? String(existing.ratePerMinute) : "");
  const [webhook, setWebhook] = useState(existing?.webhookUrl ?? "");
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
      if (existing) {
        // null clears a limit.
        await updateKey(existing.id, {
          name: name.trim(),
          quotaPerDay: quotaValue,
          ratePerMinute: rateValue,
          webhookUrl: webhook.trim() || null,
        });
        onSaved({});
      } else {
        /** @type {{ name: string, quotaPerDay?: number, ratePerMinute?: number, webhookUrl?: string }} */
        const body = { name: name.trim() };
        if (quotaValue !== null) body.quotaPerDay = quotaValue;
        if (rateValue !== null) body.ratePerMinute = rateValue;
        if (webhook.trim()) body.webhookUrl = webhook.trim();
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
                <${Field} id="key-webhook" label=${t("keys.webhook")} hint=${t("keys.webhookHint")}>
                  <input id="key-webhook" class="input mono" type="url" value=${webhook}
                    placeholder="https://…" spellcheck="false"
                    onInput=${(/** @type {any} */ e) => setWebhook(e.currentTarget.value)} />
                  <//>
                  </form>
                  <//>
  `;
}

/** @param {{ secret: string, onClose: () => void, notify: import("../app.js").Notify }} props */
export function SecretDialog({ secret, onClose, notify }) {
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

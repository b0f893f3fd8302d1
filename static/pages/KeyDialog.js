import { html, useEffect, useState } from "../lib.js";
import { createKey, listModels, updateKey } from "../api.js";
import { t } from "../i18n.js";
import { menuModels } from "../models.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";
import { ModelChecklist } from "../components/ModelChecklist.js";

/** @typedef {import("../api.js").ApiKey} ApiKey */

/** A positive whole number, `null` when blank, `undefined` when invalid. @param {string} text */
function parseLimit(text) {
  if (!text.trim()) return null;
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Unix ms as a `datetime-local` value, in local time. @param {number | null} ms */
function toLocalInput(ms) {
  if (!ms) return "";
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

/**
 * Create or edit a key: name, daily quota, rate limit, total credit cap,
 * expiry, model allow-list and webhook URL. A blank limit is no limit.
 * @param {{ existing: ApiKey | null, onClose: () => void,
 *   onSaved: (result: { secret?: string, baseUrl?: string | null }) => void }} props
 */
export function KeyDialog({ existing, onClose, onSaved }) {
  const limit = (/** @type {number | null | undefined} */ n) => n ? String(n) : "";
  const [name, setName] = useState(existing?.name ?? "");
  const [quota, setQuota] = useState(limit(existing?.quotaPerDay));
  const [rate, setRate] = useState(limit(existing?.ratePerMinute));
  const [cap, setCap] = useState(limit(existing?.creditCap));
  const expiresBefore = toLocalInput(existing?.expiresAt ?? null);
  const [expires, setExpires] = useState(expiresBefore);
  const [models, setModels] = useState(existing?.models ?? null);
  const [webhook, setWebhook] = useState(existing?.webhookUrl ?? "");
  const [menu, setMenu] = useState(/** @type {import("../models.js").MenuModel[] | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState(
    /** @type {{ param: string, message: string } | null} */ (
      null
    ),
  );
  useEffect(() => {
    listModels().then((list) => setMenu(menuModels(list.data))).catch(() => setMenu([]));
  }, []);
  const values = { quota: parseLimit(quota), rate: parseLimit(rate), cap: parseLimit(cap) };
  const expiresAt = expires ? new Date(expires).getTime() : null;
  const modelsMissing = submitted && models !== null && models.length === 0;
  const errorOf = (/** @type {string} */ param) => error?.param === param ? error.message : null;
  const invalid = (/** @type {keyof typeof values} */ name) =>
    values[name] === undefined ? t("keys.limitInvalid") : null;

  const submit = async (/** @type {Event} */ event) => {
    event.preventDefault();
    setSubmitted(true);
    if (!name.trim()) return setError({ param: "name", message: t("keys.nameMissing") });
    if (Object.values(values).includes(undefined)) return;
    if (models !== null && models.length === 0) return;
    setBusy(true);
    setError(null);
    /** @type {Record<string, unknown>} */
    const body = {
      name: name.trim(),
      quotaPerDay: values.quota,
      ratePerMinute: values.rate,
      creditCap: values.cap,
      models,
      webhookUrl: webhook.trim() || null,
    };
    // An unchanged expiry is not sent again: a past one would be refused.
    if (!existing || expires !== expiresBefore) body.expiresAt = expiresAt;
    try {
      if (existing) {
        await updateKey(existing.id, body);
        onSaved({});
      } else {
        const created = await createKey(body);
        onSaved({ secret: created.secret, baseUrl: created.baseUrl });
      }
    } catch (failure) {
      const { message, param } = /** @type {Error & { param?: string }} */ (failure);
      setError({ param: param ?? "name", message });
      setBusy(false);
    }
  };
  const footer = html`
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="submit" form="key-form" class="button button-primary" disabled=${busy}>
      ${busy ? t("common.saving") : existing ? t("common.save") : t("keys.create")}
    </button>
  `;
  /** @param {(value: string) => void} set */
  const onInput = (set) => (/** @type {any} */ e) => set(e.currentTarget.value);
  return html`
    <${Dialog} title=${existing ? t("keys.editTitle") : t("keys.createTitle")}
      onClose=${onClose} closeLabel=${t("common.close")} footer=${footer}>
      <form id="key-form" class="form" onSubmit=${submit} novalidate>
        <${Field} id="key-name" label=${t("keys.name")} hint=${t("keys.nameHint")}
          error=${errorOf("name")}>
          <input id="key-name" class="input" value=${name} maxlength="100" autofocus
            onInput=${onInput(setName)} />
          <//>
          <div class="form-row">
            <${Field} id="key-quota" label=${t("keys.quota")} hint=${t("keys.quotaHint")}
              error=${invalid("quota") ?? errorOf("quotaPerDay")}>
              <input id="key-quota" class="input" inputmode="numeric" value=${quota}
                placeholder=${t("keys.unlimited")} onInput=${onInput(setQuota)} />
              <//>
              <${Field} id="key-rate" label=${t("keys.rate")} hint=${t("keys.rateHint")}
                error=${invalid("rate") ?? errorOf("ratePerMinute")}>
                <input id="key-rate" class="input" inputmode="numeric" value=${rate}
                  placeholder=${t("keys.unlimited")} onInput=${onInput(setRate)} />
                <//>
                </div>
                <div class="form-row">
                  <${Field} id="key-cap" label=${t("keys.creditCap")} hint=${t(
                    "keys.creditCapHint",
                  )}
                    error=${invalid("cap") ?? errorOf("creditCap")}>
                    <input id="key-cap" class="input" inputmode="numeric" value=${cap}
                      placeholder=${t("keys.unlimited")} onInput=${onInput(setCap)} />
                    <//>
                    <${Field} id="key-expires" label=${t("keys.expires")} hint=${t(
                      "keys.expiresHint",
                    )}
                      error=${errorOf("expiresAt")}>
                      <input id="key-expires" class="input" type="datetime-local" value=${expires}
                        onInput=${onInput(setExpires)} />
                      <//>
                      </div>
                      <${ModelChecklist} models=${menu} value=${models} onChange=${setModels}
                        error=${modelsMissing ? t("keys.modelsMissing") : errorOf("models")} />
                      <${Field} id="key-webhook" label=${t("keys.webhook")} hint=${t(
                        "keys.webhookHint",
                      )}
                        error=${errorOf("webhookUrl")}>
                        <input id="key-webhook" class="input mono" type="url" value=${webhook}
                          placeholder="https://…" spellcheck="false" onInput=${onInput(
                            setWebhook,
                          )} />
                        <//>
                        </form>
                        <//>
  `;
}

import { html, useCallback, useEffect, useState } from "../lib.js";
import { getWebhooks, putSetting, retryWebhook, sendTestWebhook } from "../api.js";
import { t } from "../i18n.js";
import { formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { CopyButton } from "../components/CopyButton.js";
import { EmptyState } from "../components/EmptyState.js";
import { Field } from "../components/Field.js";
import { Icon } from "../components/Icon.js";
import { Spinner } from "../components/Spinner.js";

/** @typedef {import("../api.js").Delivery} Delivery */
/** @typedef {import("../api.js").WebhookSettings} WebhookSettings */

const TONES = { pending: "amber", delivered: "green", failed: "red" };
/** Refresh while something is pending. */
const PENDING_MS = 3000;

/** When the next try is, "in 12 s" for the near ones. @param {number} ms */
function nextTry(ms) {
  const seconds = Math.ceil((ms - Date.now()) / 1000);
  if (seconds <= 0) return t("webhooks.now");
  if (seconds < 90) return t("webhooks.inSeconds", { n: seconds });
  return formatRelative(ms);
}

/** A fresh Standard Webhooks secret: `whsec_` + 32 random bytes in base64. */
function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * The URLs, the signing secret and the low-credit threshold.
 * @param {{ settings: WebhookSettings, notify: import("../app.js").Notify,
 *   onSaved: () => Promise<unknown> | void }} props
 */
function WebhookForm({ settings, notify, onSaved }) {
  const [urls, setUrls] = useState(settings.urls.join("\n"));
  const [secret, setSecret] = useState("");
  const [low, setLow] = useState(String(settings.lowCredits));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const fixed = (/** @type {string} */ source) => source === "environment";
  /** Runs one change of settings, then reloads. @param {() => Promise<void>} change */
  const apply = async (change) => {
    setBusy(true);
    setError(null);
    try {
      await change();
      await onSaved();
      notify("success", t("webhooks.saved"));
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
    } finally {
      setBusy(false);
    }
  };
  const save = (/** @type {Event} */ event) => {
    event.preventDefault();
    apply(async () => {
      const list = urls.split(/[\s,]+/).filter(Boolean).join(",");
      if (!fixed(settings.urlSource) && list !== settings.urls.join(",")) {
        await putSetting("WEBHOOK_URL", list || null);
      }
      if (!fixed(settings.secretSource) && secret.trim()) {
        await putSetting("WEBHOOK_SECRET", secret.trim());
      }
      if (!fixed(settings.lowCreditsSource) && low.trim() !== String(settings.lowCredits)) {
        await putSetting("WEBHOOK_LOW_CREDITS", low.trim() || null);
      }
      setSecret("");
    });
  };
  const envHint = (/** @type {string} */ source, /** @type {string} */ hint) =>
    fixed(source) ? t("webhooks.fromEnv") : hint;
  return html`
    <form class="form" onSubmit=${save} novalidate>
      <${Field} id="wh-urls" label=${t("webhooks.urls")}
        hint=${envHint(settings.urlSource, t("webhooks.urlsHint"))}>
        <textarea id="wh-urls" class="input textarea mono" rows="2" value=${urls}
          disabled=${fixed(settings.urlSource)} placeholder="https://example.com/hooks/jimeng"
          onInput=${(/** @type {any} */ e) => setUrls(e.currentTarget.value)}></textarea>
        <//>
        <${Field} id="wh-secret" label=${t("webhooks.secret")}
          hint=${envHint(
            settings.secretSource,
            settings.signed ? t("webhooks.secretSet") : t("webhooks.secretUnset"),
          )}>
          <div class="input-row">
          <input id="wh-secret" class="input mono" value=${secret} autocomplete="off"
            spellcheck="false" disabled=${fixed(settings.secretSource)}
            placeholder=${settings.signed ? t("webhooks.secretKeep") : "whsec_…"}
            onInput=${(/** @type {any} */ e) => setSecret(e.currentTarget.value)} />
          ${fixed(settings.secretSource) ? null : html`
            <button type="button" class="button" onClick=${() => setSecret(newSecret())}>
              ${t("webhooks.generate")}</button>
          `}
          ${secret
            ? html`
              <${CopyButton} text=${secret} label=${t("keys.copy")}
                copiedLabel=${t("keys.copied")} onError=${() =>
                  notify("error", t("keys.copyFailed"))} />
            `
            : null}
        </div>
          <//>
          <${Field} id="wh-low" label=${t("webhooks.lowCredits")}
            hint=${envHint(settings.lowCreditsSource, t("webhooks.lowCreditsHint"))}>
        <input id="wh-low" class="input" inputmode="numeric" value=${low}
          disabled=${fixed(settings.lowCreditsSource)}
          onInput=${(/** @type {any} */ e) => setLow(e.currentTarget.value)} />
      <//>
      ${error ? html`<div class="notice notice-error" role="alert">${error}</div>` : null}
      <div class="button-row">
        <button type="submit" class="button button-primary" disabled=${busy}>
          ${busy ? t("common.saving") : t("common.save")}</button>
        ${settings.signed && !fixed(settings.secretSource)
          ? html`
            <button type="button" class="button" disabled=${busy}
              onClick=${() => apply(() => putSetting("WEBHOOK_SECRET", null))}>
              ${t("webhooks.removeSecret")}</button>
          `
          : null}
      </div>
    </form>
  `;
}

/** @param {{ delivery: Delivery, onRetry: (d: Delivery) => void }} props */
function DeliveryRow({ delivery: d, onRetry }) {
  const answer = d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : "—");
  return html`
    <tr>
      <td data-label=${t("webhooks.when")}>${formatRelative(d.createdAt)}</td>
      <td data-label=${t("webhooks.event")}><code class="mono">${d.eventType}</code>
        <div class="muted small mono" title=${d.eventId}>${d.eventId.slice(0, 16)}…</div></td>
      <td data-label=${t("webhooks.url")} class="url-cell"><span class="mono small">${d.url}</span>
        ${d.apiKeyId === null
          ? null
          : html`<div class="muted small">${t("webhooks.forKey", { id: d.apiKeyId })}</div>`}</td>
      <td data-label=${t("webhooks.status")}>
        <${Badge} tone=${TONES[d.status]}>${t(`webhooks.state.${d.status}`)}<//></td>
      <td data-label=${t("webhooks.attempts")} class="num">${d.attempts}</td>
      <td data-label=${t("webhooks.lastAnswer")} class="small">${answer}
        ${d.status === "pending" && d.nextAttemptAt
          ? html`<div class="muted small">${
            t("webhooks.nextTry", { when: nextTry(d.nextAttemptAt) })
          }</div>`
          : null}</td>
      <td class="num">${d.status === "delivered" ? null : html`
        <button type="button" class="button button-small" onClick=${() => onRetry(d)}>
          ${t("webhooks.retryNow")}</button>
      `}</td>
    </tr>
  `;
}

/**
 * The webhook settings and the latest deliveries.
 * @param {{ notify: import("../app.js").Notify, onSettingsChanged?: () => void }} props
 */
export function WebhooksCard({ notify, onSettingsChanged }) {
  const [data, setData] = useState(
    /** @type {{ settings: WebhookSettings, deliveries: Delivery[] } | null} */ (null),
  );
  const [version, setVersion] = useState(0);
  const load = useCallback(async () => {
    try {
      setData(await getWebhooks());
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  const pending = (data?.deliveries ?? []).some((d) => d.status === "pending");
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(load, PENDING_MS);
    return () => clearInterval(timer);
  }, [pending, load]);

  const test = async () => {
    try {
      const sent = await sendTestWebhook();
      await load().finally(() => notify("success", t("webhooks.testSent", { n: sent.deliveries })));
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    }
  };
  const retry = async (/** @type {Delivery} */ delivery) => {
    try {
      await retryWebhook(delivery.id);
      await load();
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    }
  };
  const saved = async () => {
    await load();
    // A fresh form shows the values now in force.
    setVersion((v) => v + 1);
    onSettingsChanged?.();
  };

  if (data === null) {
    return html`
      <div class="card webhooks-card">
        <${Spinner} block label=${t("common.loading")} />
      </div>
    `;
  }
  return html`
    <section class="card card-flush webhooks-card" aria-labelledby="webhooks-title">
      <div class="card-header card-header-padded">
        <h2 id="webhooks-title">${t("webhooks.title")}</h2>
        <p class="muted small">${t("webhooks.hint")}</p>
      </div>
      <div class="webhooks-layout">
        <${WebhookForm} key=${version} settings=${data
          .settings} notify=${notify} onSaved=${saved} />
        <div class="webhooks-deliveries">
          <div class="toolbar-actions">
            <h3>${t("webhooks.deliveries")}</h3>
            <button type="button" class="button" onClick=${test}>
              <${Icon} name="play" size=${16} />${t("webhooks.sendTest")}</button>
            <button type="button" class="button" onClick=${load} aria-label=${t("common.refresh")}>
              <${Icon} name="refresh" size=${16} /></button>
          </div>
          ${data.deliveries.length === 0
            ? html`<${EmptyState} icon="info" title=${t("webhooks.empty")} hint=${
              t("webhooks.emptyHint")
            } />`
            : html`
              <div class="table-wrap">
                <table class="table table-stack">
                  <thead>
                    <tr>
                      <th>${t("webhooks.when")}</th>
                      <th>${t("webhooks.event")}</th>
                      <th>${t("webhooks.url")}</th>
                      <th>${t("webhooks.status")}</th>
                      <th class="num">${t("webhooks.attempts")}</th>
                      <th>${t("webhooks.lastAnswer")}</th>
                      <th><span class="offscreen">${t("common.actions")}</span></th>
                    </tr>
                  </thead>
                  <tbody>${data.deliveries.map((d) =>
                    html`<${DeliveryRow} key=${d.id} delivery=${d} onRetry=${retry} />`
                  )}</tbody>
                </table>
              </div>
            `}
        </div>
      </div>
    </section>
  `;
}

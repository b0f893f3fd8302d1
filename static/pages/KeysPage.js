import { html, useCallback, useEffect, useState } from "../lib.js";
import { deleteKey, listKeys, revokeKey } from "../api.js";
import { t } from "../i18n.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { Spinner } from "../components/Spinner.js";
import { KeyDialog } from "./KeyDialog.js";
import { KeyRow } from "./KeyRow.js";
import { SecretDialog } from "./SecretDialog.js";

/** @typedef {import("../api.js").ApiKey} ApiKey */

/** @param {{ notify: import("../app.js").Notify }} props */
export function KeysPage({ notify }) {
  const [keys, setKeys] = useState(/** @type {ApiKey[] | null} */ (null));
  const [editing, setEditing] = useState(/** @type {ApiKey | "new" | null} */ (null));
  const [secret, setSecret] = useState(
    /** @type {{ secret: string, baseUrl: string } | null} */ (null),
  );
  const [confirming, setConfirming] = useState(
    /** @type {{ key: ApiKey, action: "revoke" | "delete" } | null} */ (null),
  );

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
  /** @param {{ secret?: string, baseUrl?: string | null }} result */
  const onSaved = async (result) => {
    setEditing(null);
    if (result.secret) {
      // Where the server cannot tell its public URL, the console's own address serves.
      setSecret({ secret: result.secret, baseUrl: result.baseUrl ?? `${location.origin}/v1` });
    }
    await load().finally(() => {
      if (!result.secret) notify("success", t("keys.saved"));
    });
  };
  const confirm = confirming && (confirming.action === "revoke"
    ? {
      title: t("keys.revokeTitle"),
      message: t("keys.revokeMessage", { name: confirming.key.name }),
      label: t("keys.revoke"),
      run: () => revokeKey(confirming.key.id),
      done: t("keys.revoked"),
    }
    : {
      title: t("keys.deleteTitle"),
      message: t("keys.deleteMessage", { name: confirming.key.name }),
      label: t("keys.delete"),
      run: () => deleteKey(confirming.key.id),
      done: t("keys.deleted"),
    });
  const dialogs = html`
    ${editing
      ? html`
        <${KeyDialog} existing=${editing === "new" ? null : editing}
          onClose=${() => setEditing(null)} onSaved=${onSaved} />
      `
      : null}
    ${secret
      ? html`
        <${SecretDialog} secret=${secret.secret} baseUrl=${secret.baseUrl} notify=${notify}
          onClose=${() => setSecret(null)} />
      `
      : null}
    ${confirm
      ? html`
        <${ConfirmDialog} title=${confirm.title} message=${confirm.message}
          confirmLabel=${confirm.label} cancelLabel=${t("common.cancel")} danger
          onClose=${() => setConfirming(null)}
          onConfirm=${async () => {
            try {
              await confirm.run();
              await load().finally(() => notify("success", confirm.done));
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
        <${EmptyState} icon="key" title=${t("keys.empty")} hint=${t("keys.emptyHint")}>
          <button type="button" class="button button-primary" onClick=${create}>
            <${Icon} name="plus" size=${16} />${t("keys.create")}
          </button>
        <//></div>${dialogs}
    `;
  }
  const now = Date.now();
  return html`
    ${header}
    <div class="card card-flush">
      <div class="table-wrap">
        <table class="table table-stack keys-table">
          <thead>
            <tr>
              <th>${t("keys.name")}</th>
              <th>${t("keys.key")}</th>
              <th>${t("keys.usageToday")}</th>
              <th>${t("keys.creditsUsed")}</th>
              <th class="num">${t("keys.rate")}</th>
              <th class="num">${t("keys.requestsToday")}</th>
              <th class="num">${t("keys.errorsToday")}</th>
              <th>${t("keys.lastUsed")}</th>
              <th>${t("keys.status")}</th>
              <th class="actions-col"><span class="offscreen">${t("common.actions")}</span></th>
            </tr>
          </thead>
          <tbody>${keys.map((key) =>
            html`
              <${KeyRow} key=${key.id} apiKey=${key} now=${now}
                onEdit=${() => setEditing(key)}
                onRevoke=${() => setConfirming({ key, action: "revoke" })}
                onDelete=${() => setConfirming({ key, action: "delete" })} />
            `
          )}</tbody>
        </table>
      </div>
    </div>${dialogs}
  `;
}

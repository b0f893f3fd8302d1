import { html, useCallback, useEffect, useState } from "../lib.js";
import {
  checkAccount,
  claimAccount,
  listAccounts,
  removeAccount,
  setAccountDisabled,
} from "../api.js";
import { t } from "../i18n.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { AccountRow } from "./AccountRow.js";
import { AddAccountsDialog } from "./AddAccountsDialog.js";
import { EditAccountDialog } from "./EditAccountDialog.js";
import { Spinner } from "../components/Spinner.js";

/** @typedef {import("../api.js").Account} Account */

const UNCHECKED_REFRESH_MS = 1500;

/** @param {{ notify: import("../app.js").Notify }} props */
export function AccountsPage({ notify }) {
  const [accounts, setAccounts] = useState(/** @type {Account[] | null} */ (null));
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState(/** @type {Account | null} */ (null));
  const [editing, setEditing] = useState(/** @type {Account | null} */ (null));
  const [busy, setBusy] = useState(/** @type {Record<string, string>} */ ({}));

  const load = useCallback(async () => {
    try {
      setAccounts((await listAccounts()).items);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
      setAccounts((list) => list ?? []);
    }
  }, []);
  useEffect(() => {
    load();
  }, []);
  // Added accounts are checked in the background: look again until each has been.
  const unchecked = (accounts ?? []).some((a) => a.health === "unknown");
  useEffect(() => {
    if (!unchecked) return;
    const timer = setTimeout(load, UNCHECKED_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [accounts]);

  const replace = (/** @type {Account} */ account) =>
    setAccounts((list) => (list ?? []).map((a) => a.id === account.id ? account : a));

  /** Runs one row action, marking the row busy meanwhile. */
  const act = async (/** @type {Account} */ account, /** @type {string} */ what, fn) => {
    setBusy((b) => ({ ...b, [account.id]: what }));
    try {
      await fn();
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    } finally {
      setBusy(({ [account.id]: _, ...rest }) => rest);
    }
  };
  const check = (/** @type {Account} */ a) =>
    act(a, "check", async () => {
      replace(await checkAccount(a.id));
      notify("success", t("accounts.checked", { label: a.label }));
    });
  const claim = (/** @type {Account} */ a) =>
    act(a, "claim", async () => {
      const { received, account } = await claimAccount(a.id);
      replace(account);
      notify(
        received > 0 ? "success" : "info",
        received > 0 ? t("accounts.claimed", { n: received }) : t("accounts.claimedNone"),
      );
    });
  const toggle = (/** @type {Account} */ a) =>
    act(a, "toggle", async () => {
      await setAccountDisabled(a.id, a.health !== "disabled");
      await load();
    });

  const header = html`
    <${PageHeader} title=${t("accounts.title")} subtitle=${t(
      "accounts.subtitle",
    )}>
      <button type="button" class="button"
        onClick=${load}><${Icon} name="refresh" size=${16} />${t(
          "common.refresh",
        )}</button>
      <button type="button" class="button button-primary" onClick=${() => setAdding(true)}>
          <${Icon} name="plus" size=${16} />${t("accounts.add")}
        </button>
      <//>
  `;
  const dialogs = html`
    ${editing
      ? html`
        <${EditAccountDialog} account=${editing} notify=${notify} onSaved=${replace}
          onClose=${() => setEditing(null)} />
      `
      : null}
    ${adding
      ? html`<${AddAccountsDialog} notify=${notify} onAdded=${load} onClose=${() =>
        setAdding(false)} />`
      : null}
    ${removing
      ? html`
        <${ConfirmDialog}
          title=${t("accounts.removeTitle")}
          message=${t("accounts.removeMessage", { label: removing.label })}
          confirmLabel=${t("accounts.remove")}
          cancelLabel=${t("common.cancel")}
          danger
          onClose=${() => setRemoving(null)}
          onConfirm=${async () => {
            try {
              await removeAccount(removing.id);
              await load().finally(() => notify("success", t("accounts.removed")));
            } catch (error) {
              notify("error", /** @type {Error} */ (error).message);
              throw error;
            }
          }}
        />
      `
      : null}
  `;

  if (!accounts) return html`${header}<${Spinner} block label=${t("common.loading")} />`;
  if (!accounts.length) {
    return html`
      ${header}<div class="card">
        <${EmptyState} icon="accounts" title=${t(
          "accounts.empty",
        )} hint=${t("accounts.emptyHint")}>
            <button type="button" class="button button-primary" onClick=${() => setAdding(true)}>
              <${Icon} name="plus" size=${16} />${t("accounts.add")}
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
              <th>${t("accounts.account")}</th>
              <th>${t("accounts.region")}</th>
              <th class="num">${t("accounts.credits")}</th>
              <th>${t("accounts.health")}</th>
              <th>${t("accounts.lastCheck")}</th>
              <th>${t("accounts.lastClaim")}</th>
              <th class="num">${t("accounts.inFlight")}</th>
              <th class="actions-col"><span class="offscreen">${t("common.actions")}</span></th>
            </tr>
          </thead>
          <tbody>${accounts.map((a) =>
            html`<${AccountRow} key=${a.id} account=${a} busy=${busy[a.id]} on=${{
              check: () => check(a),
              claim: () => claim(a),
              toggle: () => toggle(a),
              edit: () => setEditing(a),
              remove: () => setRemoving(a),
            }} />`
          )}</tbody>
        </table>
      </div>
    </div>${dialogs}
  `;
}

import { html, useCallback, useEffect, useState } from "../lib.js";
import {
  checkAccount,
  claimAccount,
  listAccounts,
  removeAccount,
  setAccountDisabled,
} from "../api.js";
import { t } from "../i18n.js";
import { formatNumber, formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { AddAccountsDialog } from "./AddAccountsDialog.js";
import { EditAccountDialog } from "./EditAccountDialog.js";
import { Spinner } from "../components/Spinner.js";

/** @typedef {import("../api.js").Account} Account */

const HEALTH_TONES = {
  ok: "green",
  expired: "red",
  proxy_error: "red",
  cooling: "amber",
  disabled: "grey",
  unknown: "blue",
};

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
              notify("success", t("accounts.removed"));
              await load();
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
          <tbody>${accounts.map((a) => {
            const rowBusy = busy[a.id];
            const disabled = a.health === "disabled";
            return html`
              <tr key=${a.id} class=${disabled ? "row-muted" : ""}>
                <td data-label=${t("accounts.account")}><code class="mono">${a
                  .label}</code>${accountMeta(a)}</td>
                <td data-label=${t("accounts.region")}><span class="tag">${a.region
                  .toUpperCase()}</span></td>
                <td data-label=${t("accounts.credits")} class="num">${a.credits
                  ? html`
                    <div class="credits">
                      <strong>${formatNumber(a.credits.total)}</strong>
                      <span class="credits-split">${t("accounts.creditsSplit", {
                        gift: formatNumber(a.credits.gift),
                        purchase: formatNumber(a.credits.purchase),
                        vip: formatNumber(a.credits.vip),
                      })}</span>
                    </div>
                  `
                  : html`<span class="muted">—</span>`}</td>
                <td data-label=${t("accounts.health")}>
                  <${Badge} tone=${HEALTH_TONES[a.health] ?? "grey"}>${t(
                    `health.${a.health}`,
                  )}<//>${a.lastCheckError && a.health !== "expired" && !disabled
                    ? html`<div class="muted small check-error">${checkError(a)}</div>`
                    : null}</td>
                          <td data-label=${t("accounts.lastCheck")} title=${a.lastCheckAt
                            ? new Date(a.lastCheckAt).toLocaleString()
                            : ""}>${formatRelative(
                              a.lastCheckAt,
                            )}</td>
                          <td data-label=${t("accounts.lastClaim")} title=${a.lastClaimAt
                            ? new Date(a.lastClaimAt).toLocaleString()
                            : ""}>${formatRelative(
                              a.lastClaimAt,
                            )}</td>
                          <td data-label=${t("accounts.inFlight")} class="num">${a.inFlight > 0
                            ? html`<${Badge} tone="blue">${a.inFlight}<//>`
                            : html`<span class="muted">0</span>`}</td>
                          <td class="actions-col"><div class="row-actions">
                            <button type="button" class="button button-small" disabled=${!!rowBusy ||
                              disabled}
                              onClick=${() => check(a)}>${rowBusy === "check"
                                ? html`<${Spinner} />`
                                : html`<${Icon} name="refresh" size=${15} />`}${t(
                                  "accounts.check",
                                )}</button>
                            <button type="button" class="button button-small" disabled=${!!rowBusy ||
                              disabled || a.health === "expired"}
                              title=${a.health === "expired"
                                ? t("accounts.claimExpired")
                                : undefined}
                              onClick=${() => claim(a)}>${rowBusy === "claim"
                                ? html`<${Spinner} />`
                                : html`<${Icon} name="gift" size=${15} />`}${t(
                                  "accounts.claim",
                                )}</button>
                            <button type="button" class="button button-small" disabled=${!!rowBusy}
                              onClick=${() => toggle(a)}>${disabled ? t("accounts.enable") : t(
                                "accounts.disable",
                              )}</button>
                            <button type="button" class="icon-button" disabled=${!!rowBusy}
                              title=${t("accounts.edit")} aria-label=${t("accounts.editNamed", {
                                label: a.label,
                              })} onClick=${() =>
                                setEditing(a)}><${Icon} name="edit" size=${16} /></button>
                            <button type="button" class="icon-button icon-button-danger" disabled=${!!rowBusy}
                              title=${t("accounts.remove")} aria-label=${t("accounts.removeNamed", {
                                label: a.label,
                              })} onClick=${() =>
                                setRemoving(a)}><${Icon} name="trash" size=${16} /></button>
                          </div></td>
                        </tr>
            `;
          })}</tbody>
        </table>
      </div>
    </div>${dialogs}
  `;
}

/** The line under an account's label: its proxy (masked) and imported cookies, if any. @param {Account} a */
function accountMeta(a) {
  const parts = [];
  if (a.proxy?.source === "account") parts.push(t("accounts.via", { proxy: a.proxy.label ?? "" }));
  if (a.proxy?.source === "default") {
    parts.push(t("accounts.viaDefault", { proxy: a.proxy.label ?? "" }));
  }
  if (a.proxy?.source === "direct") parts.push(t("accounts.proxyDirect"));
  if (a.cookies > 0) parts.push(t("accounts.cookiesImported", { n: a.cookies }));
  return parts.length
    ? html`<div class="muted small account-meta">${
      parts.map((part, i) => html`${i > 0 ? " · " : ""}<span>${part}</span>`)
    }</div>`
    : null;
}

/**
 * What the last check said, under the badge. A proxy error names the proxy,
 * which the account column shows already: only what went wrong stays.
 * @param {Account} a
 */
function checkError(a) {
  const text = a.lastCheckError ?? "";
  return a.health === "proxy_error" ? text.replace(/^The account's proxy \S+ failed: /, "") : text;
}

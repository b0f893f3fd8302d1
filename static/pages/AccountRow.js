import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatNumber, formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { Breakable } from "../components/Breakable.js";
import { Icon } from "../components/Icon.js";
import { Spinner } from "../components/Spinner.js";

/** @typedef {import("../api.js").Account} Account */

const HEALTH_TONES = {
  ok: "green",
  expired: "red",
  proxy_error: "red",
  check_failed: "amber",
  cooling: "amber",
  disabled: "grey",
  unknown: "blue",
};

/** The site an account belongs to: Jimeng for CN, Dreamina for the others. @param {string} region */
export function siteOf(region) {
  return region === "cn" ? t("accounts.site.jimeng") : t("accounts.site.dreamina");
}

/**
 * @typedef {object} AccountRowProps
 * @property {Account} account
 * @property {string | undefined} busy the action running on the row
 * @property {{ check: () => void, claim: () => void, toggle: () => void, edit: () => void,
 *   remove: () => void }} on
 */

/** One account: who it is, its site, credits, what the last check found, and its actions. @param {AccountRowProps} props */
export function AccountRow({ account: a, busy, on }) {
  const disabled = a.health === "disabled";
  const when = (/** @type {number | null} */ ms) => ms ? new Date(ms).toLocaleString() : "";
  return html`
    <tr class=${disabled ? "row-muted" : ""}>
      <td data-label=${t("accounts.account")} class="account-cell">${identity(a)}</td>
      <td data-label=${t("accounts.region")}><span class="site">${siteOf(a.region)}
        <span class="tag">${a.region.toUpperCase()}</span></span></td>
      <td data-label=${t("accounts.credits")} class="num">${credits(a)}</td>
      <td data-label=${t("accounts.health")}>
        <div class="health">
          <${Badge} tone=${HEALTH_TONES[a.health] ?? "grey"}>${t(`health.${a.health}`)}<//>
        ${a.lastCheckError && a.health !== "expired" && !disabled
          ? html`
            <div class="muted small check-error">
              <${Breakable} text=${checkError(a)} />
            </div>
          `
          : null}</div></td>
      <td data-label=${t("accounts.lastCheck")} class="nowrap" title=${when(
        a.lastCheckAt,
      )}>${formatRelative(a.lastCheckAt)}</td>
      <td data-label=${t("accounts.lastClaim")} class="nowrap" title=${when(
        a.lastClaimAt,
      )}>${formatRelative(a.lastClaimAt)}</td>
      <td data-label=${t("accounts.inFlight")} class="num">${a.inFlight > 0
        ? html`<${Badge} tone="blue">${a.inFlight}<//>`
        : html`<span class="muted">0</span>`}</td>
      <td class="actions-col"><div class="row-actions">
        <button type="button" class="button button-small" disabled=${!!busy || disabled}
          onClick=${on.check}>${busy === "check"
            ? html`<${Spinner} />`
            : html`<${Icon} name="refresh" size=${15} />`}${t("accounts.check")}</button>
        <button type="button" class="button button-small"
          disabled=${!!busy || disabled || a.health === "expired"}
          title=${a.health === "expired" ? t("accounts.claimExpired") : undefined}
          onClick=${on.claim}>${busy === "claim"
            ? html`<${Spinner} />`
            : html`<${Icon} name="gift" size=${15} />`}${t("accounts.claim")}</button>
        <button type="button" class="button button-small" disabled=${!!busy}
          onClick=${on.toggle}>${disabled ? t("accounts.enable") : t("accounts.disable")}</button>
        <button type="button" class="icon-button" disabled=${!!busy} title=${t("accounts.edit")}
          aria-label=${t("accounts.editNamed", { label: a.label })} onClick=${on.edit}><${Icon}
          name="edit" size=${16} /></button>
        <button type="button" class="icon-button icon-button-danger" disabled=${!!busy}
          title=${t("accounts.remove")} aria-label=${t("accounts.removeNamed", { label: a.label })}
          onClick=${on.remove}><${Icon} name="trash" size=${16} /></button>
      </div></td>
    </tr>
  `;
}

/** The operator's name (when given) over the masked label, the note, and the connection line. @param {Account} a */
function identity(a) {
  return html`<div class="account-id">
    ${a.name ? html`<strong class="account-name">${a.name}</strong>` : null}
    <code class="mono">${a.label}</code>
    ${a.note ? html`<div class="muted small account-note" title=${a.note}>${a.note}</div>` : null}
    ${accountMeta(a)}
  </div>`;
}

/** @param {Account} a */
function credits(a) {
  if (!a.credits) return html`<span class="muted">—</span>`;
  return html`
    <div class="credits">
      <strong>${formatNumber(a.credits.total)}</strong>
      <span class="credits-split">${t("accounts.creditsSplit", {
        gift: formatNumber(a.credits.gift),
        purchase: formatNumber(a.credits.purchase),
        vip: formatNumber(a.credits.vip),
      })}</span>
    </div>
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

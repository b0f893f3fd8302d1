import { html } from "../lib.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {object} PaginationProps
 * @property {number} page 1-based
 * @property {number} pages at least 1
 * @property {(page: number) => void} onPage
 * @property {{ previous: string, next: string, status: string }} labels `status` is e.g. "Page 2 of 5"
 */

/** Previous / next with the position between. @param {PaginationProps} props */
export function Pagination({ page, pages, onPage, labels }) {
  return html`
    <nav class="pagination" aria-label=${labels.status}>
      <button
        type="button"
        class="button"
        disabled=${page <= 1}
        onClick=${() => onPage(page - 1)}
      ><${Icon} name="chevronLeft" size=${16} />${labels.previous}</button>
      <span class="pagination-status">${labels.status}</span>
      <button
        type="button"
        class="button"
        disabled=${page >= pages}
        onClick=${() => onPage(page + 1)}
      >${labels.next}<${Icon} name="chevronRight" size=${16} /></button>
    </nav>
  `;
}

import { html, useCallback, useEffect, useState } from "../lib.js";
import { getUsageFacets, listUsage, usageExportUrl } from "../api.js";
import { t } from "../i18n.js";
import { dayBound } from "../format.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { Spinner } from "../components/Spinner.js";
import { UsageFilters } from "../components/UsageFilters.js";
import { UsageTable } from "../components/UsageTable.js";

/** @typedef {import("../components/UsageFilters.js").UsageChoice} UsageChoice */

const PAGE = 100;
const NO_FILTER = { key: "", model: "", outcome: "", from: "", to: "" };

/** The server's filter for the choices made. @param {UsageChoice} choice */
function filterOf(choice) {
  return {
    key: choice.key || undefined,
    model: choice.model || undefined,
    outcome: choice.outcome || undefined,
    since: dayBound(choice.from, false),
    until: dayBound(choice.to, true),
  };
}

/**
 * The usage log: one row per generation request (who, which account and
 * model, what it made, how it ended, what it cost, how long it took), with
 * filters and CSV/JSON export. The server log is the Logs page.
 * @param {{ notify: import("../app.js").Notify }} props
 */
export function UsagePage({ notify }) {
  const [choice, setChoice] = useState(/** @type {UsageChoice} */ (NO_FILTER));
  const [facets, setFacets] = useState({ models: [], outcomes: [], keys: [] });
  const [rows, setRows] = useState(/** @type {import("../api.js").UsageRow[] | null} */ (null));
  const [next, setNext] = useState(/** @type {number | null} */ (null));
  const [loadingMore, setLoadingMore] = useState(false);
  const filter = filterOf(choice);

  const load = useCallback(async () => {
    try {
      const [page, menus] = await Promise.all([
        listUsage({ ...filter, limit: PAGE }),
        getUsageFacets(),
      ]);
      setRows(page.data);
      setNext(page.nextBefore);
      setFacets(menus);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
      setRows((list) => list ?? []);
    }
  }, [choice]);
  useEffect(() => {
    setRows(null);
    load();
  }, [load]);

  const more = async () => {
    setLoadingMore(true);
    try {
      const page = await listUsage({ ...filter, before: next, limit: PAGE });
      setRows((list) => [...(list ?? []), ...page.data]);
      setNext(page.nextBefore);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    } finally {
      setLoadingMore(false);
    }
  };

  const exports = { csv: usageExportUrl(filter, "csv"), json: usageExportUrl(filter, "json") };
  return html`
    <${PageHeader} title=${t("usage.title")} subtitle=${t("usage.subtitle")}>
      <button type="button" class="button" onClick=${load}><${Icon} name="refresh" size=${16} />${t(
        "common.refresh",
      )}</button>
    <//>
    <${UsageFilters} value=${choice} onChange=${setChoice} facets=${facets} exports=${exports} />
    ${rows === null
      ? html`<${Spinner} block label=${t("common.loading")} />`
      : rows.length === 0
      ? html`
        <div class="card">
          <${EmptyState} icon="usage" title=${t("usage.empty")}
            hint=${Object.values(choice).some(Boolean)
              ? t("usage.noMatch")
              : t("usage.emptyHint")} />
        </div>
      `
      : html`
        <div class="card card-flush">
          <${UsageTable} rows=${rows} />
        </div>
              ${next === null
                ? null
                : html`<div class="pagination"><button type="button" class="button"
        disabled=${loadingMore} onClick=${more}>${t("usage.more")}</button></div>`}
      `}
  `;
}

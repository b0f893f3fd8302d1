import { html, useCallback, useEffect, useState } from "../lib.js";
import { getBrowser, getStats } from "../api.js";
import { t } from "../i18n.js";
import { formatBucket, formatCompact, formatNumber, formatPercent } from "../format.js";
import { fillBuckets } from "../series.js";
import { Breakable } from "../components/Breakable.js";
import { BreakdownCard } from "../components/BreakdownCard.js";
import { BrowserTransportSummary } from "../components/BrowserTransportSummary.js";
import { Chart } from "../components/Chart.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { Segmented } from "../components/Segmented.js";
import { Spinner } from "../components/Spinner.js";
import { StatCard } from "../components/StatCard.js";

const REFRESH_MS = 30_000;

/** @param {{ notify: import("../app.js").Notify }} props */
export function OverviewPage({ notify }) {
  const [range, setRange] = useState(/** @type {"24h" | "30d"} */ ("24h"));
  const [stats, setStats] = useState(/** @type {import("../api.js").Stats | null} */ (null));
  const [browser, setBrowser] = useState(
    /** @type {import("../api.js").BrowserTransport | null} */ (null),
  );
  const [loading, setLoading] = useState(true);

  const load = useCallback(async (/** @type {boolean} */ quiet) => {
    if (!quiet) setLoading(true);
    try {
      const [next, transport] = await Promise.all([getStats(range), getBrowser()]);
      setStats(next);
      setBrowser(transport);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    } finally {
      setLoading(false);
    }
  }, [range]);

  useEffect(() => {
    load(false);
    const timer = setInterval(() => load(true), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const header = html`
    <${PageHeader} title=${t("overview.title")} subtitle=${t(
      "overview.subtitle",
    )}>
      <${Segmented}
        label=${t("overview.range")}
        value=${range}
        onChange=${setRange}
        options=${[{ value: "24h", label: t("overview.last24h") }, {
          value: "30d",
          label: t("overview.last30d"),
        }]}
      />
      <button type="button" class="button" onClick=${() => load(false)}>
          <${Icon} name="refresh" size=${16} />${t("common.refresh")}
        </button>
      <//>
  `;
  if (!stats) {
    return html`${header}${
      loading ? html`<${Spinner} block label=${t("common.loading")} />` : null
    }`;
  }
  const { totals } = stats;
  const buckets = fillBuckets(stats.series, range, Date.now());
  const formatTime = (/** @type {number} */ ms) => formatBucket(ms, range);
  return html`
    ${header}
        <section class="stat-grid">
      <${StatCard} icon="overview" tone="blue" label=${t(
        "overview.requestsToday",
      )} value=${formatNumber(
        totals.requestsToday,
      )} detail=${t("overview.total", { n: formatNumber(totals.requestsTotal) })} />
      <${StatCard} icon="check" tone="green" label=${t(
        "overview.successRate",
      )} value=${formatPercent(
        totals.successRate,
      )} detail=${t("overview.successHint")} />
      <${StatCard} icon="playground" tone="violet" label=${t(
        "overview.creditsToday",
      )} value=${formatNumber(
        totals.creditsSpentToday,
      )}
        detail=${t("overview.total", { n: formatNumber(totals.creditsSpentTotal) })} />
      ${totals.creditsRemaining === null
        ? html`
          <${StatCard} icon="gift" tone="amber" label=${t("overview.creditsRemaining")}
            value=${t("overview.noAccounts")} detail=${t("overview.noAccountsHint")} />
        `
        : html`
          <${StatCard} icon="gift" tone="amber" label=${t("overview.creditsRemaining")}
            value=${formatNumber(totals.creditsRemaining)}
            detail=${t("overview.acrossAccounts")} />
        `}
    </section>
        <section class="chart-grid-2">
      <div class="card">
        <div class="card-header">
          <h2>${t("overview.requestsChart")}</h2>
          <div class="legend">
            <span><i class="legend-swatch swatch-blue"></i>${t("overview.requests")}</span>
            <span><i class="legend-swatch swatch-red"></i>${t("overview.errors")}</span>
          </div>
        </div>
        <${Chart}
          kind="bar"
          tone="blue"
          label=${t("overview.requestsChart")}
          points=${buckets.map((b) => ({ t: b.t, value: b.requests, part: b.errors }))}
          formatTime=${formatTime}
          formatValue=${formatCompact}
          valueLabel=${t("overview.requests")}
          partLabel=${t("overview.errors")}
        />
      </div>
      <div class="card">
        <div class="card-header">
          <h2>${t("overview.creditsChart")}</h2>
          <div class="legend">
            <span><i class="legend-swatch swatch-violet"></i>${t("overview.credits")}</span>
          </div>
        </div>
        <${Chart}
          kind="bar"
          tone="violet"
          label=${t("overview.creditsChart")}
          points=${buckets.map((b) => ({ t: b.t, value: b.credits }))}
          formatTime=${formatTime}
          formatValue=${formatCompact}
          valueLabel=${t("overview.credits")}
        />
      </div>
    </section>
        <section class="chart-grid-2">
      <${BreakdownCard} title=${t("overview.byModel")} column=${t("overview.model")}
        empty=${{ icon: "overview", hint: t("overview.noDataHint") }}
        rows=${stats.byModel.map((row) => ({
          ...row,
          key: row.model,
          label: html`<code class="mono"><${Breakable} text=${row.model} /></code>`,
        }))} />
      <${BreakdownCard} title=${t("overview.byKey")} column=${t("overview.key")}
        empty=${{ icon: "key", hint: t("overview.noKeyHint") }}
        rows=${stats.byKey.map((row) => ({
          ...row,
          key: row.keyId ?? "none",
          label: row.keyId
            ? row.name
            : html`<span class="muted">${t("overview.sessionCallers")}</span>`,
        }))} />
    </section>
    ${browser ? html`<${BrowserTransportSummary} status=${browser} />` : null}
  `;
}

import { html, useEffect, useMemo, useRef, useState } from "../lib.js";
import { clearLogs, listLogs, streamLogs } from "../api.js";
import { t } from "../i18n.js";
import { formatClock } from "../format.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { Segmented } from "../components/Segmented.js";
import { Spinner } from "../components/Spinner.js";

/** @typedef {import("../api.js").LogLine} LogLine */

const RANK = { debug: 10, info: 20, warn: 30, error: 40 };
/** Lines kept in the page; older ones stay on the server. */
const MAX_LINES = 2000;
const PAGE = 200;

/** Whether a line passes the filters: level at or above `level`, text anywhere. */
function matches(
  /** @type {LogLine} */ line,
  /** @type {string} */ level,
  /** @type {string} */ q,
) {
  if ((RANK[line.level] ?? 0) < (RANK[level] ?? 0)) return false;
  if (!q) return true;
  const text = `${line.message} ${line.fields ? JSON.stringify(line.fields) : ""}`;
  return text.toLowerCase().includes(q.toLowerCase());
}

/** A field's value as shown: strings bare, the rest as JSON. @param {unknown} value */
function fieldText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** One line of the export file. @param {LogLine} line */
function toText(line) {
  const fields = line.fields && Object.keys(line.fields).length
    ? ` ${JSON.stringify(line.fields)}`
    : "";
  return `${new Date(line.time).toISOString()} ${
    line.level.toUpperCase().padEnd(5)
  } ${line.message}${fields}`;
}

/** @param {LogLine[]} lines newest first */
function download(lines) {
  const text = lines.slice().reverse().map(toText).join("\n") + "\n";
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  link.href = url;
  link.download = `jimeng-api-logs-${stamp}.txt`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** @param {{ notify: import("../app.js").Notify }} props */
export function LogsPage({ notify }) {
  const [level, setLevel] = useState("info");
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [lines, setLines] = useState(/** @type {LogLine[] | null} */ (null));
  const [nextBefore, setNextBefore] = useState(/** @type {number | null} */ (null));
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState(/** @type {LogLine[]} */ ([]));
  const [live, setLive] = useState(/** @type {"open" | "connecting"} */ ("connecting"));
  const [clearing, setClearing] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const filters = useRef({ level, query, paused });
  filters.current = { level, query, paused };

  // The search box settles before it queries the server.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(search.trim()), 300);
    return () => clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    let cancelled = false;
    setLines(null);
    listLogs({ level, q: query, limit: PAGE }).then((page) => {
      if (cancelled) return;
      setLines(page.items);
      setNextBefore(page.nextBefore);
    }).catch((error) => {
      if (cancelled) return;
      notify("error", error.message);
      setLines([]);
    });
    return () => {
      cancelled = true;
    };
  }, [level, query]);

  useEffect(() => {
    return streamLogs((line) => {
      const { level, query, paused } = filters.current;
      if (!matches(line, level, query)) return;
      const add = (/** @type {LogLine[]} */ list) =>
        list.some((l) => l.id === line.id) ? list : [line, ...list].slice(0, MAX_LINES);
      if (paused) setHeld(add);
      else setLines((list) => list && add(list));
    }, setLive);
  }, []);

  const resume = () => {
    setPaused(false);
    setLines((list) => {
      const known = new Set((list ?? []).map((l) => l.id));
      return [...held.filter((l) => !known.has(l.id)), ...(list ?? [])].slice(0, MAX_LINES);
    });
    setHeld([]);
  };

  const older = async () => {
    if (nextBefore === null) return;
    setLoadingOlder(true);
    try {
      const page = await listLogs({ level, q: query, before: nextBefore, limit: PAGE });
      setLines((list) => [...(list ?? []), ...page.items]);
      setNextBefore(page.nextBefore);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
    } finally {
      setLoadingOlder(false);
    }
  };

  const shown = useMemo(() => lines ?? [], [lines]);
  const status = paused
    ? html`<span class="live live-paused">${t("logs.paused", { n: held.length })}</span>`
    : live === "open"
    ? html`<span class="live live-on">${t("logs.live")}</span>`
    : html`<span class="live live-wait">${t("logs.connecting")}</span>`;

  return html`<${PageHeader} title=${t("logs.title")} subtitle=${t("logs.subtitle")}>${status}<//>
    <div class="toolbar card">
      <${Segmented} label=${t("logs.level")} value=${level} onChange=${setLevel} options=${[
    { value: "info", label: "INFO" },
    { value: "warn", label: "WARN" },
    { value: "error", label: "ERROR" },
  ]} />
      <label class="search">
        <${Icon} name="search" size=${16} />
        <input class="input" type="search" placeholder=${t("logs.search")} aria-label=${
    t(
      "logs.search",
    )
  } value=${search} onInput=${(/** @type {any} */ e) => setSearch(e.currentTarget.value)} />
      </label>
      <div class="toolbar-actions">
        <button type="button" class="button" onClick=${paused ? resume : () => setPaused(true)}>
          <${Icon} name=${paused ? "play" : "pause"} size=${16} />${
    paused ? t("logs.resume") : t("logs.pause")
  }
        </button>
        <button type="button" class="button" disabled=${!shown.length} onClick=${() =>
    download(shown)}><${Icon} name="download" size=${16} />${t("logs.export")}</button>
        <button type="button" class="button button-danger-ghost" onClick=${() =>
    setClearing(true)}><${Icon} name="trash" size=${16} />${t("logs.clear")}</button>
      </div>
    </div>
    <div class="card card-flush">
      ${
    lines === null
      ? html`<${Spinner} block label=${t("common.loading")} />`
      : shown.length === 0
      ? html`<${EmptyState} icon="logs" title=${t("logs.empty")} hint=${t("logs.emptyHint")} />`
      : html`<ol class="log-list" aria-live="off">
          ${
        shown.map((line) =>
          html`
            <li key=${line.id} class=${`log-line log-${line.level}`}>
              <time class="log-time" title=${new Date(line.time).toLocaleString()}>${formatClock(
                line.time,
              )}</time>
              <span class="log-level">${line.level.toUpperCase()}</span>
              <span class="log-message"><span class="log-text">${line
                .message}</span>${line.fields && Object.keys(line.fields).length
                ? html`<span class="log-fields">${
                  Object.entries(line.fields).map(([name, value]) =>
                    html`
                      <span key=${name}
                        class="log-field"><span class="log-field-name">${name}=</span>${fieldText(
                          value,
                        )}</span>
                    `
                  )
                }</span>`
                : null}</span>
            </li>
          `
        )
      }
        </ol>
        ${
        nextBefore !== null
          ? html`<div class="list-footer"><button type="button" class="button" onClick=${older}
            disabled=${loadingOlder}>${
            loadingOlder ? t("common.loading") : t(
              "logs.older",
            )
          }</button></div>`
          : null
      }`
  }
    </div>
    ${
    clearing
      ? html`
        <${ConfirmDialog} title=${t("logs.clearTitle")} message=${t("logs.clearMessage")}
          confirmLabel=${t("logs.clear")} cancelLabel=${t("common.cancel")} danger
          onClose=${() => setClearing(false)}
          onConfirm=${async () => {
            try {
              await clearLogs();
              setLines([]);
              setHeld([]);
              setNextBefore(null);
              notify("success", t("logs.cleared"));
            } catch (error) {
              notify("error", /** @type {Error} */ (error).message);
              throw error;
            }
          }} />
      `
      : null
  }`;
}

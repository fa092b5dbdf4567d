import {
  listAgencies,
  request,
  requestJson,
  type Agency,
  type ExportCatalogue,
  type SessionFigures,
  type SessionScheduled,
  type SessionsReport,
} from "./api";
import { h, saveBlob } from "./dom";
import type { ErrorBox } from "./errors";
import { currentLang, formatDateTime, onLangChange, setText, t, type Lang, type MessageKey } from "./i18n";

// Issue 8, points 5 and 6: a session's files (docs/api.md, "Exports") and the sessions report.

export interface SessionsFilter {
  agencyId?: number;
  city?: string;
  from?: string;
  to?: string;
}

const segment = (value: string | number) => encodeURIComponent(String(value));

export const sessionExportPath = (sessionId: number, exportKey: string, lang: Lang) =>
  `/api/sessions/${segment(sessionId)}/exports/${segment(exportKey)}.xlsx?lang=${lang}`;
export const sessionSheetCsvPath = (sessionId: number, exportKey: string, sheetKey: string, lang: Lang) =>
  `/api/sessions/${segment(sessionId)}/exports/${segment(exportKey)}/${segment(sheetKey)}.csv?lang=${lang}`;
export const sessionReportPath = (sessionId: number, lang: Lang) => `/api/sessions/${segment(sessionId)}/exports/report.zip?lang=${lang}`;

function filterQuery(filter: SessionsFilter): URLSearchParams {
  const query = new URLSearchParams();
  if (filter.agencyId) query.set("agencyId", String(filter.agencyId));
  if (filter.city) query.set("city", filter.city);
  if (filter.from) query.set("from", filter.from);
  if (filter.to) query.set("to", filter.to);
  return query;
}

export const getExportCatalogue = (key: string) => requestJson<ExportCatalogue>("/api/exports", { token: key });
export const getSessionsReport = (key: string, filter: SessionsFilter) =>
  requestJson<SessionsReport>(`/api/reports/sessions?${filterQuery(filter).toString()}`, { token: key });
export function sessionsReportPath(filter: SessionsFilter, format: "xlsx" | "csv", lang: Lang): string {
  const query = filterQuery(filter);
  query.set("lang", lang);
  return `/api/reports/sessions.${format}?${query.toString()}`;
}

/** The file name from Content-Disposition (RFC 5987 `filename*` first), if the server sent one. */
export function fileNameFrom(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim().replace(/^"|"$/g, ""));
    } catch {
      // Fall back to the plain form.
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(disposition);
  return (plain?.[2] ?? plain?.[1])?.trim() || undefined;
}


/**
 * A link to a file that needs the organiser key: a plain link can't send it, so a click fetches the
 * file and saves the Blob under the server's name. The href stays for the status bar and copying.
 */
function fileLink(
  key: string,
  errors: ErrorBox,
  refreshers: (() => void)[],
  className: string,
  path: () => string,
  label: () => string,
  fallbackName: string,
): HTMLAnchorElement {
  const link = h("a", { className: `button-like ${className}`, attrs: { href: path() } });
  const refresh = () => {
    link.href = path();
    link.textContent = label();
  };
  refresh();
  refreshers.push(refresh);
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    errors.clear();
    try {
      const response = await request(path(), { token: key, accept: "*/*" });
      saveBlob(await response.blob(), fileNameFrom(response.headers.get("content-disposition")) ?? fallbackName);
    } catch (error) {
      errors.show(error);
    }
  });
  return link;
}

let catalogue: Promise<ExportCatalogue> | null = null;

const nameIn = (named: { nameZh: string; nameEn: string }) => (currentLang() === "zh" ? named.nameZh : named.nameEn);

function langSelect(className: string, onChange: () => void): HTMLSelectElement {
  const select = h("select", { className });
  for (const lang of ["zh", "en"] as const) {
    const option = h("option", { attrs: { value: lang } });
    setText(option, lang === "zh" ? "org.exports.langZh" : "org.exports.langEn");
    select.append(option);
  }
  select.value = currentLang();
  select.addEventListener("change", onChange);
  return select;
}

/**
 * A session's downloads: each export as Excel and as CSV per sheet, and the session report (a zip
 * of them all), in the file language chosen here.
 */
export function renderSessionDownloads(key: string, session: SessionScheduled, container: HTMLElement, errors: ErrorBox): void {
  const refreshers: (() => void)[] = [];
  const lang = langSelect("export-lang", () => refreshers.forEach((refresh) => refresh()));
  const fileLang = () => lang.value as Lang;
  const langLabel = h("label", { className: "export-lang-label" });
  setText(langLabel, "org.exports.lang");
  langLabel.append(" ", lang);

  const report = fileLink(key, errors, refreshers, "download-report", () => sessionReportPath(session.id, fileLang()),
    () => t("org.exports.report"), `${session.code}-report.zip`);
  const files = h("div", { className: "export-files" });
  container.replaceChildren(h("div", { className: "actions downloads" }, langLabel, report), files);

  catalogue ??= getExportCatalogue(key).catch((error: unknown) => {
    catalogue = null;
    throw error;
  });
  catalogue
    .then((found) => {
      for (const kind of found.exports) {
        const xlsx = fileLink(key, errors, refreshers, "download-xlsx", () => sessionExportPath(session.id, kind.key, fileLang()),
          () => t("org.exports.xlsx", { name: nameIn(kind) }), `${session.code}-${kind.key}.xlsx`);
        xlsx.dataset.export = kind.key;
        const csvs = kind.sheets.map((sheet) => {
          const csv = fileLink(key, errors, refreshers, "download-csv", () => sessionSheetCsvPath(session.id, kind.key, sheet.key, fileLang()),
            () => (kind.sheets.length === 1 ? t("org.exports.csv", { name: nameIn(kind) }) : t("org.exports.csvSheet", { name: nameIn(kind), sheet: nameIn(sheet) })),
            `${session.code}-${kind.key}-${sheet.key}.csv`);
          csv.dataset.export = kind.key;
          csv.dataset.sheet = sheet.key;
          return csv;
        });
        files.append(h("div", { className: "actions export-kind", dataset: { export: kind.key } }, xlsx, ...csvs));
      }
    })
    .catch((error: unknown) => errors.show(error));
}

const reportColumns: { key: MessageKey; cell: (row: SessionFigures) => string }[] = [
  { key: "org.reports.col.startsAt", cell: (row) => formatDateTime(row.startsAt, row.timeZone) },
  { key: "org.reports.col.title", cell: (row) => row.title },
  { key: "org.reports.col.state", cell: (row) => t(row.state === "live" ? "org.state.live" : "org.state.ended") },
  { key: "org.reports.col.host", cell: (row) => row.hostAgency.name },
  { key: "org.reports.col.invited", cell: (row) => String(row.invitedAgencies) },
  { key: "org.reports.col.attended", cell: (row) => String(row.agenciesAttended) },
  { key: "org.reports.col.screens", cell: (row) => String(row.screens) },
  { key: "org.reports.col.people", cell: (row) => String(row.people) },
  { key: "org.reports.col.minutes", cell: (row) => String(row.minutes) },
  { key: "org.reports.col.questions", cell: (row) => String(row.questions) },
  { key: "org.reports.col.feedback", cell: (row) => String(row.feedbackResponses) },
  { key: "org.reports.col.rating", cell: (row) => (row.overallRating === null ? t("common.none") : row.overallRating.toFixed(2)) },
];

/** Past and current sessions with their figures, filtered by agency, city and dates, and exported together. */
export function renderSessionsReport(key: string, container: HTMLElement, errors: ErrorBox): void {
  const agency = h("select", { className: "report-agency", attrs: { id: "report-agency" } });
  const city = h("input", { className: "report-city", attrs: { id: "report-city", type: "text", list: "report-cities" } });
  const cities = h("datalist", { attrs: { id: "report-cities" } });
  const from = h("input", { className: "report-from", attrs: { id: "report-from", type: "date" } });
  const to = h("input", { className: "report-to", attrs: { id: "report-to", type: "date" } });
  const show = h("button", { className: "primary report-show", attrs: { type: "submit" } });
  setText(show, "org.reports.show");
  const field = (id: string, labelKey: MessageKey, input: HTMLElement) => {
    const label = h("label", { attrs: { for: id } });
    setText(label, labelKey);
    return h("div", { className: "field" }, label, input);
  };
  const form = h(
    "form",
    { className: "report-filters field-row", attrs: { novalidate: "" } },
    field("report-agency", "org.reports.agency", agency),
    field("report-city", "org.reports.city", h("span", {}, city, cities)),
    field("report-from", "org.reports.from", from),
    field("report-to", "org.reports.to", to),
    h("div", { className: "field" }, show),
  );

  let agencies: Agency[] = [];
  let report: SessionsReport | null = null;
  const filter = (): SessionsFilter => ({
    agencyId: agency.value ? Number(agency.value) : undefined,
    city: city.value.trim() || undefined,
    from: from.value || undefined,
    to: to.value || undefined,
  });

  const refreshers: (() => void)[] = [];
  const refreshLinks = () => refreshers.forEach((refresh) => refresh());
  const lang = langSelect("report-lang", refreshLinks);
  const langLabel = h("label");
  setText(langLabel, "org.exports.lang");
  langLabel.append(" ", lang);
  const exportLinks = (["xlsx", "csv"] as const).map((format) =>
    fileLink(key, errors, refreshers, `report-export report-${format}`, () => sessionsReportPath(filter(), format, lang.value as Lang),
      () => t(format === "xlsx" ? "org.reports.xlsx" : "org.reports.csv"), `sessions.${format}`),
  );
  const results = h("div", { className: "report-results" });
  container.replaceChildren(form, h("div", { className: "actions" }, langLabel, ...exportLinks), results);

  function renderAgencies(): void {
    const chosen = agency.value;
    const any = h("option", { attrs: { value: "" } });
    setText(any, "org.reports.anyAgency");
    agency.replaceChildren(
      any,
      ...agencies.map((a) => {
        const option = h("option", { attrs: { value: String(a.id) } });
        setText(option, "agency.option", { name: a.name, city: a.city });
        return option;
      }),
    );
    agency.value = agencies.some((a) => String(a.id) === chosen) ? chosen : "";
    cities.replaceChildren(...[...new Set(agencies.map((a) => a.city))].map((c) => h("option", { attrs: { value: c } })));
  }

  function renderResults(): void {
    refreshLinks();
    if (!report) {
      results.replaceChildren();
      return;
    }
    const totals = h("p", { className: "report-totals" });
    setText(totals, "org.reports.totals", { ...report.totals });
    if (report.sessions.length === 0) {
      const empty = h("p", { className: "placeholder small" });
      setText(empty, "org.reports.empty");
      results.replaceChildren(empty);
      return;
    }
    const head = h(
      "tr",
      {},
      ...reportColumns.map((column) => {
        const th = h("th", { attrs: { scope: "col" } });
        setText(th, column.key);
        return th;
      }),
    );
    const body = report.sessions.map((row) =>
      h("tr", { dataset: { sessionId: String(row.sessionId) } }, ...reportColumns.map((column) => h("td", { text: column.cell(row) }))),
    );
    results.replaceChildren(
      totals,
      h("div", { className: "table-wrap" }, h("table", { className: "table report-table" }, h("thead", {}, head), h("tbody", {}, ...body))),
    );
  }

  async function load(): Promise<void> {
    errors.clear();
    show.disabled = true;
    try {
      [agencies, report] = await Promise.all([listAgencies(key), getSessionsReport(key, filter())]);
      renderAgencies();
      renderResults();
    } catch (error) {
      errors.show(error);
    } finally {
      show.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  for (const input of [agency, city, from, to]) input.addEventListener("change", refreshLinks);
  onLangChange(() => {
    renderAgencies();
    renderResults();
  });
  void load();
}

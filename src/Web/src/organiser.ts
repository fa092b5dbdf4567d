import "./style.css";
import {
  createAgency,
  endSession,
  getAttendance,
  getReception,
  listAgencies,
  listSessions,
  removeParticipant,
  scheduleSession,
  type Agency,
  type AttendanceRow,
  type SessionScheduled,
} from "./api";
import { ParticipantRoles, type ReceptionSummary } from "./contract";
import { byId, copyButton, h, StatusLine, wireCopyButton } from "./dom";
import { ErrorBox } from "./errors";
import { renderInvitations } from "./organiser-invitations";
import { moderationControls } from "./organiser-moderation";
import { formatDateTime, formatTime, initI18n, onLangChange, setText, t, type MessageKey } from "./i18n";
import { forgetFeedbackPanel, renderFeedbackPanel } from "./organiser-feedback";
import { certificatesSection } from "./organiser-certificates";
import { StorageKeys, takeSecretFromFragment } from "./storage";
import { renderSessionDownloads, renderSessionsReport } from "./organiser-reports";
import { mountAgenda } from "./agenda";
import { applyLimits, fits } from "./limits";
import { cancelButton, openButton, sessionEditor, type EditorContext } from "./organiser-edit";
import { retentionAfterTheEnd } from "./organiser-notice";

initI18n();
const errors = ErrorBox.forPage();

const attendanceRefreshMs = 10_000;

const key = takeSecretFromFragment("key", StorageKeys.organiserKey);
if (!key) {
  errors.showMessage("org.noKey");
  for (const form of document.querySelectorAll("form")) form.inert = true;
} else {
  startOrganiser(key);
}

/** "2020-03-16T14:00" for a datetime-local input, in the browser's own time zone. */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}

function absolute(relativeLink: string): string {
  return new URL(relativeLink, window.location.origin).href;
}

function startOrganiser(key: string): void {
  let agencies: Agency[] = [];
  let sessions: SessionScheduled[] = [];
  /** Sessions whose invitations panel is shown. */
  const openInvitations = new Set<number>();
  /** Sessions whose attendance is shown, with the rows last fetched (null while the first fetch runs). */
  const openAttendance = new Map<number, { rows: AttendanceRow[] | null; updatedAt: Date | null; reception?: ReceptionSummary | null }>();
  /** Sessions whose feedback panel is shown (organiser-feedback.ts). */
  const openFeedback = new Set<number>();
  /** Sessions whose edit panel is open (kept open across re-renders). */
  const openEditors = new Set<number>();
  const editing: EditorContext = {
    key,
    agencies: () => agencies,
    errors,
    updated: (changed) => {
      sessions = sessions.map((s) => (s.id === changed.id ? changed : s));
      renderSessions();
    },
  };

  // --- Agencies ---------------------------------------------------------------------------------
  const agencyRows = byId("agency-rows");
  const agencyForm = byId<HTMLFormElement>("agency-form");
  const agencyName = byId<HTMLInputElement>("agency-name");
  const agencyCity = byId<HTMLInputElement>("agency-city");
  const agencyProvince = byId<HTMLInputElement>("agency-province");
  const createAgencyButton = byId<HTMLButtonElement>("create-agency");
  const agencyStatus = new StatusLine(byId("agency-status"));

  function renderAgencies(): void {
    agencyRows.replaceChildren(
      ...agencies.map((agency) =>
        h(
          "tr",
          { dataset: { agencyId: String(agency.id) } },
          h("td", { text: agency.name }),
          h("td", { text: agency.city }),
          h("td", { text: agency.province }),
        ),
      ),
    );
    byId("no-agencies").hidden = agencies.length > 0;
    renderHostAgencies();
    renderInvitedAgencies();
  }

  agencyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    agencyStatus.set(null);
    const agency = { name: agencyName.value.trim(), city: agencyCity.value.trim(), province: agencyProvince.value.trim() };
    const within = (text: string, max: number) => text.length >= 1 && text.length <= max;
    if (!within(agency.name, 100) || !within(agency.city, 50) || !within(agency.province, 50)) {
      errors.showMessage("org.agency.invalid");
      return;
    }
    createAgencyButton.disabled = true;
    try {
      const created = await createAgency(key, agency);
      agencies = [...agencies, created];
      renderAgencies();
      agencyForm.reset();
      agencyStatus.set(() => t("org.agency.created", { name: created.name }));
      agencyName.focus();
    } catch (error) {
      errors.show(error);
    } finally {
      createAgencyButton.disabled = false;
    }
  });

  // --- Scheduling -------------------------------------------------------------------------------
  const scheduleForm = byId<HTMLFormElement>("schedule-form");
  const titleInput = byId<HTMLInputElement>("session-title-input");
  const descriptionInput = byId<HTMLTextAreaElement>("session-description");
  const hostSelect = byId<HTMLSelectElement>("host-agency");
  const invitedList = byId("invited-agency-list");
  const startsAt = byId<HTMLInputElement>("starts-at");
  const endsAt = byId<HTMLInputElement>("ends-at");
  const timeZone = byId<HTMLInputElement>("time-zone");
  const scheduleButton = byId<HTMLButtonElement>("schedule");

  timeZone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai";
  const nextHour = new Date();
  nextHour.setHours(nextHour.getHours() + 1, 0, 0, 0);
  startsAt.value = localInputValue(nextHour);
  endsAt.value = localInputValue(new Date(nextHour.getTime() + 2 * 60 * 60 * 1000));
  // Keep the end after the start when the start moves.
  let lastStart = startsAt.value;
  startsAt.addEventListener("change", () => {
    const previousStart = Date.parse(lastStart);
    const previousEnd = Date.parse(endsAt.value);
    const start = Date.parse(startsAt.value);
    if (!Number.isNaN(start) && !Number.isNaN(previousStart) && !Number.isNaN(previousEnd)) {
      endsAt.value = localInputValue(new Date(start + Math.max(previousEnd - previousStart, 30 * 60 * 1000)));
    }
    lastStart = startsAt.value;
  });

  function renderHostAgencies(): void {
    const chosen = hostSelect.value;
    const placeholder = h("option", { attrs: { value: "" } });
    setText(placeholder, "org.schedule.chooseHost");
    placeholder.disabled = true;
    const options = agencies.map((agency) => {
      const option = h("option", { attrs: { value: String(agency.id) } });
      setText(option, "agency.option", { name: agency.name, city: agency.city });
      return option;
    });
    hostSelect.replaceChildren(placeholder, ...options);
    hostSelect.value = agencies.some((agency) => String(agency.id) === chosen) ? chosen : "";
    if (!hostSelect.value) placeholder.selected = true;
  }

  function renderInvitedAgencies(): void {
    const checked = new Set(invitedBoxes().filter((box) => box.checked).map((box) => box.value));
    invitedList.replaceChildren(
      ...agencies.map((agency) => {
        const box = h("input", { attrs: { type: "checkbox", name: "invited", value: String(agency.id), id: `invite-${agency.id}` } });
        box.checked = checked.has(String(agency.id));
        const label = h("label", { className: "check", attrs: { for: box.id } });
        setText(label, "agency.option", { name: agency.name, city: agency.city });
        return h("div", { className: "check-row" }, box, label);
      }),
    );
    byId("no-invitable").hidden = agencies.length > 0;
    syncHostWithInvited();
  }

  function invitedBoxes(): HTMLInputElement[] {
    return [...invitedList.querySelectorAll<HTMLInputElement>("input[name=invited]")];
  }

  // The host agency presents through its host link; it is not also one of the invited audiences.
  function syncHostWithInvited(): void {
    for (const box of invitedBoxes()) {
      const isHost = box.value === hostSelect.value;
      box.disabled = isHost;
      if (isHost) box.checked = false;
    }
  }
  hostSelect.addEventListener("change", syncHostWithInvited);

  const resultBox = byId("schedule-result");
  const resultHostLink = byId<HTMLAnchorElement>("result-host-link");
  const resultViewerLink = byId<HTMLAnchorElement>("result-viewer-link");
  wireCopyButton(byId<HTMLButtonElement>("copy-host-link"), () => resultHostLink.href, resultHostLink);
  wireCopyButton(byId<HTMLButtonElement>("copy-result-viewer-link"), () => resultViewerLink.href, resultViewerLink);

  function showResult(session: SessionScheduled): void {
    setText(byId("result-title"), "org.result.heading", { title: session.title });
    byId("result-code").textContent = session.code;
    for (const [link, relative] of [
      [resultHostLink, session.hostLink],
      [resultViewerLink, session.viewerLink],
    ] as const) {
      link.href = absolute(relative);
      link.textContent = link.href;
    }
    resultBox.hidden = false;
    resultBox.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function failSchedule(input: HTMLElement, message: MessageKey): void {
    errors.showMessage(message);
    input.focus();
  }

  scheduleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    const title = titleInput.value.trim();
    const description = descriptionInput.value.trim();
    const zone = timeZone.value.trim();
    if (title.length < 1 || !fits(titleInput, title.length) || !fits(descriptionInput, description.length)) return failSchedule(titleInput, "org.schedule.titleInvalid");
    if (!hostSelect.value) return failSchedule(hostSelect, "org.schedule.hostRequired");
    if (!startsAt.value || !endsAt.value) return failSchedule(startsAt.value ? endsAt : startsAt, "org.schedule.timesRequired");
    // Same fixed format on both sides, so comparing the strings compares the times.
    if (endsAt.value <= startsAt.value) return failSchedule(endsAt, "org.schedule.endBeforeStart");
    if (!zone || !isValidTimeZone(zone)) return failSchedule(timeZone, "org.schedule.timeZoneInvalid");

    scheduleButton.disabled = true;
    try {
      const session = await scheduleSession(key, {
        title,
        description,
        hostAgencyId: Number(hostSelect.value),
        invitedAgencyIds: invitedBoxes()
          .filter((box) => box.checked && !box.disabled)
          .map((box) => Number(box.value)),
        startsAt: startsAt.value,
        endsAt: endsAt.value,
        timeZone: zone,
      });
      showResult(session);
      sessions = [session, ...sessions.filter((s) => s.id !== session.id)];
      renderSessions();
    } catch (error) {
      errors.show(error);
    } finally {
      scheduleButton.disabled = false;
    }
  });

  // --- Sessions and attendance ------------------------------------------------------------------
  const sessionList = byId("sessions");

  function linkLine(labelKey: MessageKey, relative: string, className: string): HTMLElement {
    const full = absolute(relative);
    const link = h("a", { className: `link ${className}`, text: full, attrs: { href: full, target: "_blank", rel: "noopener" } });
    const label = h("span");
    setText(label, labelKey);
    return h("p", { className: "link-line" }, label, " ", link, " ", copyButton(() => full, link));
  }

  function renderSession(session: SessionScheduled): HTMLElement {
    const time = h("p", { className: "meta" });
    setText(time, "org.session.time", {
      start: formatDateTime(session.startsAt, session.timeZone),
      end: formatDateTime(session.endsAt, session.timeZone),
      timeZone: session.timeZone,
    });
    const code = h("span", { className: "session-code" });
    setText(code, "org.session.code", { code: session.code });
    const host = h("span");
    setText(host, "org.session.host", { name: session.hostAgency?.name ?? "" });
    const invited = h("p", { className: "meta" });
    setText(invited, "org.session.invited", {
      names: session.invitedAgencies.length
        ? session.invitedAgencies.map((agency) => agency.name).join(t("org.session.listSeparator"))
        : t("common.none"),
    });

    const open = openAttendance.has(session.id);
    const toggle = h("button", { className: "attendance-toggle", attrs: { type: "button", "aria-expanded": String(open) } });
    setText(toggle, open ? "org.attendance.hide" : "org.attendance.show");
    const panel = h("div", { className: "attendance", attrs: { id: `attendance-${session.id}` } });
    toggle.setAttribute("aria-controls", panel.id);
    panel.hidden = !open;
    toggle.addEventListener("click", () => {
      if (openAttendance.has(session.id)) {
        openAttendance.delete(session.id);
        panel.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        setText(toggle, "org.attendance.show");
      } else {
        openAttendance.set(session.id, { rows: null, updatedAt: null });
        panel.hidden = false;
        toggle.setAttribute("aria-expanded", "true");
        setText(toggle, "org.attendance.hide");
        renderAttendance(session, panel);
        void refreshAttendance(session.id);
      }
    });

    // Attendance, questions (Excel, CSV per sheet) and the session report zip: organiser-reports.ts.
    const downloads = h("div", { className: "session-downloads" });
    renderSessionDownloads(key, session, downloads, errors);

    const state = h("span", { className: `state-badge state-${session.state}`, dataset: { state: session.state } });
    const known = ["scheduled", "open", "live", "ended", "cancelled"] as const;
    setText(state, `org.state.${known.find((k) => k === session.state) ?? "ended"}`);
    const end = h("button", { className: "end-session", attrs: { type: "button" } });
    setText(end, "org.session.end");
    end.hidden = session.state === "ended" || session.state === "cancelled";

    const editable = session.state !== "ended" && session.state !== "cancelled";
    const editToggle = h("button", { className: "edit-toggle", attrs: { type: "button", "aria-expanded": String(openEditors.has(session.id)) } });
    setText(editToggle, "org.session.edit");
    editToggle.hidden = !editable;
    const editPanel = h("div", { className: "edit-panel", attrs: { id: `edit-${session.id}` } });
    editToggle.setAttribute("aria-controls", editPanel.id);
    editPanel.hidden = !(editable && openEditors.has(session.id));
    if (!editPanel.hidden) editPanel.append(sessionEditor(editing, session));
    editToggle.addEventListener("click", () => {
      if (openEditors.delete(session.id)) {
        editPanel.hidden = true;
        editPanel.replaceChildren();
      } else {
        openEditors.add(session.id);
        editPanel.replaceChildren(sessionEditor(editing, session));
        editPanel.hidden = false;
      }
      editToggle.setAttribute("aria-expanded", String(!editPanel.hidden));
    });
    const agenda = h("section", { className: "agenda" });
    mountAgenda(agenda, session.timeZone, session.agenda, false);
    end.addEventListener("click", async () => {
      if (!window.confirm(t("org.session.endConfirm", { title: session.title }))) return;
      errors.clear();
      end.disabled = true;
      try {
        const ended = await endSession(key, session.id);
        sessions = sessions.map((s) => (s.id === ended.id ? ended : s));
        renderSessions();
      } catch (error) {
        end.disabled = false;
        errors.show(error);
      }
    });

    if (open) renderAttendance(session, panel);

    // Feedback: the form, its window and link, and the results (organiser-feedback.ts).
    const feedbackOpen = openFeedback.has(session.id);
    const feedbackToggle = h("button", { className: "feedback-toggle", attrs: { type: "button", "aria-expanded": String(feedbackOpen) } });
    setText(feedbackToggle, feedbackOpen ? "org.feedback.hide" : "org.feedback.show");
    const feedbackPanel = h("div", { className: "feedback-panel", attrs: { id: `feedback-${session.id}` } });
    feedbackToggle.setAttribute("aria-controls", feedbackPanel.id);
    feedbackPanel.hidden = !feedbackOpen;
    feedbackToggle.addEventListener("click", () => {
      const opening = !openFeedback.has(session.id);
      if (opening) openFeedback.add(session.id);
      else openFeedback.delete(session.id);
      feedbackPanel.hidden = !opening;
      feedbackToggle.setAttribute("aria-expanded", String(opening));
      setText(feedbackToggle, opening ? "org.feedback.hide" : "org.feedback.show");
      if (opening) renderFeedbackPanel(key, session, feedbackPanel);
      else {
        feedbackPanel.replaceChildren();
        forgetFeedbackPanel(session.id);
      }
    });
    if (feedbackOpen) renderFeedbackPanel(key, session, feedbackPanel);

    // Invitations per agency: links, QR codes, calendar files, texts, registration and who came.
    const invitationsOpen = openInvitations.has(session.id);
    const invitationsToggle = h("button", { className: "invitations-toggle", attrs: { type: "button", "aria-expanded": String(invitationsOpen) } });
    setText(invitationsToggle, invitationsOpen ? "org.invite.hide" : "org.invite.show");
    const invitationsPanel = h("div", { className: "invitations", attrs: { id: `invitations-${session.id}` } });
    invitationsToggle.setAttribute("aria-controls", invitationsPanel.id);
    invitationsPanel.hidden = !invitationsOpen;
    invitationsToggle.addEventListener("click", () => {
      const opening = !openInvitations.has(session.id);
      if (opening) openInvitations.add(session.id);
      else openInvitations.delete(session.id);
      invitationsPanel.hidden = !opening;
      invitationsToggle.setAttribute("aria-expanded", String(opening));
      setText(invitationsToggle, opening ? "org.invite.hide" : "org.invite.show");
      if (opening) renderInvitations(key, session, invitationsPanel);
    });
    if (invitationsOpen) renderInvitations(key, session, invitationsPanel);
    const certificates = certificatesSection(key, session);
    // --- Room rosters, consent and retention --- (the session editor has the notice before the end)
    const [retentionToggle, retentionPanel] = retentionAfterTheEnd(key, session, errors);
    return h(
      "article",
      { className: "session", dataset: { sessionId: String(session.id) } },
      h("h3", { text: session.title }, " ", state),
      time,
      h("p", { className: "meta" }, code, " · ", host),
      invited,
      linkLine("org.result.hostLink", session.hostLink, "host-link"),
      moderationControls(key, session, errors, (on) => (session.questionsNeedApproval = on)),
      linkLine("org.result.viewerLink", session.viewerLink, "viewer-link"),
      agenda,
      h("div", { className: "actions" }, toggle, invitationsToggle, editToggle, openButton(editing, session), end, cancelButton(editing, session), feedbackToggle, certificates.toggle, retentionToggle),
      downloads,
      editPanel,
      panel,
      invitationsPanel,
      feedbackPanel,
      certificates.panel,
      retentionPanel,
    );
  }

  function renderSessions(): void {
    const sorted = [...sessions].sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt));
    sessionList.replaceChildren(...sorted.map(renderSession));
    byId("no-sessions").hidden = sessions.length > 0;
  }

  const attendanceColumns: { key: MessageKey; cell: (row: AttendanceRow, timeZone: string) => string }[] = [
    { key: "org.attendance.col.agency", cell: (row) => row.agencyName },
    { key: "org.attendance.col.city", cell: (row) => row.city },
    { key: "org.attendance.col.displayName", cell: (row) => row.displayName },
    { key: "org.attendance.col.role", cell: (row) => (row.role === ParticipantRoles.Host ? t("role.host") : row.role === ParticipantRoles.Viewer ? t("role.viewer") : row.role === ParticipantRoles.Moderator ? t("role.moderator") : row.role) },
    { key: "org.attendance.col.headcount", cell: (row) => String(row.headcount) },
    { key: "org.attendance.col.firstJoinedAt", cell: (row, zone) => formatDateTime(row.firstJoinedAt, zone) },
    { key: "org.attendance.col.lastLeftAt", cell: (row, zone) => formatDateTime(row.lastLeftAt, zone) },
    { key: "org.attendance.col.minutesPresent", cell: (row) => String(row.minutesPresent) },
    { key: "org.attendance.col.joins", cell: (row) => String(row.joins) },
    { key: "org.attendance.col.connected", cell: (row) => t(row.connected ? "org.attendance.connected" : "org.attendance.notConnected") },
    // --- Room rosters ---
    { key: "org.attendance.col.room", cell: (row) => (row.room ?? []).join(t("org.session.listSeparator")) },
  ];

  function renderAttendance(session: SessionScheduled, panel: HTMLElement): void {
    const entry = openAttendance.get(session.id);
    const caption = h("p", { className: "attendance-caption" });
    setText(caption, "org.attendance.caption");
    if (!entry?.rows) {
      const loading = h("p", { className: "placeholder small" });
      setText(loading, "common.loading");
      panel.replaceChildren(caption, loading);
      return;
    }
    const rows = entry.rows;
    const connected = rows.filter((row) => row.connected);
    const summary = h("p", { className: "attendance-summary" });
    setText(summary, "org.attendance.summary", {
      agencies: new Set(connected.map((row) => row.agencyName)).size,
      people: connected.reduce((sum, row) => sum + row.headcount, 0),
      total: rows.length,
    });
    // Who is receiving the live video, per agency (as the host sees it).
    const reception = h("p", { className: "attendance-reception" });
    if (entry.reception && entry.reception.agenciesWatching > 0) {
      setText(reception, "video.receiving", { receiving: entry.reception.agenciesReceiving, watching: entry.reception.agenciesWatching });
    }
    reception.hidden = reception.textContent === "";
    const updated = h("p", { className: "hint attendance-updated" });
    if (entry.updatedAt) setText(updated, "org.attendance.updated", { time: formatTime(entry.updatedAt.toISOString()) });

    if (rows.length === 0) {
      const empty = h("p", { className: "placeholder small" });
      setText(empty, "org.attendance.empty");
      panel.replaceChildren(caption, empty, updated);
      return;
    }
    const head = h(
      "tr",
      {},
      ...attendanceColumns.map((column) => {
        const th = h("th", { attrs: { scope: "col" } });
        setText(th, column.key);
        return th;
      }),
      h("th", { attrs: { scope: "col" } }),
    );
    const body = rows.map((row) =>
      h(
        "tr",
        { className: row.connected ? "connected" : "", dataset: { participantId: String(row.participantId) } },
        ...attendanceColumns.map((column) => h("td", { text: column.cell(row, session.timeZone) })),
        h("td", {}, row.role === ParticipantRoles.Viewer ? removeButton(session, row) : ""),
      ),
    );
    panel.replaceChildren(
      caption,
      summary,
      reception,
      h("div", { className: "table-wrap" }, h("table", { className: "table attendance-table" }, h("thead", {}, head), h("tbody", {}, ...body))),
      updated,
    );
  }

  /** Removes a screen that should not be there (stuffing, abuse), with its questions and votes. */
  function removeButton(session: SessionScheduled, row: AttendanceRow): HTMLButtonElement {
    const button = h("button", { className: "remove-participant small", attrs: { type: "button" } });
    setText(button, "org.attendance.remove");
    button.addEventListener("click", async () => {
      if (!window.confirm(t("org.attendance.removeConfirm", { name: row.displayName, agency: row.agencyName }))) return;
      errors.clear();
      button.disabled = true;
      try {
        await removeParticipant(key, session.id, row.participantId);
        await refreshAttendance(session.id);
      } catch (error) {
        button.disabled = false;
        errors.show(error);
      }
    });
    return button;
  }

  async function refreshAttendance(sessionId: number): Promise<void> {
    try {
      const [rows, reception] = await Promise.all([getAttendance(key, sessionId), getReception(key, sessionId)]);
      const entry = openAttendance.get(sessionId);
      if (!entry) return; // Closed meanwhile.
      entry.rows = rows;
      entry.reception = reception;
      entry.updatedAt = new Date();
      const session = sessions.find((s) => s.id === sessionId);
      const panel = document.getElementById(`attendance-${sessionId}`);
      if (session && panel) renderAttendance(session, panel);
    } catch (error) {
      errors.show(error);
    }
  }

  window.setInterval(() => {
    if (document.hidden) return;
    for (const sessionId of openAttendance.keys()) void refreshAttendance(sessionId);
  }, attendanceRefreshMs);

  // --- Loading ----------------------------------------------------------------------------------
  async function load(): Promise<void> {
    errors.clear();
    try {
      [agencies, sessions] = await Promise.all([listAgencies(key), listSessions(key)]);
      renderAgencies();
      renderSessions();
    } catch (error) {
      errors.show(error);
    }
  }

  byId<HTMLButtonElement>("refresh-sessions").addEventListener("click", () => void load());
  renderSessionsReport(key, byId("sessions-report"), errors);
  // Dates and joined names are formatted per language, so those parts are rebuilt on a switch.
  onLangChange(renderSessions);
  renderAgencies();
  void applyLimits();
  void load();
}

import { noticeEditor } from "./organiser-notice";
import { cancelSession, editSession, openSession, setAgenda, type Agency, type AgendaEdit, type SessionScheduled } from "./api";
import { h, StatusLine } from "./dom";
import type { ErrorBox } from "./errors";
import { setText, t } from "./i18n";
import { applyLimits } from "./limits";

/** "2026-03-16T14:00" from the server's ISO time, which already carries the session zone's offset. */
export function wallClock(iso: string): string {
  return iso.slice(0, 16);
}

/** Adds minutes to a wall-clock "YYYY-MM-DDTHH:mm" (as plain arithmetic: the zone's offset doesn't matter here). */
function addMinutes(local: string, minutes: number): string {
  const date = new Date(`${local}:00Z`);
  date.setUTCMinutes(date.getUTCMinutes() + minutes);
  return date.toISOString().slice(0, 16);
}

export interface EditorContext {
  key: string;
  agencies: () => Agency[];
  errors: ErrorBox;
  /** The server's answer after an edit, agenda change or cancel. */
  updated: (session: SessionScheduled) => void;
}

/**
 * The organiser's edit panel for one session: its details (the same fields as scheduling) and its
 * agenda. Saving an edit reaches connected screens at once (SessionChanged) and raises the
 * invitation's calendar SEQUENCE.
 */
export function sessionEditor(context: EditorContext, session: SessionScheduled): HTMLElement {
  const { key, errors } = context;
  const statusLine = h("p", { className: "ok edit-status", attrs: { role: "status" } });
  const status = new StatusLine(statusLine);
  const field = (labelKey: Parameters<typeof setText>[1], input: HTMLElement) => {
    const label = h("label");
    setText(label, labelKey);
    return h("div", { className: "field" }, label, input);
  };

  // --- Details ---
  const title = h("input", { className: "edit-title", attrs: { type: "text", required: "" }, dataset: { limit: "sessionTitleMax" } });
  title.value = session.title;
  const description = h("textarea", { className: "edit-description", attrs: { rows: "3" }, dataset: { limit: "sessionDescriptionMax" } });
  description.value = session.description ?? "";
  const starts = h("input", { className: "edit-starts", attrs: { type: "datetime-local", required: "" } });
  starts.value = wallClock(session.startsAt);
  const ends = h("input", { className: "edit-ends", attrs: { type: "datetime-local", required: "" } });
  ends.value = wallClock(session.endsAt);
  const zone = h("input", { className: "edit-zone", attrs: { type: "text", required: "", spellcheck: "false" } });
  zone.value = session.timeZone;
  const host = h("select", { className: "edit-host" });
  const invited = h("div", { className: "edit-invited checkboxes" });
  for (const agency of context.agencies()) {
    host.append(h("option", { text: `${agency.name}（${agency.city}）`, attrs: { value: String(agency.id) } }));
    const box = h("input", { attrs: { type: "checkbox", value: String(agency.id) } });
    box.checked = session.invitedAgencies.some((a) => a.id === agency.id);
    invited.append(h("label", { className: "checkbox" }, box, " ", agency.name));
  }
  host.value = String(session.hostAgency.id);
  const save = h("button", { className: "primary save-session", attrs: { type: "submit" } });
  setText(save, "org.session.save");
  const details = h(
    "form",
    { className: "stack edit-details", attrs: { novalidate: "" } },
    field("org.schedule.title", title),
    field("org.schedule.description", description),
    h("div", { className: "field-row" }, field("org.schedule.startsAt", starts), field("org.schedule.endsAt", ends)),
    field("org.schedule.timeZone", zone),
    field("org.schedule.hostAgency", host),
    field("org.schedule.invited", invited),
    save,
  );
  details.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    save.disabled = true;
    try {
      const saved = await editSession(key, session.id, {
        title: title.value.trim(),
        description: description.value.trim(),
        hostAgencyId: Number(host.value),
        invitedAgencyIds: [...invited.querySelectorAll<HTMLInputElement>("input:checked")].map((box) => Number(box.value)),
        startsAt: starts.value,
        endsAt: ends.value,
        timeZone: zone.value.trim(),
      });
      context.updated(saved);
      status.set(() => t("org.session.saved"));
    } catch (error) {
      errors.show(error);
    } finally {
      save.disabled = false;
    }
  });

  // --- Agenda ---
  const rows = h("tbody");
  const presenters = (): Agency[] => [session.hostAgency, ...session.invitedAgencies];
  const addRow = (part?: { title: string; agencyId: number | null; startsAt: string; endsAt: string }) => {
    const last = rows.lastElementChild?.querySelector<HTMLInputElement>(".agenda-ends")?.value;
    const start = part?.startsAt ?? last ?? wallClock(session.startsAt);
    const partTitle = h("input", { className: "agenda-title-input", attrs: { type: "text", required: "" }, dataset: { limit: "agendaTitleMax" } });
    partTitle.value = part?.title ?? "";
    partTitle.setAttribute("aria-label", t("org.agenda.title"));
    const agency = h("select", { className: "agenda-agency-select" }, h("option", { text: t("org.agenda.noAgency"), attrs: { value: "" } }));
    for (const a of presenters()) agency.append(h("option", { text: a.name, attrs: { value: String(a.id) } }));
    agency.value = part?.agencyId ? String(part.agencyId) : "";
    const from = h("input", { className: "agenda-starts", attrs: { type: "datetime-local" } });
    from.value = start;
    const to = h("input", { className: "agenda-ends", attrs: { type: "datetime-local" } });
    to.value = part?.endsAt ?? addMinutes(start, 30);
    const remove = h("button", { className: "agenda-remove", attrs: { type: "button" } });
    setText(remove, "org.agenda.remove");
    const row = h("tr", {}, h("td", {}, partTitle), h("td", {}, agency), h("td", {}, from), h("td", {}, to), h("td", {}, remove));
    remove.addEventListener("click", () => row.remove());
    rows.append(row);
    void applyLimits(row);
  };
  for (const part of session.agenda) {
    addRow({ title: part.title, agencyId: part.agencyId, startsAt: wallClock(part.startsAt), endsAt: wallClock(part.endsAt) });
  }
  const head = h("tr");
  for (const k of ["org.agenda.title", "org.agenda.agency", "org.agenda.startsAt", "org.agenda.endsAt"] as const) {
    const th = h("th", { attrs: { scope: "col" } });
    setText(th, k);
    head.append(th);
  }
  head.append(h("th"));
  const add = h("button", { className: "agenda-add", attrs: { type: "button" } });
  setText(add, "org.agenda.add");
  add.addEventListener("click", () => addRow());
  const saveAgenda = h("button", { className: "primary agenda-save", attrs: { type: "button" } });
  setText(saveAgenda, "org.agenda.save");
  saveAgenda.addEventListener("click", async () => {
    errors.clear();
    const body: AgendaEdit = {
      segments: [...rows.children].map((row) => ({
        title: row.querySelector<HTMLInputElement>(".agenda-title-input")!.value.trim(),
        agencyId: Number(row.querySelector<HTMLSelectElement>(".agenda-agency-select")!.value) || null,
        startsAt: row.querySelector<HTMLInputElement>(".agenda-starts")!.value,
        endsAt: row.querySelector<HTMLInputElement>(".agenda-ends")!.value,
      })),
    };
    saveAgenda.disabled = true;
    try {
      context.updated(await setAgenda(key, session.id, body));
      status.set(() => t("org.agenda.saved"));
    } catch (error) {
      errors.show(error);
    } finally {
      saveAgenda.disabled = false;
    }
  });
  const agendaHeading = h("h4");
  setText(agendaHeading, "org.agenda.heading");
  const agenda = h(
    "div",
    { className: "agenda-editor" },
    agendaHeading,
    h("div", { className: "table-wrap" }, h("table", { className: "table" }, h("thead", {}, head), rows)),
    h("div", { className: "actions" }, add, saveAgenda),
  );

  const heading = h("h4");
  setText(heading, "org.session.editHeading");
  void applyLimits(details);
  return h("div", { className: "session-editor" }, heading, details, agenda, statusLine, noticeEditor(key, session, errors));
}

/** "Open joining now": for a session whose joining has not opened yet (a test run, an early start). */
export function openButton(context: EditorContext, session: SessionScheduled): HTMLButtonElement {
  const button = h("button", { className: "open-session", attrs: { type: "button" } });
  setText(button, "org.session.openNow");
  button.hidden = session.state !== "scheduled";
  button.addEventListener("click", async () => {
    context.errors.clear();
    button.disabled = true;
    try {
      context.updated(await openSession(context.key, session.id));
    } catch (error) {
      button.disabled = false;
      context.errors.show(error);
    }
  });
  return button;
}

/** The Cancel button: asks first, then cancels for everyone. */
export function cancelButton(context: EditorContext, session: SessionScheduled): HTMLButtonElement {
  const button = h("button", { className: "cancel-session danger", attrs: { type: "button" } });
  setText(button, "org.session.cancel");
  button.hidden = session.state === "ended" || session.state === "cancelled";
  button.addEventListener("click", async () => {
    if (!window.confirm(t("org.session.cancelConfirm", { title: session.title }))) return;
    context.errors.clear();
    button.disabled = true;
    try {
      context.updated(await cancelSession(context.key, session.id));
    } catch (error) {
      button.disabled = false;
      context.errors.show(error);
    }
  });
  return button;
}

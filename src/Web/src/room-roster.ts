import { requestJson } from "./api";
import { HubMethods, ClientEvents, type RoomMemberInput, type RoomState } from "./contract";
import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { currentLang, onLangChange, setPlain, setText, t } from "./i18n";
import { limits } from "./limits";
import type { LiveSession } from "./live";
import { local } from "./storage";
import type * as Api from "./generated/api";

// Room rosters and consent (issue 10, points 4 and 5): the people in front of one screen, typed on the join
// page and edited in the viewer page; and the notice a viewer reads (and accepts by joining) before joining.

export type ConsentNotice = Api.ConsentNotice;

/** The last roster typed on this device: a team's own screen joins with the same people most weeks. */
const rosterKey = "lx.join.room";

/** One person per line: "姓名" or "姓名，职务" (a comma, the Chinese ， or 、, or a tab before the job title). */
export function parseRoster(text: string): RoomMemberInput[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const cut = line.search(/[,，、\t]/);
      if (cut < 0) return { name: line, jobTitle: null };
      const jobTitle = line.slice(cut + 1).trim();
      return { name: line.slice(0, cut).trim(), jobTitle: jobTitle || null };
    });
}

export function formatRoster(members: readonly { name: string; jobTitle?: string | null }[]): string {
  return members.map((m) => (m.jobTitle ? `${m.name}，${m.jobTitle}` : m.name)).join("\n");
}

/** The server's limits, checked before sending so a too-long list is explained at once (the server still decides). */
async function rosterProblem(members: RoomMemberInput[]): Promise<Parameters<typeof t>[0] | null> {
  let known: Api.Limits;
  try {
    known = await limits();
  } catch {
    return null;
  }
  if (known.roomMembersMax > 0 && members.length > known.roomMembersMax) return "error.room_roster_too_long";
  if (members.some((m) => m.name.length > known.roomNameMax || (m.jobTitle?.length ?? 0) > known.roomJobTitleMax)) return "error.room_name_invalid";
  const names = members.map((m) => m.name);
  if (new Set(names).size !== names.length) return "error.room_name_duplicate";
  return null;
}

function rosterField(id: string, labelKey: Parameters<typeof t>[0]): { field: HTMLElement; input: HTMLTextAreaElement; count: HTMLElement } {
  const label = h("label", { attrs: { for: id } });
  setText(label, labelKey);
  const input = h("textarea", { attrs: { id, rows: "4", spellcheck: "false", "aria-describedby": `${id}-hint` } });
  const hint = h("p", { className: "hint", attrs: { id: `${id}-hint` } });
  setText(hint, "room.hint");
  const count = h("p", { className: "room-count", attrs: { role: "status" } });
  return { field: h("div", { className: "field room-field" }, label, input, hint, count), input, count };
}

/**
 * The consent notice above a button that then reads "Accept and join": pressing it is the acceptance. The
 * button stays disabled until the notice is on screen (nothing to accept before that). The join page and the
 * feedback link's respondent form both use it.
 */
export function mountConsentNotice(button: HTMLButtonElement, acceptKey: "consent.acceptAndJoin" | "consent.acceptAndAnswer" = "consent.acceptAndJoin"): { show(code: string): Promise<void>; version(): number | null } {
  const text = h("p", { className: "consent-text", attrs: { id: "consent-text" } });
  const version = h("p", { className: "hint consent-version" });
  const heading = h("h3");
  setText(heading, "consent.heading");
  const notice = h("section", { className: "consent-notice", attrs: { id: "consent-notice", "aria-live": "polite" } }, heading, text, version);
  notice.hidden = true;
  button.before(notice);
  button.setAttribute("aria-describedby", "consent-text");
  button.disabled = true;

  let shown: ConsentNotice | null = null;
  const render = () => {
    if (!shown) return;
    setPlain(text, currentLang() === "en" ? shown.textEn : shown.textZh);
    setText(version, "consent.version", { version: shown.version, days: shown.retentionDays });
  };
  onLangChange(render);
  return {
    async show(code) {
      button.disabled = true;
      shown = await requestJson<ConsentNotice>(`/api/join/${encodeURIComponent(code)}/notice`);
      render();
      notice.hidden = false;
      setText(button, acceptKey);
      button.disabled = false;
    },
    version: () => shown?.version ?? null,
  };
}

export interface JoinPeople {
  /** Loads the session's notice (a new session, or the notice changed: consent_outdated). */
  showNotice(code: string): Promise<void>;
  /** The roster to send (null: none typed), or a message key when it breaks a limit. */
  roster(): Promise<{ room: RoomMemberInput[] | null } | { problem: Parameters<typeof t>[0] }>;
  /** The notice version shown, null until it has loaded (joining waits for it). */
  consentVersion(): number | null;
  remember(): void;
}

/**
 * The join page's part: a roster box (when it lists people, they are the headcount: the number field follows
 * it and cannot be changed) and the consent notice above the join button, which then reads "Accept and join".
 */
export function mountJoinPeople(form: HTMLFormElement, headcount: HTMLInputElement, joinButton: HTMLButtonElement): JoinPeople {
  const { field, input, count } = rosterField("room-roster", "room.joinLabel");
  input.value = local.get(rosterKey) ?? "";
  headcount.closest(".field")!.after(field);

  const consent = mountConsentNotice(joinButton);

  const follow = () => {
    const members = parseRoster(input.value);
    headcount.readOnly = members.length > 0;
    if (members.length > 0) headcount.value = String(members.length);
    count.hidden = members.length === 0;
    if (members.length > 0) setText(count, "room.count", { count: members.length });
  };
  input.addEventListener("input", follow);
  follow();

  form.addEventListener("submit", () => follow(), { capture: true });

  return {
    showNotice: (code) => consent.show(code),
    async roster() {
      const members = parseRoster(input.value);
      const problem = await rosterProblem(members);
      return problem ? { problem } : { room: members.length > 0 ? members : null };
    },
    consentVersion: () => consent.version(),
    remember: () => local.set(rosterKey, input.value.trim() || null),
  };
}

/**
 * The viewer page's "In the room" card: who is listed now, and the list to edit when someone arrives or
 * leaves. The server's RoomState (GetRoom on every snapshot, RoomChanged from this screen's other tabs) is
 * what it shows; the highest version wins.
 */
export function mountViewerRoom(before: HTMLElement, live: LiveSession, errors: Pick<ErrorBox, "show" | "clear" | "showMessage">): { refresh(): void } {
  const heading = h("h2");
  setText(heading, "room.heading");
  const summary = h("p", { className: "room-summary", attrs: { id: "room-summary", role: "status" } });
  const list = h("ul", { className: "room-members", attrs: { id: "room-members" } });
  const { field, input, count } = rosterField("room-edit", "room.editLabel");
  const save = h("button", { className: "primary", attrs: { type: "submit", id: "room-save" } });
  setText(save, "room.save");
  const saved = h("p", { className: "ok", attrs: { role: "status" } });
  saved.hidden = true;
  const form = h("form", { className: "room-form", attrs: { novalidate: "" } }, field, save, saved);
  const toggle = h("summary");
  setText(toggle, "room.edit");
  const details = h("details", { className: "room-details" }, toggle, form);
  const card = h("section", { className: "card room-card", attrs: { id: "room-card" } }, heading, summary, list, details);
  before.before(card);

  let state: RoomState | null = null;
  const show = (next: RoomState) => {
    if (state && next.version < state.version) return;
    const editing = details.open && document.activeElement === input;
    state = next;
    setText(summary, next.members.length > 0 ? "room.summary" : "room.summaryNone", { count: next.headcount });
    list.replaceChildren(...next.members.map((m) => h("li", { text: m.jobTitle ? `${m.name}（${m.jobTitle}）` : m.name })));
    if (!editing) input.value = formatRoster(next.members);
    count.hidden = true;
  };
  live.listen<RoomState>(ClientEvents.RoomChanged, show);
  input.addEventListener("input", () => {
    const n = parseRoster(input.value).length;
    count.hidden = false;
    setText(count, "room.count", { count: n });
    saved.hidden = true;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    const members = parseRoster(input.value);
    const problem = await rosterProblem(members);
    if (problem) return errors.showMessage(problem);
    save.disabled = true;
    try {
      show(await live.invoke(HubMethods.SetRoom, members));
      setText(saved, "room.saved");
      saved.hidden = false;
    } catch (error) {
      errors.show(error);
    } finally {
      save.disabled = false;
    }
  });

  return {
    refresh() {
      void live.invokeOnceStarted(HubMethods.GetRoom).then(show, (error: unknown) => errors.show(error));
    },
  };
}

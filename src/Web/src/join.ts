import { applyLimits, fits } from "./limits";
import { mountAgenda } from "./agenda";
import "./style.css";
import { joinSession, lookupSession, type JoinInfo } from "./api";
import { byId, h } from "./dom";
import { ErrorBox } from "./errors";
import { currentLang, formatDateTime, initI18n, onLangChange, setPlain, setText, type MessageKey } from "./i18n";
import { getInvitation, invitationCalendarPath, type Invitation } from "./invitations";
import { renderRegistration } from "./join-registration";
import { mountJoinPeople } from "./room-roster";
import { errorCode } from "./errors";
import { local, normaliseCode, StorageKeys } from "./storage";

initI18n();
const errors = ErrorBox.forPage();

const lookupForm = byId<HTMLFormElement>("lookup-form");
const codeInput = byId<HTMLInputElement>("code");
const lookupButton = byId<HTMLButtonElement>("lookup");
const codeHint = byId("code-hint");
const info = byId("session-info");
const joinForm = byId<HTMLFormElement>("join-form");
const agencySelect = byId<HTMLSelectElement>("agency");
const noAgencies = byId("no-agencies");
const displayNameInput = byId<HTMLInputElement>("display-name");
const headcountInput = byId<HTMLInputElement>("headcount");
const joinButton = byId<HTMLButtonElement>("join");
// --- Room rosters and consent ---
const people = mountJoinPeople(joinForm, headcountInput, joinButton);

// The join code alphabet of docs/api.md: no 0/O, 1/I/L.
const codePattern = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/;
const codeLength = 6;

let session: JoinInfo | null = null;

// Opened from an agency's invitation link (`/?invite=<token>`): the session and the agency are the
// invitation's, the agency cannot be changed, and the agency can register before the session.
const inviteToken = new URLSearchParams(window.location.search).get("invite")?.trim() || null;
let invitation: Invitation | null = null;
const registrationBox = byId("registration");
const calendarLink = byId<HTMLAnchorElement>("invite-calendar-link");

/** Upper-cases and strips spaces as the user types; a pasted viewer link gives its code. */
function cleanCode(raw: string): string {
  const fromLink = /[?&]code=([^&#\s]+)/i.exec(raw)?.[1];
  return normaliseCode(fromLink ?? raw).slice(0, codeLength);
}

codeInput.addEventListener("input", () => {
  const cleaned = cleanCode(codeInput.value);
  if (cleaned !== codeInput.value) codeInput.value = cleaned;
  codeInput.removeAttribute("aria-invalid");
  codeHint.classList.remove("invalid");
  if (session && cleaned !== session.code) hideSession();
});

function hideSession(): void {
  session = null;
  info.hidden = true;
  joinForm.hidden = true;
}

function renderSession(): void {
  if (!session) return;
  setPlain(byId("session-title"), session.title);
  setText(byId("session-host"), "join.host", { name: session.hostAgency.name, city: session.hostAgency.city });
  const description = byId("session-description");
  setPlain(description, session.description ?? "");
  description.hidden = !session.description;
  renderTime();
  renderAgencies();
  if (updateAgenda) updateAgenda(session.agenda, session.timeZone);
  else updateAgenda = mountAgenda(byId("agenda"), session.timeZone, session.agenda);
  info.hidden = false;
  // Before joining opens the page says when it does; after the end (or a cancel) it says so; either way no form.
  joinForm.hidden = session.state === "scheduled" || session.state === "ended" || session.state === "cancelled";
  if (!joinForm.hidden) void people.showNotice(session.code).catch((error: unknown) => errors.show(error));
}

let updateAgenda: ((next: JoinInfo["agenda"], zone?: string) => void) | null = null;

// Times are shown in the session's own time zone, formatted for the current language.
function renderTime(): void {
  if (!session) return;
  setText(byId("session-time"), "join.time", {
    start: formatDateTime(session.startsAt, session.timeZone),
    end: formatDateTime(session.endsAt, session.timeZone),
  });
  const state = byId("session-state");
  state.hidden = session.state !== "scheduled" && session.state !== "ended" && session.state !== "cancelled";
  if (session.state === "scheduled") {
    setText(state, "join.opensAt", {
      time: formatDateTime(session.joinOpensAt, session.timeZone),
      start: formatDateTime(session.startsAt, session.timeZone),
    });
  } else if (session.state === "ended") {
    setText(state, "join.ended");
  } else if (session.state === "cancelled") {
    setText(state, "join.cancelled");
  }
  if (inviteToken) calendarLink.href = invitationCalendarPath(inviteToken, currentLang());
}

function renderAgencies(): void {
  if (!session) return;
  const chosen = invitation ? String(invitation.agency.id) : agencySelect.value || local.get(StorageKeys.lastAgencyId) || "";
  const placeholder = h("option", { attrs: { value: "" } });
  setText(placeholder, "join.agencyChoose");
  placeholder.disabled = true;
  const options = session.invitedAgencies.map((agency) => {
    const option = h("option", { attrs: { value: String(agency.id) } });
    setText(option, "agency.option", { name: agency.name, city: agency.city });
    return option;
  });
  agencySelect.replaceChildren(placeholder, ...options);
  const known = session.invitedAgencies.some((agency) => String(agency.id) === chosen);
  agencySelect.value = known ? chosen : "";
  if (!known) placeholder.selected = true;
  noAgencies.hidden = session.invitedAgencies.length > 0;
  // An invitation's agency is fixed: the link is that agency's.
  agencySelect.disabled = invitation !== null || session.invitedAgencies.length === 0;
}

// The date format depends on the language; everything else follows via data-i18n.
onLangChange(renderTime);

async function lookup(): Promise<void> {
  errors.clear();
  const code = cleanCode(codeInput.value);
  codeInput.value = code;
  if (!codePattern.test(code)) {
    codeInput.setAttribute("aria-invalid", "true");
    codeHint.classList.add("invalid");
    errors.showMessage("join.codeInvalid");
    codeInput.focus();
    return;
  }
  lookupButton.disabled = true;
  setText(lookupButton, "join.looking");
  try {
    session = await lookupSession(code);
    session = { ...session, code: normaliseCode(session.code || code) };
    renderSession();
    const url = new URL(window.location.href);
    url.searchParams.set("code", session.code);
    history.replaceState(history.state, "", url);
    (agencySelect.value ? displayNameInput : agencySelect).focus();
  } catch (error) {
    hideSession();
    errors.show(error);
  } finally {
    lookupButton.disabled = false;
    setText(lookupButton, "join.lookup");
  }
}

lookupForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void lookup();
});

function invalid(input: HTMLElement, key: MessageKey): void {
  input.setAttribute("aria-invalid", "true");
  errors.showMessage(key);
  input.focus();
}

joinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!session) return;
  errors.clear();
  for (const input of [agencySelect, displayNameInput, headcountInput]) input.removeAttribute("aria-invalid");

  // The server's limits (applied from /api/limits) so mistakes show at once; the server still decides.
  const agencyId = Number(agencySelect.value);
  const displayName = displayNameInput.value.trim();
  const headcount = Number(headcountInput.value);
  if (!agencySelect.value || !Number.isInteger(agencyId)) return invalid(agencySelect, "join.agencyRequired");
  if (displayName.length < 1 || !fits(displayNameInput, displayName.length)) return invalid(displayNameInput, "join.displayNameInvalid");
  if (!Number.isInteger(headcount) || headcount < 1 || (headcountInput.max !== "" && headcount > Number(headcountInput.max))) return invalid(headcountInput, "join.headcountInvalid");

  const checkedRoom = await people.roster();
  if ("problem" in checkedRoom) return errors.showMessage(checkedRoom.problem);
  const consentVersion = people.consentVersion();
  if (consentVersion === null) return;

  const code = session.code;
  const previousToken = local.get(StorageKeys.participant(code));
  joinButton.disabled = true;
  setText(joinButton, "join.joining");
  try {
    const joined = await joinSession({
      code,
      agencyId,
      displayName,
      headcount,
      participantToken: previousToken ?? null,
      inviteToken,
      room: checkedRoom.room,
      consentVersion,
    });
    const joinedCode = normaliseCode(joined.code || code);
    local.set(StorageKeys.participant(joinedCode), joined.participantToken);
    local.set(StorageKeys.lastDisplayName, displayName);
    local.set(StorageKeys.lastAgencyId, String(agencyId));
    local.set(StorageKeys.lastHeadcount, String(headcount));
    people.remember();
    window.location.assign(`/viewer.html?code=${encodeURIComponent(joinedCode)}`);
  } catch (error) {
    errors.show(error);
    joinButton.disabled = false;
    setText(joinButton, "consent.acceptAndJoin");
    // The organiser changed the notice since it was shown: show the new one, to be accepted again.
    if (errorCode(error) === "consent_outdated") void people.showNotice(code).catch((e: unknown) => errors.show(e));
  }
});

// Prefill from the last join on this device, then from the link.
displayNameInput.value = local.get(StorageKeys.lastDisplayName) ?? "";
const lastHeadcount = Number(local.get(StorageKeys.lastHeadcount));
headcountInput.value = Number.isInteger(lastHeadcount) && lastHeadcount >= 1 ? String(lastHeadcount) : "1";

async function loadInvitation(token: string): Promise<void> {
  lookupForm.hidden = true;
  try {
    const found = await getInvitation(token);
    invitation = found;
    setText(byId("join-intro"), "invite.intro", { agency: found.agency.name });
    // The session as the code shows it (agenda included), with only the invitation's agency to join as.
    const byCode = await lookupSession(found.code);
    session = { ...byCode, code: normaliseCode(byCode.code), invitedAgencies: [found.agency] };
    renderSession();
    byId("invite-calendar").hidden = found.state === "ended";
    showRegistration(token, found);
  } catch (error) {
    hideSession();
    errors.show(error);
  }
}

function showRegistration(token: string, shown: Invitation): void {
  renderRegistration(registrationBox, token, shown, errors, (registration) => {
    invitation = { ...shown, registration };
    showRegistration(token, invitation);
    byId("registration-saved").hidden = false;
  });
}

const linkedCode = cleanCode(new URLSearchParams(window.location.search).get("code") ?? "");
if (inviteToken) {
  void loadInvitation(inviteToken);
} else if (linkedCode) {
  codeInput.value = linkedCode;
  void lookup();
} else {
  codeInput.focus();
}

void applyLimits();

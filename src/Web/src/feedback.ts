import "./style.css";
import { byId, h } from "./dom";
import { ErrorBox, errorCode } from "./errors";
import { addFeedbackRespondent, getFeedbackInvitation, type FeedbackInvitation } from "./feedback-api";
import { mountFeedbackForm } from "./feedback-form";
import { formatDateTime, initI18n, setPlain, setText, t } from "./i18n";
import { applyLimits, fits } from "./limits";
import { local, normaliseCode, StorageKeys } from "./storage";
import { mountConsentNotice } from "./room-roster";

// /feedback.html?code=<join code>: a screen that joined answers with the token it keeps; anyone else
// from an invited agency names their agency, themselves and their headcount first.

initI18n();
const errors = ErrorBox.forPage();
const code = normaliseCode(new URLSearchParams(window.location.search).get("code"));
const panel = byId("feedback");
const respondentForm = byId<HTMLFormElement>("respondent-form");
const agencySelect = byId<HTMLSelectElement>("agency");
const displayNameInput = byId<HTMLInputElement>("display-name");
const headcountInput = byId<HTMLInputElement>("headcount");
const submit = byId<HTMLButtonElement>("respondent-submit");
// --- Consent --- A respondent is recorded as a joining screen is: it reads and accepts the same notice.
const consent = mountConsentNotice(submit, "consent.acceptAndAnswer");

async function answerWith(invitation: FeedbackInvitation, token: string): Promise<void> {
  respondentForm.hidden = true;
  panel.hidden = false;
  try {
    await mountFeedbackForm({ container: panel, code: invitation.code, token, errors, invitation });
  } catch (error) {
    // A token from another time (the session was reset) or a removed screen: start over as a respondent.
    if (errorCode(error) === "unauthorised") {
      local.set(StorageKeys.participant(invitation.code), null);
      errors.clear();
      showRespondentForm(invitation);
    }
  }
}

function showRespondentForm(invitation: FeedbackInvitation): void {
  panel.hidden = true;
  if (invitation.window.state !== "open") {
    panel.hidden = false;
    const state = h("p", { className: "session-state" });
    if (invitation.window.state === "cancelled") setText(state, "error.session_cancelled");
    else if (invitation.window.state === "not_open") setText(state, "feedback.notOpen", { time: formatDateTime(invitation.window.opensAt, invitation.timeZone) });
    else setText(state, "feedback.closed", { time: formatDateTime(invitation.window.closesAt, invitation.timeZone) });
    panel.replaceChildren(state);
    return;
  }
  const placeholder = h("option", { attrs: { value: "" } });
  setText(placeholder, "join.agencyChoose");
  placeholder.disabled = true;
  const remembered = local.get(StorageKeys.lastAgencyId) ?? "";
  agencySelect.replaceChildren(
    placeholder,
    ...invitation.invitedAgencies.map((agency) => {
      const option = h("option", { attrs: { value: String(agency.id) } });
      setText(option, "agency.option", { name: agency.name, city: agency.city });
      return option;
    }),
  );
  agencySelect.value = invitation.invitedAgencies.some((a) => String(a.id) === remembered) ? remembered : "";
  if (!agencySelect.value) placeholder.selected = true;
  displayNameInput.value = local.get(StorageKeys.lastDisplayName) ?? "";
  respondentForm.hidden = false;
  void consent.show(invitation.code).catch((error: unknown) => errors.show(error));

  respondentForm.onsubmit = async (event) => {
    event.preventDefault();
    errors.clear();
    const agencyId = Number(agencySelect.value);
    const displayName = displayNameInput.value.trim();
    const headcount = Number(headcountInput.value);
    if (!agencySelect.value) return errors.showMessage("join.agencyRequired");
    if (displayName.length < 1 || !fits(displayNameInput, displayName.length)) return errors.showMessage("join.displayNameInvalid");
    if (!Number.isInteger(headcount) || headcount < 1 || headcount > invitation.limits.speaksForMax) return errors.showMessage("join.headcountInvalid");
    const consentVersion = consent.version();
    if (consentVersion === null) return;
    submit.disabled = true;
    try {
      const joined = await addFeedbackRespondent(invitation.code, { agencyId, displayName, headcount, consentVersion });
      local.set(StorageKeys.participant(invitation.code), joined.participantToken);
      local.set(StorageKeys.lastDisplayName, displayName);
      local.set(StorageKeys.lastAgencyId, String(agencyId));
      await answerWith(invitation, joined.participantToken);
    } catch (error) {
      errors.show(error);
      if (errorCode(error) === "consent_outdated") void consent.show(invitation.code).catch((e: unknown) => errors.show(e));
    } finally {
      submit.disabled = false;
    }
  };
}

async function start(): Promise<void> {
  if (!code) {
    errors.showMessage("feedback.noCode");
    return;
  }
  let invitation: FeedbackInvitation;
  try {
    invitation = await getFeedbackInvitation(code);
  } catch (error) {
    errors.show(error);
    return;
  }
  setPlain(byId("session-title"), invitation.title);
  document.title = t("page.sessionTitle", { title: invitation.title });
  const token = local.get(StorageKeys.participant(invitation.code));
  if (token) await answerWith(invitation, token);
  else showRespondentForm(invitation);
}

void applyLimits();
void start();

import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { formatDateTime, setText, type MessageKey } from "./i18n";
import { register, type AgencyRegistration, type Invitation } from "./invitations";

/**
 * The registration part of the join page opened from an agency's invitation link: what the agency
 * registered, and while registration is open (until the start) a form to register or change it.
 * Limits come from the server with the invitation.
 */
export function renderRegistration(
  container: HTMLElement,
  token: string,
  invitation: Invitation,
  errors: ErrorBox,
  onSaved: (registration: AgencyRegistration) => void,
): void {
  const registration = invitation.registration;
  const heading = h("h2");
  setText(heading, "invite.register.heading");
  const summary = h("p", { className: "registration-summary" });
  if (registration) {
    setText(summary, "invite.register.done", {
      name: registration.contactName,
      people: registration.expectedHeadcount,
      screens: registration.screens,
    });
  } else {
    setText(summary, invitation.registrationOpen ? "invite.register.intro" : "invite.register.closed");
  }
  const deadline = h("p", { className: "hint" });
  if (invitation.registrationOpen) {
    setText(deadline, "invite.register.until", { time: formatDateTime(invitation.registrationClosesAt, invitation.timeZone) });
  }
  deadline.hidden = !invitation.registrationOpen;

  if (invitation.state === "cancelled" || (!invitation.registrationOpen && !registration)) {
    container.replaceChildren(heading, summary);
    container.hidden = invitation.state === "cancelled";
    return;
  }
  if (!invitation.registrationOpen) {
    container.replaceChildren(heading, summary);
    container.hidden = false;
    return;
  }

  const limits = invitation.limits;
  const field = (id: string, label: MessageKey, input: HTMLInputElement, hint?: HTMLElement) => {
    const labelElement = h("label", { attrs: { for: id } });
    setText(labelElement, label);
    input.id = id;
    return h("div", { className: "field" }, labelElement, input, ...(hint ? [hint] : []));
  };
  const contactName = h("input", { attrs: { type: "text", maxlength: String(limits.contactNameMax), autocomplete: "name", required: "" } });
  const contactPhone = h("input", { attrs: { type: "tel", maxlength: String(limits.contactPhoneMax), autocomplete: "tel", inputmode: "tel" } });
  const headcount = h("input", {
    attrs: { type: "number", inputmode: "numeric", min: "1", max: String(limits.expectedHeadcountMax), step: "1", required: "" },
  });
  const screens = h("input", { attrs: { type: "number", inputmode: "numeric", min: "1", max: String(limits.screensMax), step: "1", required: "" } });
  contactName.value = registration?.contactName ?? "";
  contactPhone.value = registration?.contactPhone ?? "";
  headcount.value = String(registration?.expectedHeadcount ?? 1);
  screens.value = String(registration?.screens ?? 1);
  const headcountHint = h("p", { className: "hint" });
  setText(headcountHint, "invite.register.headcountHint", { max: limits.expectedHeadcountMax });
  const screensHint = h("p", { className: "hint" });
  setText(screensHint, "invite.register.screensHint", { max: limits.screensMax });
  const submit = h("button", { className: "primary wide", attrs: { type: "submit", id: "register" } });
  setText(submit, registration ? "invite.register.update" : "invite.register.submit");

  const form = h(
    "form",
    { attrs: { id: "register-form", novalidate: "" } },
    field("contact-name", "invite.register.contactName", contactName),
    field("contact-phone", "invite.register.contactPhone", contactPhone),
    field("expected-headcount", "invite.register.expectedHeadcount", headcount, headcountHint),
    field("screens", "invite.register.screens", screens, screensHint),
    submit,
  );

  const invalid = (input: HTMLInputElement, key: MessageKey, params?: Record<string, number>) => {
    input.setAttribute("aria-invalid", "true");
    errors.showMessage(key, params);
    input.focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    for (const input of [contactName, contactPhone, headcount, screens]) input.removeAttribute("aria-invalid");
    const name = contactName.value.trim();
    const phone = contactPhone.value.trim();
    const people = Number(headcount.value);
    const screenCount = Number(screens.value);
    if (name.length < 1 || name.length > limits.contactNameMax) return invalid(contactName, "invite.register.contactNameInvalid", { max: limits.contactNameMax });
    if (phone && !/^\+?[0-9(][0-9 ()-]*$/.test(phone)) return invalid(contactPhone, "invite.register.contactPhoneInvalid");
    if (!Number.isInteger(people) || people < 1 || people > limits.expectedHeadcountMax) {
      return invalid(headcount, "invite.register.headcountHint", { max: limits.expectedHeadcountMax });
    }
    if (!Number.isInteger(screenCount) || screenCount < 1 || screenCount > limits.screensMax) {
      return invalid(screens, "invite.register.screensHint", { max: limits.screensMax });
    }
    submit.disabled = true;
    try {
      onSaved(await register(token, { contactName: name, contactPhone: phone || null, expectedHeadcount: people, screens: screenCount }));
    } catch (error) {
      errors.show(error);
      submit.disabled = false;
    }
  });

  container.replaceChildren(heading, summary, deadline, form);
  container.hidden = false;
}

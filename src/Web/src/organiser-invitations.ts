import type { SessionScheduled } from "./api";
import { copyButton, h, saveBlob } from "./dom";
import { ErrorBox } from "./errors";
import { formatDateTime, setText, t, type MessageKey } from "./i18n";
import {
  getInvitationFile,
  getInvitationText,
  listInvitations,
  setReminder,
  type AgencyStatus,
  type InvitationSummary,
  type SessionInvitations,
} from "./invitations";

const statusKeys: Record<AgencyStatus, MessageKey> = {
  invited: "org.invite.status.invited",
  registered: "org.invite.status.registered",
  attended: "org.invite.status.attended",
  absent: "org.invite.status.absent",
};


/**
 * The "Invitations" panel of one session on the organiser page: per invited agency its own link (copy,
 * QR code, calendar file), the invitation and reminder texts in Chinese and English to paste, its
 * registration and whether it came; and when the reminder is due. Everything comes from the server,
 * fetched with the organiser key (images and files as Blobs shown through object URLs).
 */
export function renderInvitations(key: string, session: SessionScheduled, container: HTMLElement): void {
  const errors = ErrorBox.forPage();
  let objectUrls: string[] = [];
  let current: SessionInvitations | null = null;

  const loading = h("p", { className: "placeholder small" });
  setText(loading, "common.loading");
  container.replaceChildren(loading);

  async function load(): Promise<void> {
    try {
      current = await listInvitations(key, session.id);
      render();
    } catch (error) {
      errors.show(error);
    }
  }

  function render(): void {
    if (!current || !container.isConnected) return;
    for (const url of objectUrls) URL.revokeObjectURL(url);
    objectUrls = [];
    const list = current;
    if (list.invitations.length === 0) {
      const empty = h("p", { className: "placeholder small" });
      setText(empty, "org.invite.none");
      container.replaceChildren(empty);
      return;
    }
    const counts = (status: AgencyStatus) => list.invitations.filter((i) => i.status === status).length;
    const summary = h("p", { className: "invitations-summary" });
    setText(summary, "org.invite.summary", {
      invited: list.invitations.length,
      registered: list.invitations.filter((i) => i.registration !== null).length,
      attended: counts("attended"),
      absent: counts("absent"),
    });
    container.replaceChildren(summary, reminderForm(list), ...list.invitations.map(agencyCard));
  }

  function reminderForm(list: SessionInvitations): HTMLElement {
    const input = h("input", {
      attrs: {
        type: "number",
        inputmode: "numeric",
        min: String(list.limits.minutesMin),
        max: String(list.limits.minutesMax),
        step: "1",
        id: `reminder-${session.id}`,
      },
    });
    input.value = String(list.reminderMinutes);
    const label = h("label", { attrs: { for: input.id } });
    setText(label, "org.invite.reminderLabel");
    const due = h("span", { className: "hint reminder-due" });
    setText(due, "org.invite.reminderDue", { time: formatDateTime(list.reminderDueAt, session.timeZone) });
    const saveButton = h("button", { className: "small", attrs: { type: "submit" } });
    setText(saveButton, "org.invite.reminderSave");
    const form = h("form", { className: "reminder-form row", attrs: { novalidate: "" } }, label, input, saveButton, due);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errors.clear();
      const minutes = Number(input.value);
      if (!Number.isInteger(minutes) || minutes < list.limits.minutesMin || minutes > list.limits.minutesMax) {
        input.setAttribute("aria-invalid", "true");
        errors.showMessage("org.invite.reminderInvalid", { min: list.limits.minutesMin, max: list.limits.minutesMax });
        return;
      }
      saveButton.disabled = true;
      try {
        await setReminder(key, session.id, minutes);
        await load();
      } catch (error) {
        errors.show(error);
        saveButton.disabled = false;
      }
    });
    return form;
  }

  function agencyCard(invitation: InvitationSummary): HTMLElement {
    const agency = invitation.agency;
    const status = h("span", { className: `state-badge invite-status status-${invitation.status}`, dataset: { status: invitation.status } });
    setText(status, statusKeys[invitation.status as AgencyStatus] ?? "org.invite.status.invited");

    const name = h("span");
    setText(name, "agency.option", { name: agency.name, city: agency.city });
    const registration = h("p", { className: "meta registration" });
    if (invitation.registration) {
      const r = invitation.registration;
      setText(registration, r.contactPhone ? "org.invite.registeredWithPhone" : "org.invite.registered", {
        name: r.contactName,
        phone: r.contactPhone ?? "",
        people: r.expectedHeadcount,
        screens: r.screens,
      });
    } else {
      setText(registration, "org.invite.notRegistered");
    }
    const attended = h("p", { className: "meta attended" });
    setText(attended, "org.invite.attended", { people: invitation.headcount, screens: invitation.screens, minutes: invitation.minutes });
    attended.hidden = invitation.status !== "attended";

    const link = h("a", { className: "link invitation-link", text: invitation.link, attrs: { href: invitation.link, target: "_blank", rel: "noopener" } });
    const linkLabel = h("span");
    setText(linkLabel, "org.invite.link");
    const linkLine = h("p", { className: "link-line" }, linkLabel, " ", link, " ", copyButton(() => invitation.link, link));

    const qr = h("img", { className: "qr", attrs: { width: "160", height: "160", alt: "" } });
    qr.alt = t("org.invite.qrAlt", { agency: agency.name });
    void getInvitationFile(key, session.id, agency.id, "qr.png")
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        objectUrls.push(url);
        qr.src = url;
      })
      .catch((error: unknown) => errors.show(error));

    const fileButton = (label: MessageKey, file: "qr.png" | "qr.svg" | "invitation.ics", lang: "zh" | "en", name: string) => {
      const button = h("button", { className: "small", attrs: { type: "button" }, dataset: { file, lang } });
      setText(button, label);
      button.addEventListener("click", async () => {
        errors.clear();
        try {
          saveBlob(await getInvitationFile(key, session.id, agency.id, file, lang), name);
        } catch (error) {
          errors.show(error);
        }
      });
      return button;
    };
    const files = h(
      "div",
      { className: "actions" },
      fileButton("org.invite.png", "qr.png", "zh", `invitation-${session.code}-${agency.id}.png`),
      fileButton("org.invite.svg", "qr.svg", "zh", `invitation-${session.code}-${agency.id}.svg`),
      fileButton("org.invite.icsZh", "invitation.ics", "zh", `invitation-${session.code}-${agency.id}-zh.ics`),
      fileButton("org.invite.icsEn", "invitation.ics", "en", `invitation-${session.code}-${agency.id}-en.ics`),
    );

    // Texts to paste: shown on demand, each with a copy button.
    const text = h("pre", { className: "invitation-text" });
    const textBox = h("div", { className: "invitation-text-box" });
    textBox.hidden = true;
    const textButton = (label: MessageKey, kind: "invitation" | "reminder", lang: "zh" | "en") => {
      const button = h("button", { className: "small", attrs: { type: "button" }, dataset: { kind, lang } });
      setText(button, label);
      button.addEventListener("click", async () => {
        errors.clear();
        try {
          const shown = await getInvitationText(key, session.id, agency.id, kind, lang);
          text.textContent = shown.text;
          textBox.replaceChildren(text, copyButton(() => shown.text, text));
          textBox.hidden = false;
        } catch (error) {
          errors.show(error);
        }
      });
      return button;
    };
    const texts = h(
      "div",
      { className: "actions" },
      textButton("org.invite.textZh", "invitation", "zh"),
      textButton("org.invite.textEn", "invitation", "en"),
      textButton("org.invite.reminderZh", "reminder", "zh"),
      textButton("org.invite.reminderEn", "reminder", "en"),
    );

    return h(
      "article",
      { className: "invitation", dataset: { agencyId: String(agency.id) } },
      h("div", { className: "invitation-qr" }, qr),
      h(
        "div",
        { className: "invitation-body" },
        h("h4", {}, name, " ", status),
        registration,
        attended,
        linkLine,
        files,
        texts,
        textBox,
      ),
    );
  }

  // The organiser page rebuilds its sessions on a language change and calls this again.
  void load();
}

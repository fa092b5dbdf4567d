// The organiser's Q&A moderation controls on a session card: whether questions need approval, and the
// moderator link (the host page in moderator mode) for a second person at the host agency.

import { requestJson, type ModerationSettings, type SessionScheduled } from "./api";
import { copyButton, h, StatusLine } from "./dom";
import type { ErrorBox } from "./errors";
import { setText, t } from "./i18n";

const setModeration = (key: string, sessionId: number, settings: ModerationSettings) =>
  requestJson<ModerationSettings>(`/api/sessions/${encodeURIComponent(String(sessionId))}/moderation`, { token: key, method: "PUT", json: settings });

/** The moderator link line and the approval toggle; `onSaved` gets the new setting. */
export function moderationControls(key: string, session: SessionScheduled, errors: ErrorBox, onSaved: (needApproval: boolean) => void): HTMLElement {
  const full = new URL(session.moderatorLink, window.location.origin).href;
  const link = h("a", { className: "link moderator-link", text: full, attrs: { href: full, target: "_blank", rel: "noopener" } });
  const label = h("span");
  setText(label, "org.moderation.linkLabel");
  const hint = h("p", { className: "hint" });
  setText(hint, "org.moderation.linkHint");

  const box = h("input", { className: "moderation-toggle", attrs: { type: "checkbox" } });
  box.checked = session.questionsNeedApproval;
  const toggleText = h("span");
  setText(toggleText, "org.moderation.toggle");
  const saved = h("span", { className: "ok small", attrs: { role: "status" } });
  const status = new StatusLine(saved);
  box.addEventListener("change", async () => {
    box.disabled = true;
    errors.clear();
    try {
      const result = await setModeration(key, session.id, { questionsNeedApproval: box.checked });
      box.checked = result.questionsNeedApproval;
      onSaved(result.questionsNeedApproval);
      status.set(() => t("org.moderation.saved"));
    } catch (error) {
      box.checked = !box.checked;
      errors.show(error);
    } finally {
      box.disabled = false;
    }
  });

  return h(
    "div",
    { className: "moderation-controls" },
    h("p", { className: "link-line" }, label, " ", link, " ", copyButton(() => full, link)),
    hint,
    h("label", { className: "row" }, box, " ", toggleText, " ", saved),
  );
}

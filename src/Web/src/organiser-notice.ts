import { requestJson, type SessionScheduled } from "./api";
import { h, StatusLine } from "./dom";
import type { ErrorBox } from "./errors";
import { setText, t } from "./i18n";
import { applyLimits } from "./limits";
import type { ConsentNotice } from "./room-roster";

// The organiser's consent notice and retention period for one session (issue 10, points 5 and 7), in the
// session editor: own words in Chinese and English (empty: the default notice), and the days personal data
// is kept after the session ends (empty: the deployment's default). Saving makes a new notice version:
// viewers who read the old one are asked to read it again before joining.

const noticePath = (sessionId: number) => `/api/sessions/${encodeURIComponent(String(sessionId))}/notice`;

export function noticeEditor(key: string, session: SessionScheduled, errors: Pick<ErrorBox, "show" | "clear">): HTMLElement {
  const heading = h("h4");
  setText(heading, "org.notice.heading");
  const hint = h("p", { className: "hint" });
  setText(hint, "org.notice.hint");
  const field = (labelKey: Parameters<typeof setText>[1], input: HTMLElement) => {
    const label = h("label");
    setText(label, labelKey);
    return h("div", { className: "field" }, label, input);
  };
  const textZh = h("textarea", { className: "notice-zh", attrs: { rows: "4" }, dataset: { limit: "consentTextMax" } });
  const textEn = h("textarea", { className: "notice-en", attrs: { rows: "4" }, dataset: { limit: "consentTextMax" } });
  const days = h("input", { className: "notice-days", attrs: { type: "number", min: "1", max: "3650", step: "1", inputmode: "numeric" } });
  const version = h("p", { className: "hint notice-version" });
  const save = h("button", { className: "primary notice-save", attrs: { type: "submit" } });
  setText(save, "org.notice.save");
  const statusLine = h("p", { className: "ok", attrs: { role: "status" } });
  const status = new StatusLine(statusLine);
  const form = h("form", { className: "stack notice-editor", attrs: { novalidate: "" } },
    heading, hint, field("org.notice.zh", textZh), field("org.notice.en", textEn), field("org.notice.days", days), version, save, statusLine);

  const show = (notice: ConsentNotice) => {
    textZh.value = notice.customZh ?? "";
    textEn.value = notice.customEn ?? "";
    textZh.placeholder = notice.custom ? "" : notice.textZh;
    textEn.placeholder = notice.custom ? "" : notice.textEn;
    days.value = String(notice.retentionDays);
    setText(version, "org.notice.version", { version: notice.version, days: notice.retentionDays });
  };
  // Nothing to type into until the notice is here: the load would overwrite what was typed meanwhile (a
  // retention period typed at once was saved as the old one).
  const editable = [textZh, textEn, days, save];
  for (const element of editable) element.disabled = true;
  void requestJson<ConsentNotice>(noticePath(session.id), { token: key }).then((notice) => {
    show(notice);
    for (const element of editable) element.disabled = false;
  }, (error: unknown) => errors.show(error));
  void applyLimits(form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    save.disabled = true;
    try {
      const retentionDays = days.value.trim() === "" ? null : Number(days.value);
      show(await requestJson<ConsentNotice>(noticePath(session.id), {
        token: key, method: "PUT", json: { textZh: textZh.value.trim(), textEn: textEn.value.trim(), retentionDays },
      }));
      status.set(() => t("org.notice.saved"));
    } catch (error) {
      errors.show(error);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

/**
 * After the session (the session editor is gone then), the organiser can still shorten or extend how long its
 * personal data is kept: a toggle opening the same editor. Returns the button and its panel.
 */
export function retentionAfterTheEnd(key: string, session: SessionScheduled, errors: Pick<ErrorBox, "show" | "clear">): [HTMLButtonElement, HTMLElement] {
  const toggle = h("button", { className: "notice-toggle", attrs: { type: "button", "aria-expanded": "false" } });
  setText(toggle, "org.notice.heading");
  const panel = h("div", { className: "notice-panel" });
  panel.hidden = true;
  const over = session.state === "ended" || session.state === "cancelled";
  toggle.hidden = !over;
  toggle.addEventListener("click", () => {
    const opening = panel.hidden;
    panel.replaceChildren(...(opening ? [noticeEditor(key, session, errors)] : []));
    panel.hidden = !opening;
    toggle.setAttribute("aria-expanded", String(opening));
  });
  return [toggle, panel];
}

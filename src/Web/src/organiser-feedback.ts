import type { SessionScheduled } from "./api";
import { copyButton, h, StatusLine } from "./dom";
import { ErrorBox } from "./errors";
import {
  closeFeedback,
  getFeedbackForm,
  getFeedbackResults,
  saveFeedbackForm,
  setFeedbackClosesAt,
  textIn,
  type FeedbackForm,
  type FeedbackKind,
  type FeedbackQuestionResult,
  type FeedbackResults,
} from "./feedback-api";
import { currentLang, formatDateTime, formatTime, setText, t, type MessageKey } from "./i18n";

// The organiser's feedback panel for one session: the window (closing time, close now), the link,
// results refreshing every few seconds while feedback is open, and the form editor (from the default).

const resultsRefreshMs = 5_000;
const kinds: FeedbackKind[] = ["rating", "single", "multiple", "text"];

interface PanelState {
  form: FeedbackForm | null;
  results: FeedbackResults | null;
  updatedAt: Date | null;
  /** The form being edited (kept across re-renders of the organiser page). */
  draft: DraftQuestion[] | null;
}

const panels = new Map<number, PanelState>();

/** A question being edited (sent as FeedbackQuestionInput). */
interface DraftQuestion {
  kind: FeedbackKind;
  textZh: string;
  textEn: string;
  required: boolean;
  options: { textZh: string; textEn: string }[];
}

function translated<K extends keyof HTMLElementTagNameMap>(tag: K, key: MessageKey, params?: Record<string, string | number>, className?: string) {
  const element = h(tag, { className });
  setText(element, key, params);
  return element;
}

function button(key: MessageKey, className: string, onClick: () => void): HTMLButtonElement {
  const element = h("button", { className, attrs: { type: "button" } });
  setText(element, key);
  element.addEventListener("click", onClick);
  return element;
}

/** Renders (or re-renders) the feedback panel of `session` into `container`, and keeps its results fresh. */
export function renderFeedbackPanel(key: string, session: SessionScheduled, container: HTMLElement): void {
  const errorElement = h("div", { className: "error", attrs: { role: "alert" } });
  const errors = new ErrorBox(errorElement);
  const state = panels.get(session.id) ?? { form: null, results: null, updatedAt: null, draft: null };
  panels.set(session.id, state);
  const windowBox = h("div", { className: "feedback-window" });
  const resultsBox = h("div", { className: "feedback-results" });
  const editorBox = h("details", { className: "feedback-editor" });
  const statusElement = h("p", { className: "ok", attrs: { role: "status" } });
  const status = new StatusLine(statusElement);
  container.replaceChildren(errorElement, statusElement, windowBox, resultsBox, editorBox);

  const draw = () => {
    drawWindow();
    drawResults();
    drawEditor();
  };

  async function load(): Promise<void> {
    try {
      const [form, results] = await Promise.all([getFeedbackForm(key, session.id), getFeedbackResults(key, session.id)]);
      state.form = form;
      state.results = results;
      state.updatedAt = new Date();
      if (!container.isConnected) return;
      draw();
    } catch (error) {
      errors.show(error);
    }
  }

  // --- Window and link ----------------------------------------------------------------------------
  function drawWindow(): void {
    const form = state.form;
    if (!form) {
      windowBox.replaceChildren(translated("p", "common.loading", undefined, "placeholder small"));
      return;
    }
    const w = state.results?.window ?? form.window;
    const zone = session.timeZone;
    const status =
      w.state === "cancelled"
        ? translated("p", "error.session_cancelled")
        : w.state === "not_open"
        ? translated("p", "org.feedback.notOpen", { opens: formatDateTime(w.opensAt, zone), closes: formatDateTime(w.closesAt, zone) })
        : w.state === "open"
          ? translated("p", "org.feedback.open", { closes: formatDateTime(w.closesAt, zone) })
          : translated("p", "org.feedback.closed", { closes: formatDateTime(w.closesAt, zone) });
    status.className = `feedback-state state-${w.state}`;

    // The server's times carry the session's offset, so their first 16 characters are its local time.
    const closesAt = h("input", { attrs: { type: "datetime-local", id: `feedback-closes-${session.id}` } });
    closesAt.value = w.closesAt.slice(0, 16);
    const label = translated("label", "org.feedback.closesAtLabel", { timeZone: zone });
    label.setAttribute("for", closesAt.id);
    const save = button("org.feedback.setClosesAt", "small", () =>
      void changeWindow(() => setFeedbackClosesAt(key, session.id, closesAt.value || null)),
    );
    const reset = button("org.feedback.defaultClosesAt", "small", () => void changeWindow(() => setFeedbackClosesAt(key, session.id, null)));
    reset.hidden = !w.closesAtSet;
    const close = button("org.feedback.closeNow", "small close-feedback", () => {
      if (window.confirm(t("org.feedback.closeConfirm"))) void changeWindow(() => closeFeedback(key, session.id));
    });
    close.hidden = w.state === "closed";

    const full = new URL(form.link, window.location.origin).href;
    const link = h("a", { className: "link feedback-link", text: full, attrs: { href: full, target: "_blank", rel: "noopener" } });
    windowBox.replaceChildren(
      status,
      h("p", { className: "link-line" }, translated("span", "org.feedback.link"), " ", link, " ", copyButton(() => full, link)),
      h("div", { className: "row feedback-window-controls" }, label, closesAt, save, reset, close),
    );
  }

  async function changeWindow(action: () => Promise<unknown>): Promise<void> {
    errors.clear();
    try {
      await action();
      await load();
    } catch (error) {
      errors.show(error);
    }
  }

  // --- Results -------------------------------------------------------------------------------------
  function drawResults(): void {
    const results = state.results;
    if (!results) {
      resultsBox.replaceChildren();
      return;
    }
    const summary = translated("p", "org.feedback.summary", { responses: results.responses, people: results.people }, "feedback-summary");
    const updated = translated("p", "org.attendance.updated", { time: formatTime((state.updatedAt ?? new Date()).toISOString()) }, "hint");
    resultsBox.replaceChildren(
      translated("h4", "org.feedback.resultsHeading"),
      summary,
      translated("p", "org.feedback.averageNote", undefined, "hint"),
      ...results.questions.map(drawQuestion),
      updated,
    );
  }

  function drawQuestion(q: FeedbackQuestionResult): HTMLElement {
    const lang = currentLang();
    const heading = h("h5", { text: `${q.number}. ${textIn(lang, q)}` });
    const counts = translated("p", "org.feedback.answered", { responses: q.answered, people: q.answeredPeople }, "meta");
    const parts: HTMLElement[] = [heading, counts];
    if (q.kind === "rating" && q.average !== null) {
      parts.push(
        translated(
          "p",
          "org.feedback.average",
          { average: q.average.toFixed(2), perPerson: q.averagePerPerson === null ? t("common.none") : q.averagePerPerson.toFixed(2) },
          "feedback-average",
        ),
      );
    }
    if (q.distribution.length > 0) {
      const most = Math.max(1, ...q.distribution.map((bar) => bar.responses));
      parts.push(
        h(
          "ol",
          { className: "feedback-bars" },
          ...q.distribution.map((bar) => {
            const label = bar.rating !== null ? String(bar.rating) : textIn(lang, bar);
            const fill = h("span", { className: "feedback-bar-fill" });
            fill.style.width = `${(100 * bar.responses) / most}%`;
            const value = translated("span", "org.feedback.barValue", { responses: bar.responses, people: bar.people }, "feedback-bar-value");
            return h(
              "li",
              { className: "feedback-bar", dataset: { responses: String(bar.responses) } },
              h("span", { className: "feedback-bar-label", text: label }),
              h("span", { className: "feedback-bar-track" }, fill),
              value,
            );
          }),
        ),
      );
    }
    if (q.kind === "text") {
      const items = q.texts.map((text) =>
        h(
          "li",
          { className: "feedback-text" },
          h("p", { className: "feedback-text-body", text: text.text }),
          translated("p", "org.feedback.textBy", { agency: text.agencyName, name: text.displayName, people: text.speaksFor }, "meta"),
        ),
      );
      parts.push(items.length ? h("ul", { className: "feedback-texts" }, ...items) : translated("p", "org.feedback.noTexts", undefined, "placeholder small"));
    }
    return h("section", { className: `feedback-result kind-${q.kind}`, dataset: { question: String(q.number) } }, ...parts);
  }

  // --- Form editor ---------------------------------------------------------------------------------
  function drawEditor(): void {
    const form = state.form;
    const summary = translated("summary", "org.feedback.editForm");
    if (!form) {
      editorBox.replaceChildren(summary);
      return;
    }
    const open = editorBox.open;
    if (form.locked) {
      editorBox.replaceChildren(summary, translated("p", "org.feedback.locked", { responses: form.responses }, "hint"));
      editorBox.open = open;
      return;
    }
    state.draft ??= form.questions.map((q) => ({
      kind: q.kind as FeedbackKind,
      textZh: q.textZh,
      textEn: q.textEn,
      required: q.required,
      options: q.options.map((o) => ({ textZh: o.textZh, textEn: o.textEn })),
    }));
    const draft = state.draft;
    const limits = form.limits;
    const note = translated("p", form.isDefault ? "org.feedback.isDefault" : "org.feedback.isOwn", undefined, "hint");
    const list = h("ol", { className: "feedback-editor-questions" }, ...draft.map((q, i) => questionEditor(q, i)));
    const add = button("org.feedback.addQuestion", "small", () => {
      draft.push({ kind: "rating", textZh: "", textEn: "", required: false, options: [] });
      drawEditor();
    });
    add.disabled = draft.length >= limits.maxQuestions;
    const save = button("org.feedback.saveForm", "primary", () => void saveForm());
    const discard = button("org.feedback.discard", "small", () => {
      state.draft = null;
      drawEditor();
    });
    editorBox.replaceChildren(
      summary,
      note,
      translated("p", "org.feedback.limits", { questions: limits.maxQuestions, options: limits.maxOptions, text: limits.questionTextMax }, "hint"),
      list,
      h("div", { className: "row" }, add, save, discard),
    );
    editorBox.open = open;

    function questionEditor(q: DraftQuestion, index: number): HTMLElement {
      const kind = h("select", { attrs: { "aria-label": t("org.feedback.kind") } });
      for (const k of kinds) {
        const option = h("option", { attrs: { value: k } });
        setText(option, `org.feedback.kind.${k}` as MessageKey);
        kind.append(option);
      }
      kind.value = q.kind;
      kind.addEventListener("change", () => {
        q.kind = kind.value as FeedbackKind;
        if ((q.kind === "single" || q.kind === "multiple") && q.options.length < limits.minOptions) {
          while (q.options.length < limits.minOptions) q.options.push({ textZh: "", textEn: "" });
        }
        if (q.kind === "rating" || q.kind === "text") q.options = [];
        drawEditor();
      });
      const textInput = (lang: "zh" | "en", max: number, item: { textZh: string; textEn: string }) => {
        const input = h("input", { attrs: { type: "text", maxlength: String(max), lang: lang === "zh" ? "zh-CN" : "en" } });
        input.placeholder = t(lang === "zh" ? "org.feedback.textZh" : "org.feedback.textEn");
        input.setAttribute("aria-label", input.placeholder);
        input.value = lang === "zh" ? item.textZh : item.textEn;
        input.addEventListener("input", () => {
          if (lang === "zh") item.textZh = input.value;
          else item.textEn = input.value;
        });
        return input;
      };
      const required = h("input", { attrs: { type: "checkbox", id: `fq-${session.id}-${index}-required` } });
      required.checked = q.required;
      required.addEventListener("change", () => (q.required = required.checked));
      const requiredLabel = translated("label", "org.feedback.required", undefined, "check");
      requiredLabel.setAttribute("for", required.id);
      const move = (delta: number) => {
        const target = index + delta;
        if (target < 0 || target >= draft.length) return;
        [draft[index], draft[target]] = [draft[target]!, draft[index]!];
        drawEditor();
      };
      const up = button("org.feedback.up", "small", () => move(-1));
      up.disabled = index === 0;
      const down = button("org.feedback.down", "small", () => move(1));
      down.disabled = index === draft.length - 1;
      const remove = button("org.feedback.remove", "small", () => {
        draft.splice(index, 1);
        drawEditor();
      });
      remove.disabled = draft.length <= 1;

      const parts: HTMLElement[] = [
        h("div", { className: "row" }, kind, h("span", { className: "check-row" }, required, requiredLabel), up, down, remove),
        h("div", { className: "field-row" }, textInput("zh", limits.questionTextMax, q), textInput("en", limits.questionTextMax, q)),
      ];
      if (q.kind === "single" || q.kind === "multiple") {
        const options = h(
          "ol",
          { className: "feedback-editor-options" },
          ...q.options.map((option, j) => {
            const drop = button("org.feedback.removeOption", "small", () => {
              q.options.splice(j, 1);
              drawEditor();
            });
            drop.disabled = q.options.length <= limits.minOptions;
            return h("li", { className: "field-row" }, textInput("zh", limits.optionTextMax, option), textInput("en", limits.optionTextMax, option), drop);
          }),
        );
        const addOption = button("org.feedback.addOption", "small", () => {
          q.options.push({ textZh: "", textEn: "" });
          drawEditor();
        });
        addOption.disabled = q.options.length >= limits.maxOptions;
        parts.push(options, addOption);
      }
      return h("li", { className: "feedback-editor-question" }, ...parts);
    }
  }

  async function saveForm(): Promise<void> {
    if (!state.draft) return;
    errors.clear();
    status.set(null);
    try {
      state.form = await saveFeedbackForm(key, session.id, state.draft);
      state.draft = null;
      drawEditor();
      await load();
      status.set(() => t("org.feedback.saved"));
    } catch (error) {
      errors.show(error);
    }
  }

  draw();
  void load();
  const timer = window.setInterval(() => {
    if (!container.isConnected) {
      window.clearInterval(timer);
      return;
    }
    if (document.hidden || !state.results || state.results.window.state === "closed") return;
    void getFeedbackResults(key, session.id)
      .then((results) => {
        state.results = results;
        state.updatedAt = new Date();
        if (container.isConnected) {
          drawResults();
          drawWindow();
        }
      })
      .catch((error: unknown) => errors.show(error));
  }, resultsRefreshMs);
}

/** Forget a session's panel state (its panel was closed). */
export function forgetFeedbackPanel(sessionId: number): void {
  panels.delete(sessionId);
}

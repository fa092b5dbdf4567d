import { h } from "./dom";
import type { ErrorBox } from "./errors";
import {
  getFeedbackInvitation,
  getMyFeedback,
  submitFeedback,
  textIn,
  type FeedbackAnswerInput,
  type FeedbackInvitation,
  type FeedbackQuestion,
  type MyFeedback,
} from "./feedback-api";
import { currentLang, formatDateTime, onLangChange, setText } from "./i18n";

// The form a participant answers after a session: on the feedback page and on the viewer page when the
// session ends. One response per participant; it can be changed until feedback closes.

export interface FeedbackFormOptions {
  container: HTMLElement;
  code: string;
  /** The participant token this browser holds for the session. */
  token: string;
  errors: ErrorBox;
  /** Already loaded by the caller (the feedback page), else fetched here. */
  invitation?: FeedbackInvitation;
}

interface QuestionInput {
  question: FeedbackQuestion;
  read: () => FeedbackAnswerInput;
  answered: () => boolean;
  fieldset: HTMLFieldSetElement;
}

/** Translated texts of the server's questions, kept in step with the language switch. */
const bilingual: { element: HTMLElement; item: { textZh: string | null; textEn: string | null }; suffix?: string }[] = [];
onLangChange(() => {
  for (const { element, item, suffix } of bilingual) if (element.isConnected) element.textContent = textIn(currentLang(), item) + (suffix ?? "");
});

function bilingualText<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  item: { textZh: string | null; textEn: string | null },
  className?: string,
  suffix?: string,
): HTMLElementTagNameMap[K] {
  const element = h(tag, { className, text: textIn(currentLang(), item) + (suffix ?? "") });
  bilingual.push({ element, item, suffix });
  return element;
}

function translated<K extends keyof HTMLElementTagNameMap>(tag: K, key: Parameters<typeof setText>[1], params?: Parameters<typeof setText>[2], className?: string) {
  const element = h(tag, { className });
  setText(element, key, params);
  return element;
}

export async function mountFeedbackForm(options: FeedbackFormOptions): Promise<void> {
  const { container, code, token, errors } = options;
  container.replaceChildren(translated("p", "common.loading", undefined, "placeholder small"));
  let invitation: FeedbackInvitation;
  let mine: MyFeedback;
  try {
    invitation = options.invitation ?? (await getFeedbackInvitation(code));
    mine = await getMyFeedback(token, invitation.sessionId);
  } catch (error) {
    container.replaceChildren();
    errors.show(error);
    throw error;
  }
  render(container, invitation, mine, token, errors);
}

function render(container: HTMLElement, invitation: FeedbackInvitation, mine: MyFeedback, token: string, errors: ErrorBox): void {
  const feedbackWindow = mine.window;
  const heading = translated("h2", "feedback.heading");
  const who = translated("p", "feedback.who", { agency: mine.agencyName, name: mine.displayName }, "meta");
  if (feedbackWindow.state !== "open") {
    const state =
      feedbackWindow.state === "cancelled"
        ? translated("p", "error.session_cancelled", undefined, "session-state")
        : feedbackWindow.state === "not_open"
        ? translated("p", "feedback.notOpen", { time: formatDateTime(feedbackWindow.opensAt, invitation.timeZone) }, "session-state")
        : translated("p", "feedback.closed", { time: formatDateTime(feedbackWindow.closesAt, invitation.timeZone) }, "session-state");
    container.replaceChildren(heading, who, state);
    return;
  }

  const limits = invitation.limits;
  const previous = new Map((mine.response?.answers ?? []).map((a) => [a.question, a]));
  const inputs: QuestionInput[] = invitation.questions.map((question) => questionInput(question, previous.get(question.number), limits.answerTextMax, limits.ratingMin, limits.ratingMax));

  const speaksFor = h("input", {
    attrs: { type: "number", id: "feedback-speaks-for", min: "1", max: String(limits.speaksForMax), step: "1", inputmode: "numeric" },
  });
  speaksFor.value = String(mine.response?.speaksFor ?? Math.min(Math.max(mine.headcount, 1), limits.speaksForMax));
  const speaksForLabel = translated("label", "feedback.speaksFor");
  speaksForLabel.setAttribute("for", speaksFor.id);

  const closes = translated("p", "feedback.closesAt", { time: formatDateTime(feedbackWindow.closesAt, invitation.timeZone) }, "hint");
  const status = h("p", { className: "ok", attrs: { role: "status" } });
  status.hidden = true;
  let edit = mine.response !== null;
  if (edit) {
    setText(status, "feedback.alreadyGiven");
    status.hidden = false;
  }
  const submit = h("button", { className: "primary wide", attrs: { type: "submit" } });
  setText(submit, edit ? "feedback.update" : "feedback.submit");

  const form = h(
    "form",
    { className: "stack feedback-form", attrs: { novalidate: "" } },
    ...inputs.map((input) => input.fieldset),
    h("div", { className: "field" }, speaksForLabel, speaksFor),
    closes,
    submit,
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.clear();
    status.hidden = true;
    for (const input of inputs) input.fieldset.removeAttribute("aria-invalid");
    const missing = inputs.find((input) => input.question.required && !input.answered());
    if (missing) {
      missing.fieldset.setAttribute("aria-invalid", "true");
      errors.showMessage("feedback.requiredMissing", { number: missing.question.number });
      missing.fieldset.scrollIntoView({ block: "center", behavior: "smooth" });
      return;
    }
    const people = Number(speaksFor.value);
    if (!Number.isInteger(people) || people < 1 || people > limits.speaksForMax) {
      errors.showMessage("feedback.speaksForInvalid", { max: limits.speaksForMax });
      speaksFor.focus();
      return;
    }
    submit.disabled = true;
    try {
      await submitFeedback(token, invitation.sessionId, { speaksFor: people, answers: inputs.map((input) => input.read()) }, edit);
      edit = true;
      setText(submit, "feedback.update");
      setText(status, "feedback.thanks", { time: formatDateTime(feedbackWindow.closesAt, invitation.timeZone) });
      status.hidden = false;
    } catch (error) {
      errors.show(error);
    } finally {
      submit.disabled = false;
    }
  });

  container.replaceChildren(heading, who, form);
}

function questionInput(
  question: FeedbackQuestion,
  previous: { rating: number | null; options: number[]; text: string | null } | undefined,
  textMax: number,
  ratingMin: number,
  ratingMax: number,
): QuestionInput {
  const name = `feedback-q${question.number}`;
  const legend = bilingualText("legend", question, undefined, question.required ? " *" : "");
  const fieldset = h("fieldset", { className: `feedback-question kind-${question.kind}`, dataset: { question: String(question.number) } }, legend);

  if (question.kind === "rating") {
    const boxes: HTMLInputElement[] = [];
    const scale = h("div", { className: "rating-scale" });
    for (let value = ratingMin; value <= ratingMax; value++) {
      const box = h("input", { attrs: { type: "radio", name, value: String(value), id: `${name}-${value}` } });
      box.checked = previous?.rating === value;
      boxes.push(box);
      scale.append(h("label", { className: "rating-choice", attrs: { for: box.id } }, box, h("span", { text: String(value) })));
    }
    fieldset.append(scale, translated("p", "feedback.ratingHint", { min: ratingMin, max: ratingMax }, "hint"));
    const chosen = () => boxes.find((box) => box.checked);
    return {
      question,
      fieldset,
      answered: () => chosen() !== undefined,
      read: () => ({ question: question.number, rating: chosen() ? Number(chosen()!.value) : null, options: null, text: null }),
    };
  }

  if (question.kind === "single" || question.kind === "multiple") {
    const boxes = question.options.map((option) => {
      const box = h("input", {
        attrs: { type: question.kind === "single" ? "radio" : "checkbox", name, value: String(option.number), id: `${name}-${option.number}` },
      });
      box.checked = previous?.options.includes(option.number) ?? false;
      const label = h("label", { className: "check", attrs: { for: box.id } });
      label.append(bilingualText("span", option));
      fieldset.append(h("div", { className: "check-row" }, box, label));
      return box;
    });
    const chosen = () => boxes.filter((box) => box.checked).map((box) => Number(box.value));
    return {
      question,
      fieldset,
      answered: () => chosen().length > 0,
      read: () => ({ question: question.number, rating: null, options: chosen(), text: null }),
    };
  }

  const area = h("textarea", { attrs: { name, rows: "3", maxlength: String(textMax), id: name } });
  area.value = previous?.text ?? "";
  const counter = h("span", { className: "counter" });
  const count = () => setText(counter, "ask.counter", { count: area.value.length, max: textMax });
  count();
  area.addEventListener("input", count);
  legend.id = `${name}-legend`;
  area.setAttribute("aria-labelledby", legend.id);
  fieldset.append(area, counter);
  return {
    question,
    fieldset,
    answered: () => area.value.trim().length > 0,
    read: () => ({ question: question.number, rating: null, options: null, text: area.value.trim() || null }),
  };
}

/** The feedback page's address for a join code. */
export function feedbackPath(code: string): string {
  return `/feedback.html?code=${encodeURIComponent(code)}`;
}

import "./style.css";
import { byId } from "./dom";
import { ErrorBox, errorCode } from "./errors";
import { initI18n, setPlain, setText } from "./i18n";
import { LiveSession } from "./live";
import { QuestionList } from "./questions";
import { SlideView } from "./slides";
import { local, normaliseCode, StorageKeys } from "./storage";

initI18n();
const errors = ErrorBox.forPage();

const maxQuestionLength = 300;
const code = normaliseCode(new URLSearchParams(window.location.search).get("code"));
const token = code ? local.get(StorageKeys.participant(code)) : null;

function backToJoinPage(): void {
  window.location.replace(code ? `/?code=${encodeURIComponent(code)}` : "/");
}

if (!code || !token) {
  backToJoinPage();
} else {
  startViewer(code, token);
}

function startViewer(code: string, token: string): void {
  const title = byId("session-title");
  const textArea = byId<HTMLTextAreaElement>("question-text");
  const counter = byId("question-counter");
  const askForm = byId<HTMLFormElement>("ask-form");
  const askButton = byId<HTMLButtonElement>("ask-question");
  const askStatus = byId("ask-status");
  byId<HTMLAnchorElement>("change-details").href = `/?code=${encodeURIComponent(code)}`;

  const slides = new SlideView({ token, onError: (error) => errors.show(error) });
  const questions = new QuestionList(byId<HTMLOListElement>("questions"), byId("no-questions"), {
    upvote: async (questionId) => {
      errors.clear();
      try {
        await live.upvote(questionId);
      } catch (error) {
        errors.show(error);
      }
    },
  });

  const live = new LiveSession({
    token,
    onChange: (state, kind) => {
      if (kind === "snapshot") {
        setPlain(title, state.title);
        setText(document.querySelector("title")!, "page.sessionTitle", { title: state.title });
      }
      if (kind === "snapshot" || kind === "page" || kind === "deck") slides.show(state.deck, state.currentPage);
      if (kind === "snapshot" || kind === "question" || kind === "votes") questions.render(state);
    },
    onUnauthorised: () => {
      // The token no longer works (the session was reset, or it belongs to another one): join again.
      local.set(StorageKeys.participant(code), null);
      backToJoinPage();
    },
    onError: (error) => errors.show(error),
  });

  // The draft survives a reload or a dropped connection until the question is accepted.
  const draftKey = StorageKeys.draft(code);
  textArea.value = (local.get(draftKey) ?? "").slice(0, maxQuestionLength);
  const renderCounter = () => {
    const length = textArea.value.length;
    setText(counter, "ask.counter", { count: length, max: maxQuestionLength });
    counter.classList.toggle("near-limit", length >= maxQuestionLength - 20);
  };
  renderCounter();
  textArea.addEventListener("input", () => {
    local.set(draftKey, textArea.value || null);
    renderCounter();
    askStatus.hidden = true;
  });

  let sending = false;
  async function ask(): Promise<void> {
    if (sending) return;
    errors.clear();
    askStatus.hidden = true;
    const text = textArea.value.trim();
    if (text.length === 0) {
      errors.showMessage("error.question_empty");
      textArea.focus();
      return;
    }
    if (text.length > maxQuestionLength) {
      errors.showMessage("error.question_too_long");
      return;
    }
    sending = true;
    askButton.disabled = true;
    setText(askButton, "ask.sending");
    try {
      await live.askQuestion(text);
      textArea.value = "";
      local.set(draftKey, null);
      renderCounter();
      setText(askStatus, "ask.sent");
      askStatus.hidden = false;
    } catch (error) {
      errors.show(error);
      if (errorCode(error) === "unauthorised") backToJoinPage();
    } finally {
      sending = false;
      askButton.disabled = false;
      setText(askButton, "ask.submit");
    }
  }

  askForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void ask();
  });
  textArea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void ask();
    }
  });

  void live.start();
}

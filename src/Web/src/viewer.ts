import { applyLimits, fits } from "./limits";
import { mountAgenda } from "./agenda";
import type { SessionOutline } from "./contract";
import "./style.css";
import { showAfterSession } from "./after-session";
import { byId, h, showEnded } from "./dom";
import { ConnectionLostError, ErrorBox, errorCode } from "./errors";
import { feedbackPath, mountFeedbackForm } from "./feedback-form";
import { initI18n, setPlain, setText } from "./i18n";
import { mountReactions } from "./reactions";
import { LiveSession } from "./live";
import { QuestionList, viewerActions } from "./questions";
import { SlideView } from "./slides";
import { local, normaliseCode, StorageKeys } from "./storage";
import { WatchQualities, type WatchQuality } from "./contract";
import { mountViewerPolls } from "./polls-viewer";
import { mountPrivatePaging } from "./private-paging";
import { mountViewerRoom } from "./room-roster";
import type { LiveState } from "./live";
import { Publisher, renderLiveBadge, StageView } from "./video";

initI18n();
const errors = ErrorBox.forPage();

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
  // Private paging decides which page the slide shows: the live one, or the one this viewer went to.
  const showSlides = mountPrivatePaging({ container: byId("paging"), slides, token, errors, swipeArea: document.querySelector<HTMLElement>(".slide-stage") });
  const questions = new QuestionList(byId<HTMLOListElement>("questions"), byId("no-questions"), viewerActions(() => live, errors));

  // --- Video: the live picture beside the slides, quality, projector mode, raising a hand -------------
  const badge = byId("live-badge");
  const mediaArea = byId("media-area");
  const qualitySelect = byId<HTMLSelectElement>("quality");
  const raiseHandButton = byId<HTMLButtonElement>("raise-hand");
  const stageStatus = byId("stage-status");
  const stageView = new StageView({
    container: byId("feeds"),
    notice: byId("video-notice"),
    isMine: (feed) => feed.participantId === live.snapshot?.myParticipantId,
    report: true,
  });
  let onStagePublisher: Publisher | null = null;
  let stageBusy = false;

  const savedQuality = local.get(StorageKeys.quality) as WatchQuality | null;
  if (savedQuality && Object.values(WatchQualities).includes(savedQuality)) {
    qualitySelect.value = savedQuality;
    void stageView.setQuality(savedQuality);
  }
  qualitySelect.addEventListener("change", () => {
    const quality = qualitySelect.value as WatchQuality;
    local.set(StorageKeys.quality, quality);
    void stageView.setQuality(quality);
  });
  byId("unmute").addEventListener("click", () => stageView.unmuteAll());
  byId("swap-view").addEventListener("click", () => {
    mediaArea.dataset.large = mediaArea.dataset.large === "video" ? "slides" : "video";
  });
  const projectorButton = byId<HTMLButtonElement>("projector");
  projectorButton.addEventListener("click", async () => {
    if (document.fullscreenElement) await document.exitFullscreen().catch(() => undefined);
    else await mediaArea.requestFullscreen().catch(() => document.body.classList.toggle("projector"));
  });
  document.addEventListener("fullscreenchange", () => {
    document.body.classList.toggle("projector", document.fullscreenElement === mediaArea);
    setText(projectorButton, document.fullscreenElement ? "video.exitProjector" : "video.projector");
  });
  raiseHandButton.addEventListener("click", async () => {
    errors.clear();
    try {
      await live.raiseHand(!live.snapshot?.me.handRaised);
    } catch (error) {
      errors.show(error);
    }
  });

  /** On stage: this screen's camera and microphone go live; off stage: they stop. */
  async function followStage(): Promise<void> {
    const state = live.snapshot;
    if (!state || stageBusy) return;
    stageBusy = true;
    try {
      if (state.me.onStage && !onStagePublisher && state.video.configured) {
        let stream: MediaStream;
        try {
          stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
        } catch {
          errors.showMessage("video.devicesFailed");
          return;
        }
        onStagePublisher = new Publisher(live, "camera", stream);
        await onStagePublisher.start(state.video);
      } else if (!state.me.onStage && onStagePublisher) {
        await onStagePublisher.stop();
        onStagePublisher = null;
      }
    } catch (error) {
      errors.show(error);
    } finally {
      stageBusy = false;
    }
  }

  function renderStage(): void {
    const state = live.snapshot;
    if (!state) return;
    renderLiveBadge(badge, state);
    stageView.update(state);
    raiseHandButton.hidden = !state.video.configured || state.me.onStage;
    setText(raiseHandButton, state.me.handRaised ? "stage.lowerHand" : "stage.raiseHand");
    raiseHandButton.setAttribute("aria-pressed", String(state.me.handRaised));
    if (state.me.onStage) setText(stageStatus, "stage.onStage");
    else if (state.me.handRaised) setText(stageStatus, "stage.handRaised");
    stageStatus.hidden = !state.me.onStage && !state.me.handRaised;
    void followStage();
  }

  let updateAgenda: ((next: SessionOutline["agenda"], zone?: string) => void) | null = null;
  const showAgenda = (outline: SessionOutline) => {
    if (updateAgenda) updateAgenda(outline.agenda, outline.timeZone);
    else updateAgenda = mountAgenda(byId("agenda"), outline.timeZone, outline.agenda);
  };

  let renderPolls: ((state: Readonly<LiveState>) => void) | null = null;
  let room: { refresh(): void } | null = null;
  const live = new LiveSession({
    token,
    onChange: (state, kind) => {
      if (kind === "snapshot" || kind === "polls") renderPolls?.(state);
      if (kind === "snapshot") room?.refresh();
      if (kind === "snapshot" || kind === "outline") {
        setPlain(title, state.title);
        setText(document.querySelector("title")!, "page.sessionTitle", { title: state.title });
        showAgenda(state.outline);
      }
      if (kind === "snapshot" || kind === "page" || kind === "deck") showSlides(state);
      if (kind === "snapshot" || kind === "question" || kind === "votes" || kind === "mine") questions.render(state);
      if (kind === "snapshot") byId("approval-hint").hidden = !state.questionsNeedApproval;
      if (kind === "snapshot") confirmAfterDrop(state);
      if (kind === "snapshot" || kind === "stage" || kind === "me") renderStage();
    },
    onReconnected: () => {
      // Subscriptions and publications belonged to the old connection.
      stageView.restartAll();
      if (onStagePublisher && live.snapshot) void onStagePublisher.start(live.snapshot.video).catch((error) => errors.show(error));
    },
    onUnauthorised: () => {
      // The token no longer works (the session was reset, or it belongs to another one): join again.
      local.set(StorageKeys.participant(code), null);
      backToJoinPage();
    },
    onError: (error) => errors.show(error),
    onEnded: (ended) => {
      stageView.stopAll();
      showEnded(ended.reason === "removed" ? "session.removed" : ended.reason === "cancelled" ? "session.cancelled" : "session.ended");
      askButton.disabled = true;
      textArea.disabled = true;
      if (ended.reason === "ended") showFeedback();
      if (ended.reason === "ended") showAfterSession(token, byId("live-layout"), errors);
    },
    onStatus: (status) => {
      if (status === "connected") errors.clearConnectionErrors();
    },
  });

  renderPolls = mountViewerPolls(byId("poll-card"), live, errors);
  room = mountViewerRoom(askForm, live, errors);

  // The draft survives a reload or a dropped connection until the question is accepted.
  const draftKey = StorageKeys.draft(code);
  textArea.value = local.get(draftKey) ?? "";
  // The counter appears once the server's limit is known (GET /api/limits).
  const renderCounter = () => {
    const length = textArea.value.length;
    const max = textArea.maxLength;
    counter.hidden = max <= 0;
    if (max > 0) setText(counter, "ask.counter", { count: length, max });
    counter.classList.toggle("near-limit", max > 0 && length >= max - 20);
  };
  renderCounter();
  void applyLimits().then(() => {
    textArea.value = textArea.value.slice(0, textArea.maxLength > 0 ? textArea.maxLength : undefined);
    renderCounter();
  });
  textArea.addEventListener("input", () => {
    local.set(draftKey, textArea.value || null);
    renderCounter();
    askStatus.hidden = true;
  });

  let sending = false;
  /** A question whose answer the dropped link swallowed: the snapshot after reconnecting says whether it arrived. */
  let unconfirmed: string | null = null;

  function confirmAfterDrop(state: NonNullable<typeof live.snapshot>): void {
    const text = unconfirmed;
    unconfirmed = null;
    if (text === null || ![...state.questions, ...state.mine].some((q) => q.participantId === state.myParticipantId && q.text === text)) return;
    if (textArea.value.trim() === text) {
      textArea.value = "";
      local.set(draftKey, null);
      renderCounter();
    }
    setText(askStatus, "ask.sentBeforeDrop");
    askStatus.hidden = false;
  }

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
    if (!fits(textArea, text.length)) {
      errors.showMessage("error.question_too_long");
      return;
    }
    sending = true;
    askButton.disabled = true;
    setText(askButton, "ask.sending");
    try {
      await live.askQuestion(text, byId<HTMLInputElement>("ask-anonymous").checked);
      textArea.value = "";
      local.set(draftKey, null);
      renderCounter();
      setText(askStatus, "ask.sent");
      askStatus.hidden = false;
    } catch (error) {
      // The draft stays in the box (and in storage) to be sent again.
      if (error instanceof ConnectionLostError) unconfirmed = text;
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

  /** The session is over: the feedback form right here (and a link to its own page). */
  let feedbackShown = false;
  function showFeedback(): void {
    if (feedbackShown) return;
    feedbackShown = true;
    const body = h("div");
    const link = h("a", { className: "button-like feedback-link", attrs: { href: feedbackPath(code) } });
    setText(link, "feedback.openPage");
    const card = h("section", { className: "card feedback-after", attrs: { id: "feedback-after" } }, body, h("p", { className: "small" }, link));
    byId("live-layout").before(card);
    card.scrollIntoView({ block: "start", behavior: "smooth" });
    void mountFeedbackForm({ container: body, code, token, errors }).catch(() => undefined);
  }

  stageView.attach(live);
  // For diagnostics (and the browser tests): what this page receives.
  (window as unknown as { lxStage: StageView }).lxStage = stageView;
  mountReactions({ live, overlay: byId("reaction-overlay"), bar: byId("reaction-bar"), onError: (error) => errors.show(error) });
  void live.start();
}

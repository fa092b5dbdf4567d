import "./style.css";
import { getMySession, uploadDeck } from "./api";
import type { SessionSnapshot } from "./contract";
import { byId, StatusLine, wireCopyButton } from "./dom";
import { ErrorBox } from "./errors";
import { initI18n, setPlain, setText, t } from "./i18n";
import { LiveSession } from "./live";
import { QuestionList } from "./questions";
import { SlideView } from "./slides";
import { StorageKeys, takeSecretFromFragment } from "./storage";

initI18n();
const errors = ErrorBox.forPage();

const token = takeSecretFromFragment("token", StorageKeys.hostToken);
if (!token) {
  errors.showMessage("host.noToken");
} else {
  startHost(token);
}

function startHost(token: string): void {
  const title = byId("session-title");
  const joinCode = byId("join-code");
  const viewerLink = byId<HTMLAnchorElement>("viewer-link");
  const prevButton = byId<HTMLButtonElement>("prev-page");
  const nextButton = byId<HTMLButtonElement>("next-page");
  const gotoForm = byId<HTMLFormElement>("goto-form");
  const gotoInput = byId<HTMLInputElement>("goto-page-input");
  const gotoButton = byId<HTMLButtonElement>("goto-page");
  const fileInput = byId<HTMLInputElement>("deck-file");
  const uploadButton = byId<HTMLButtonElement>("upload-deck");
  const progress = byId<HTMLProgressElement>("upload-progress");
  const uploadStatus = new StatusLine(byId("upload-status"));
  const currentDeck = byId("current-deck");

  let sessionId: number | null = null;
  let state: Readonly<SessionSnapshot> | null = null;

  wireCopyButton(byId<HTMLButtonElement>("copy-viewer-link"), () => viewerLink.href, viewerLink);

  function showSession(id: number, code: string, sessionTitle: string): void {
    sessionId = id;
    setPlain(title, sessionTitle);
    setText(document.querySelector("title")!, "page.sessionTitle", { title: sessionTitle });
    joinCode.textContent = code;
    const link = `${window.location.origin}/?code=${encodeURIComponent(code)}`;
    viewerLink.href = link;
    viewerLink.textContent = link;
  }

  const slides = new SlideView({ token, onError: (error) => errors.show(error) });
  const questions = new QuestionList(byId<HTMLOListElement>("questions"), byId("no-questions"));

  const live = new LiveSession({
    token,
    onChange: (next, kind) => {
      state = next;
      if (kind === "snapshot") showSession(next.sessionId, next.code, next.title);
      if (kind === "snapshot" || kind === "page" || kind === "deck") {
        slides.show(next.deck, next.currentPage);
        renderNavigation();
      }
      if (kind === "snapshot" || kind === "question" || kind === "votes") questions.render(next);
    },
    onUnauthorised: (error) => errors.show(error),
    onError: (error) => errors.show(error),
  });

  // --- Navigation -------------------------------------------------------------------------------
  // Key presses can outrun the server's replies: each press moves from the page last asked for, not
  // from the page last confirmed, so three quick presses go three pages on.
  let requestedPage: number | null = null;
  let inFlight = 0;

  function pageCount(): number {
    return state?.deck?.pageCount ?? 0;
  }

  function basePage(): number {
    return requestedPage ?? state?.currentPage ?? 1;
  }

  function renderNavigation(): void {
    const count = pageCount();
    const page = basePage();
    prevButton.disabled = count === 0 || page <= 1;
    nextButton.disabled = count === 0 || page >= count;
    gotoInput.disabled = count === 0;
    gotoButton.disabled = count === 0;
    gotoInput.max = String(Math.max(1, count));
    if (document.activeElement !== gotoInput) gotoInput.placeholder = count ? String(state?.currentPage ?? "") : "";
    if (state?.deck) {
      setText(currentDeck, "host.currentDeck", { fileName: state.deck.fileName, count: state.deck.pageCount });
      currentDeck.hidden = false;
    } else {
      currentDeck.hidden = true;
    }
  }

  async function goTo(page: number): Promise<void> {
    const count = pageCount();
    if (count === 0 || !Number.isInteger(page) || page < 1 || page > count) return;
    if (inFlight === 0 && page === state?.currentPage) return;
    requestedPage = page;
    inFlight++;
    renderNavigation();
    try {
      errors.clear();
      await live.goToPage(page);
    } catch (error) {
      errors.show(error);
      requestedPage = null;
    } finally {
      inFlight--;
      if (inFlight === 0) requestedPage = null;
      renderNavigation();
    }
  }

  const step = (delta: number) => void goTo(basePage() + delta);
  prevButton.addEventListener("click", () => step(-1));
  nextButton.addEventListener("click", () => step(1));
  gotoForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const page = Number(gotoInput.value);
    if (!Number.isInteger(page) || page < 1 || page > pageCount()) {
      errors.showMessage("error.page_out_of_range");
      return;
    }
    gotoInput.value = "";
    void goTo(page);
  });

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable='true']")) return;
    const delta = event.key === "ArrowRight" || event.key === "PageDown" ? 1 : event.key === "ArrowLeft" || event.key === "PageUp" ? -1 : 0;
    if (delta === 0) return;
    event.preventDefault();
    const page = basePage() + delta;
    if (page >= 1 && page <= pageCount()) void goTo(page);
  });

  // --- Deck upload --------------------------------------------------------------------------------
  fileInput.addEventListener("change", () => uploadStatus.set(null));
  uploadButton.addEventListener("click", async () => {
    errors.clear();
    const file = fileInput.files?.[0];
    if (!file) {
      errors.showMessage("host.chooseFile");
      return;
    }
    if (sessionId === null) {
      errors.showMessage("error.notConnected");
      return;
    }
    uploadButton.disabled = true;
    fileInput.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    uploadStatus.set(() => t("host.uploading", { percent: 0 }));
    try {
      const deck = await uploadDeck(token, sessionId, file, (fraction) => {
        progress.value = fraction;
        const percent = Math.round(fraction * 100);
        uploadStatus.set(() => (fraction >= 1 ? t("host.uploadProcessing") : t("host.uploading", { percent })));
      });
      uploadStatus.set(() => t("host.uploaded", { fileName: deck.fileName, count: deck.pageCount }));
      fileInput.value = "";
    } catch (error) {
      uploadStatus.set(null);
      errors.show(error);
    } finally {
      progress.hidden = true;
      uploadButton.disabled = false;
      fileInput.disabled = false;
    }
  });

  // Learn the session (id for uploads, code to read aloud) over HTTP, in parallel with the hub.
  getMySession(token)
    .then((info) => {
      if (sessionId === null) showSession(info.sessionId, info.code, info.title);
    })
    .catch((error) => errors.show(error));

  renderNavigation();
  void live.start();
}


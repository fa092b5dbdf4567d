import "./style.css";
import { renderSegmentTime } from "./agenda-timer";
import { ParticipantRoles } from "./contract";
import { drawPage } from "./deck-pages";
import { byId, h, showEnded } from "./dom";
import { ErrorBox } from "./errors";
import { initI18n, onLangChange, setPlain, setText } from "./i18n";
import { LiveSession, type LiveState } from "./live";
import { ModerationPanel } from "./moderation";
import { mountHostPolls } from "./polls-host";
import { QuestionList } from "./questions";
import { mountPageDriver } from "./page-driver";
import { mountNotesEditor, SlideNotesStore } from "./slide-notes";
import { SlideView } from "./slides";
import { StorageKeys, takeSecretFromFragment } from "./storage";
import { renderLiveBadge } from "./video";

// The presenter view: a second window (or a second display through the Presentation API) for the host.
// It is a hub connection of its own with the host token, so the hub checks it like the host page, and
// the two stay in step through the hub (on any instance), not through the browser.
initI18n();
const errors = ErrorBox.forPage();
const token = takeSecretFromFragment("token", StorageKeys.hostToken);
if (!token) errors.showMessage("host.noToken");
else startPresenter(token);

function startPresenter(token: string): void {
  const title = byId("session-title");
  const nextCanvas = byId<HTMLCanvasElement>("next-slide");
  const noNext = byId("no-next");
  const timer = byId("agenda-timer");
  const receptionLine = byId("reception");
  const receptionAgencies = byId("reception-agencies");

  const slides = new SlideView({ token, onError: (error) => errors.show(error) });
  const questions = new QuestionList(byId<HTMLOListElement>("questions"), byId("no-questions"));
  let state: Readonly<LiveState> | null = null;
  let nextWanted = "";

  function showNext(next: Readonly<LiveState>): void {
    const deck = next.deck;
    const page = next.currentPage + 1;
    const key = deck ? `${deck.deckId}:${page}` : "";
    if (key === nextWanted) return;
    nextWanted = key;
    const last = !deck || page > deck.pageCount;
    noNext.hidden = !deck || !last;
    nextCanvas.hidden = last;
    delete nextCanvas.dataset.drawnPage;
    if (!deck || last) return;
    const width = Math.max(160, Math.min(nextCanvas.parentElement?.clientWidth ?? 320, 480));
    void drawPage(token, deck.deckId, page, nextCanvas, width, () => nextWanted === key).catch((error) => errors.show(error));
  }

  function renderReception(next: Readonly<LiveState>): void {
    const reception = next.reception;
    if (!reception || reception.agenciesWatching === 0) {
      setText(receptionLine, "presenter.noReception");
      receptionAgencies.replaceChildren();
      return;
    }
    setText(receptionLine, "video.receiving", { receiving: reception.agenciesReceiving, watching: reception.agenciesWatching });
    receptionAgencies.replaceChildren(
      ...reception.agencies.map((a) => {
        const li = h("li", { dataset: { agency: a.agencyName } });
        setText(li, "video.agencyLine", { name: a.agencyName, playing: a.playing + a.audioOnly, screens: a.screens });
        return li;
      }),
    );
  }

  const tick = () => state && renderSegmentTime(timer, state.outline.agenda);
  window.setInterval(tick, 1_000);
  onLangChange(() => {
    tick();
    if (state) renderReception(state);
  });

  let moderation: ModerationPanel | null = null;
  let renderPolls: ((s: Readonly<LiveState>) => void) | null = null;
  const live = new LiveSession({
    token,
    onChange: (next, kind) => {
      state = next;
      if (next.role !== ParticipantRoles.Host) {
        // The moderator link: the hub would refuse notes and page turning; say why once, show nothing.
        if (kind === "snapshot") errors.showMessage("presenter.hostOnly");
        return;
      }
      if (kind === "snapshot" || kind === "outline") {
        setPlain(title, next.title);
        setText(document.querySelector("title")!, "presenter.windowTitle", { title: next.title });
        tick();
      }
      if (kind === "snapshot" || kind === "page" || kind === "deck") {
        slides.show(next.deck, next.currentPage);
        showNext(next);
        showNote(next.deck, next.currentPage);
        renderNavigation();
      }
      if (kind === "snapshot" || kind === "deck") void notes.reload().catch((error) => errors.show(error));
      if (kind === "snapshot" || kind === "question" || kind === "votes") questions.render(next);
      if (kind === "snapshot" || kind === "moderation" || kind === "question" || kind === "votes") moderation?.render(next, kind);
      if (kind === "snapshot" || kind === "polls") renderPolls?.(next);
      if (kind === "snapshot" || kind === "stage") renderLiveBadge(byId("live-badge"), next);
      if (kind === "snapshot" || kind === "reception") renderReception(next);
    },
    onUnauthorised: (error) => errors.show(error),
    onError: (error) => errors.show(error),
    onEnded: (ended) => showEnded(ended.reason === "cancelled" ? "session.cancelled" : "session.ended"),
    onStatus: (status) => {
      if (status === "connected") errors.clearConnectionErrors();
    },
  });
  const notes = new SlideNotesStore(live);
  const showNote = mountNotesEditor(byId("presenter-notes"), notes, errors);
  moderation = new ModerationPanel(byId("moderation"), live, errors);
  renderPolls = mountHostPolls(byId("host-polls"), live, token, errors);

  // --- Driving: the same controls and calls as the host page. ---
  const renderNavigation = mountPageDriver(live, errors, () => ({ page: state?.currentPage ?? 1, count: state?.deck?.pageCount ?? 0 }));

  renderNavigation();
  void live.start();
}

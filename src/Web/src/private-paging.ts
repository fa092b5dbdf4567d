import { request } from "./api";
import type { DeckView } from "./contract";
import { drawPage } from "./deck-pages";
import { h, saveBlob } from "./dom";
import type { ErrorBox } from "./errors";
import { onLangChange, setAttrText, setText } from "./i18n";
import type { LiveState } from "./live";
import type { SlideView } from "./slides";

export interface PrivatePagingOptions {
  container: HTMLElement;
  slides: SlideView;
  token: string;
  errors: ErrorBox;
  /** Where a horizontal swipe turns the page (the slide). */
  swipeArea: HTMLElement | null;
}

/** Thumbnails are this wide (CSS pixels): small enough that a long deck stays light on a phone. */
const thumbWidth = 88;
/** A swipe is a horizontal move of at least this many pixels, more sideways than up or down. */
const swipeMin = 50;

/**
 * Private paging on the viewer page: the viewer pages back and forward on its own (buttons, the thumbnail
 * strip, ← → keys, a swipe on the slide) while the live page stays marked; the host's page changes do not
 * pull it away, and "back to live" follows the host again. Returns the page's render function: call it
 * where the page would show the live slide.
 */
export function mountPrivatePaging(options: PrivatePagingOptions): (state: Readonly<LiveState>) => void {
  const { container, slides, token, errors } = options;
  /** The page this viewer chose, or null while it follows the live page. */
  let privatePage: number | null = null;
  let state: Readonly<LiveState> | null = null;
  let stripDeck: number | null = null;

  const prev = h("button", { attrs: { type: "button", id: "paging-prev" } });
  const next = h("button", { attrs: { type: "button", id: "paging-next" } });
  const pagesToggle = h("button", { attrs: { type: "button", id: "paging-pages", "aria-expanded": "false", "aria-controls": "page-strip" } });
  const backToLive = h("button", { className: "primary back-to-live", attrs: { type: "button", id: "back-to-live" } });
  const download = h("button", { className: "download-deck", attrs: { type: "button", id: "download-deck" } });
  const status = h("p", { className: "paging-status", attrs: { id: "paging-status", role: "status" } });
  const strip = h("ol", { className: "page-strip", attrs: { id: "page-strip" } });
  backToLive.hidden = true;
  download.hidden = true;
  status.hidden = true;
  strip.hidden = true;
  container.classList.add("paging");
  container.replaceChildren(h("div", { className: "paging-bar row" }, prev, next, pagesToggle, backToLive, download), status, strip);
  container.hidden = true;

  const labels = () => {
    setText(prev, "paging.prev");
    setText(next, "paging.next");
    setText(pagesToggle, "paging.pages");
    setAttrText(strip, "aria-label", "paging.stripLabel");
    setText(download, "paging.download");
    if (state) render(state);
  };

  // Thumbnails are drawn when they scroll into view (and the strip is open), never all at once.
  const visible = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const button = entry.target as HTMLElement;
      visible.unobserve(button);
      const canvas = button.querySelector("canvas")!;
      const page = Number(button.dataset.page);
      const deckId = stripDeck;
      if (deckId === null) continue;
      void drawPage(token, deckId, page, canvas, thumbWidth, () => stripDeck === deckId && !strip.hidden).then((drawn) => {
        if (!drawn && stripDeck === deckId) visible.observe(button); // Skipped while closed: draw when seen again.
      }, () => undefined);
    }
  }, { root: strip, rootMargin: "0px 200px" });

  function buildStrip(deck: DeckView | null): void {
    visible.disconnect();
    stripDeck = deck?.deckId ?? null;
    strip.replaceChildren(
      ...Array.from({ length: deck?.pageCount ?? 0 }, (_, i) => {
        const page = i + 1;
        const number = h("span", { className: "thumb-number", text: String(page) });
        const live = h("span", { className: "thumb-live" });
        setText(live, "paging.liveBadge");
        const button = h("button", { className: "thumb", attrs: { type: "button" }, dataset: { page: String(page) } }, h("canvas", { className: "thumb-canvas" }), number, live);
        setAttrText(button, "aria-label", "paging.thumbLabel", { page });
        button.addEventListener("click", () => go(page));
        return h("li", {}, button);
      }),
    );
    if (!strip.hidden) observeAll();
  }

  function observeAll(): void {
    for (const button of strip.querySelectorAll<HTMLElement>("button.thumb")) {
      if (!button.querySelector("canvas")?.dataset.drawnPage) visible.observe(button);
    }
  }

  const shownPage = (s: Readonly<LiveState>) => privatePage ?? s.currentPage;

  /** Go to `page` privately; reaching the live page by one's own move means following it again. */
  function go(page: number): void {
    if (!state?.deck) return;
    const target = Math.min(Math.max(1, page), state.deck.pageCount);
    privatePage = target === state.currentPage ? null : target;
    render(state);
  }

  function render(current: Readonly<LiveState>): void {
    state = current;
    const deck = current.deck;
    if ((deck?.deckId ?? null) !== stripDeck) {
      privatePage = null; // A new deck: its pages are not the ones this viewer was reading.
      buildStrip(deck);
    }
    if (deck && privatePage !== null && privatePage > deck.pageCount) privatePage = null;
    const shown = shownPage(current);
    slides.show(deck, shown);
    container.hidden = !deck;
    if (!deck) return;
    const away = privatePage !== null;
    container.dataset.mode = away ? "private" : "live";
    container.dataset.shownPage = String(shown);
    prev.disabled = shown <= 1;
    next.disabled = shown >= deck.pageCount;
    backToLive.hidden = !away;
    status.hidden = !away;
    if (away) {
      setText(backToLive, "paging.backToLive", { page: current.currentPage });
      setText(status, "paging.status", { page: shown, live: current.currentPage });
    }
    download.hidden = !current.deckDownloadable;
    for (const button of strip.querySelectorAll<HTMLElement>("button.thumb")) {
      const page = Number(button.dataset.page);
      button.classList.toggle("live", page === current.currentPage);
      button.classList.toggle("shown", page === shown);
      if (page === shown) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
  }

  prev.addEventListener("click", () => state && go(shownPage(state) - 1));
  next.addEventListener("click", () => state && go(shownPage(state) + 1));
  backToLive.addEventListener("click", () => {
    privatePage = null;
    if (state) render(state);
  });
  pagesToggle.addEventListener("click", () => {
    strip.hidden = !strip.hidden;
    pagesToggle.setAttribute("aria-expanded", String(!strip.hidden));
    if (!strip.hidden) {
      observeAll();
      strip.querySelector<HTMLElement>("button.thumb.shown")?.scrollIntoView({ block: "nearest", inline: "center" });
    }
  });
  download.addEventListener("click", async () => {
    const deck = state?.deck;
    if (!deck) return;
    errors.clear();
    download.disabled = true;
    try {
      const response = await request(`/api/decks/${encodeURIComponent(String(deck.deckId))}?download=1`, { token, accept: "application/pdf" });
      saveBlob(await response.blob(), deck.fileName);
    } catch (error) {
      errors.show(error);
    } finally {
      download.disabled = false;
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!state?.deck || event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable='true']")) return;
    const delta = event.key === "ArrowRight" || event.key === "PageDown" ? 1 : event.key === "ArrowLeft" || event.key === "PageUp" ? -1 : 0;
    if (delta === 0) return;
    event.preventDefault();
    go(shownPage(state) + delta);
  });

  let touchStart: { x: number; y: number } | null = null;
  options.swipeArea?.addEventListener("touchstart", (event) => {
    const touch = event.touches[0];
    touchStart = event.touches.length === 1 && touch ? { x: touch.clientX, y: touch.clientY } : null;
  }, { passive: true });
  options.swipeArea?.addEventListener("touchend", (event) => {
    const touch = event.changedTouches[0];
    if (!touchStart || !touch || !state) return;
    const dx = touch.clientX - touchStart.x;
    const dy = touch.clientY - touchStart.y;
    touchStart = null;
    if (Math.abs(dx) < swipeMin || Math.abs(dx) < Math.abs(dy) * 1.5) return;
    go(shownPage(state) + (dx < 0 ? 1 : -1)); // Swipe left: the next page, as in any photo viewer.
  }, { passive: true });

  onLangChange(labels);
  labels();
  return render;
}

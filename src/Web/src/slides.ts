import type { PDFDocumentProxy, PDFWorker, RenderTask } from "pdfjs-dist";
import workerUrl from "pdfjs-dist/build/pdf.worker.min.mjs?url";
import { getDeckBytes } from "./api";
import type { DeckView } from "./contract";
import { byId } from "./dom";
import { setAttrText, setText } from "./i18n";

type PdfJs = typeof import("pdfjs-dist");
let pdfjs: Promise<{ lib: PdfJs; worker: PDFWorker }> | null = null;

/**
 * pdf.js and its worker are most of the page's bytes (0.1 and 0.3 MB in Brotli). They are fetched side by
 * side, and beside the hub connection, instead of before the page script runs: the status, the questions
 * and the connection don't wait for them, and the worker is on its way before the deck is known. One
 * worker serves every deck; passed to getDocument as `worker`, it outlives the decks that are destroyed.
 */
export function loadPdfJs(): Promise<{ lib: PdfJs; worker: PDFWorker }> {
  if (!pdfjs) {
    const port = new Worker(workerUrl, { type: "module" });
    const loading = import("pdfjs-dist").then((lib) => ({ lib, worker: lib.PDFWorker.create({ port }) }));
    loading.catch(() => {
      // A download that failed on a weak link: the next deck load starts both again.
      port.terminate();
      pdfjs = null;
    });
    pdfjs = loading;
  }
  return pdfjs;
}

// CMaps (Chinese text in decks whose fonts are not embedded), standard fonts and wasm decoders are
// served from our own origin; vite.config.ts copies them to /pdfjs/. Nothing comes from the internet.
const pdfjsAssets = new URL(`${import.meta.env.BASE_URL}pdfjs/`, window.location.href).href;

/** Decks open in this page, shared by the slide, the thumbnails and the next-slide preview: one copy each. */
const openDecks = new Map<number, Promise<PDFDocumentProxy>>();

/** Opens PDF bytes with pdf.js as every page here does: its assets served by us, no eval. The bytes and
 *  pdf.js itself load side by side. */
export async function openPdf(loading: Promise<ArrayBuffer>): Promise<PDFDocumentProxy> {
  const [bytes, { lib, worker }] = await Promise.all([loading, loadPdfJs()]);
  return lib.getDocument({
    data: new Uint8Array(bytes),
    worker,
    cMapUrl: `${pdfjsAssets}cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${pdfjsAssets}standard_fonts/`,
    wasmUrl: `${pdfjsAssets}wasm/`,
    iccUrl: `${pdfjsAssets}iccs/`,
    isEvalSupported: false,
  }).promise;
}

/** The deck as pdf.js holds it, fetched once however many views draw from it. */
export function openDeck(token: string, deckId: number): Promise<PDFDocumentProxy> {
  let doc = openDecks.get(deckId);
  if (!doc) {
    doc = openPdf(getDeckBytes(token, deckId));
    openDecks.set(deckId, doc);
    // A failed load is not cached, so the next page change tries again.
    doc.catch(() => openDecks.delete(deckId));
  }
  return doc;
}

export interface SlideViewOptions {
  /** Host or participant token: decks are only served to the session's own screens. */
  token: string;
  onError?: (error: unknown) => void;
}

interface Wanted {
  deck: DeckView;
  page: number;
}

/**
 * Renders the session's current slide into `#slide-canvas`, fitted to its container. Only the latest
 * requested page ends up on the canvas: a newer request cancels the render in flight. Each page is drawn
 * off screen and copied over when complete, so the canvas never shows half a slide.
 */
export class SlideView {
  private readonly canvas = byId<HTMLCanvasElement>("slide-canvas");
  private readonly stage: HTMLElement;
  private readonly indicator = byId("page-indicator");
  private readonly noDeck = byId("no-deck");
  private readonly status = document.getElementById("slide-status");
  private readonly docs = openDecks;
  private wanted: Wanted | null = null;
  private task: RenderTask | null = null;
  private generation = 0;
  private drawn: { deckId: number; page: number; width: number } | null = null;

  constructor(private readonly options: SlideViewOptions) {
    void loadPdfJs().catch(() => undefined); // Reported when a deck needs it.
    this.stage = this.canvas.parentElement ?? document.body;
    this.canvas.hidden = true;
    this.noDeck.hidden = true;
    this.indicator.hidden = true;
    let resizeTimer: number | undefined;
    new ResizeObserver(() => {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(() => {
        if (this.wanted && this.drawn && Math.abs(this.stageWidth() - this.drawn.width) > 1) void this.render();
      }, 150);
    }).observe(this.stage);
    // Full screen, or a phone turned on its side, changes the height a slide may take.
    const redraw = () => window.setTimeout(() => this.wanted && this.drawn && void this.render(), 150);
    document.addEventListener("fullscreenchange", redraw);
    window.addEventListener("orientationchange", redraw);
  }

  /** Shows `page` of `deck`, or the "no slides yet" message when there is no deck. */
  show(deck: DeckView | null, page: number): void {
    this.showIndicator(deck, page);
    if (!deck) {
      this.wanted = null;
      this.generation++;
      this.task?.cancel();
      this.task = null;
      this.drawn = null;
      this.canvas.hidden = true;
      delete this.canvas.dataset.renderedPage;
      delete this.canvas.dataset.deckId;
      this.setStatus(null);
      setText(this.noDeck, "slides.noDeck");
      this.noDeck.hidden = false;
      return;
    }
    this.noDeck.hidden = true;
    const same = this.wanted && this.wanted.deck.deckId === deck.deckId && this.wanted.page === page;
    this.wanted = { deck, page };
    if (same) return; // Already drawn or being drawn.
    void this.render();
  }

  private showIndicator(deck: DeckView | null, page: number): void {
    if (!deck) {
      this.indicator.hidden = true;
      delete this.indicator.dataset.page;
      delete this.indicator.dataset.pageCount;
      this.indicator.textContent = "";
      return;
    }
    this.indicator.hidden = false;
    this.indicator.dataset.page = String(page);
    this.indicator.dataset.pageCount = String(deck.pageCount);
    setText(this.indicator, "slides.pageIndicator", { page, count: deck.pageCount });
  }

  private stageWidth(): number {
    return this.stage.clientWidth || 800;
  }

  private load(deckId: number): Promise<PDFDocumentProxy> {
    return openDeck(this.options.token, deckId);
  }

  /** A deck that was replaced won't be shown again; free its worker memory. */
  private forgetOtherDecks(keep: number): void {
    for (const [deckId, doc] of this.docs) {
      if (deckId === keep) continue;
      this.docs.delete(deckId);
      doc.then((d) => d.destroy()).catch(() => undefined);
    }
  }

  private async render(): Promise<void> {
    const wanted = this.wanted;
    if (!wanted) return;
    const generation = ++this.generation;
    this.task?.cancel();
    this.task = null;
    const deckId = wanted.deck.deckId;
    const loadingDeck = !this.drawn || this.drawn.deckId !== deckId;
    if (loadingDeck) this.setStatus("slides.loading");
    try {
      const doc = await this.load(deckId);
      if (generation !== this.generation) return;
      this.forgetOtherDecks(deckId);
      const pageNumber = Math.min(Math.max(1, wanted.page), doc.numPages);
      const page = await doc.getPage(pageNumber);
      if (generation !== this.generation) return;

      // Fit the container's width, and keep a portrait page from growing taller than the window.
      const natural = page.getViewport({ scale: 1 });
      const cssWidthLimit = this.stageWidth();
      // In projector mode the stage is the whole screen; a phone on its side gives the slide all its height.
      const cssHeightLimit = document.body.classList.contains("projector")
        ? Math.max(240, this.stage.clientHeight || window.innerHeight)
        : window.innerHeight < 500 && window.innerWidth > window.innerHeight
          ? Math.max(200, window.innerHeight - 8)
          : Math.max(240, window.innerHeight * 0.85);
      const scale = Math.min(cssWidthLimit / natural.width, cssHeightLimit / natural.height);
      const pixelRatio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: scale * pixelRatio });

      const offscreen = document.createElement("canvas");
      offscreen.width = Math.max(1, Math.floor(viewport.width));
      offscreen.height = Math.max(1, Math.floor(viewport.height));
      const task = page.render({ canvas: offscreen, viewport });
      this.task = task;
      await task.promise;
      if (generation !== this.generation) return;
      this.task = null;

      this.canvas.width = offscreen.width;
      this.canvas.height = offscreen.height;
      this.canvas.style.width = `${Math.floor(natural.width * scale)}px`;
      this.canvas.style.height = `${Math.floor(natural.height * scale)}px`;
      this.canvas.getContext("2d")?.drawImage(offscreen, 0, 0);
      this.canvas.hidden = false;
      this.canvas.dataset.deckId = String(deckId);
      this.canvas.dataset.renderedPage = String(pageNumber);
      setAttrText(this.canvas, "aria-label", "slides.canvasLabel", { page: pageNumber });
      this.drawn = { deckId, page: pageNumber, width: cssWidthLimit };
      this.setStatus(null);
      page.cleanup();
    } catch (error) {
      if ((error as { name?: string } | null)?.name === "RenderingCancelledException") return;
      if (generation !== this.generation) return;
      this.task = null;
      // Let the next show() of the same page try again.
      this.wanted = null;
      this.setStatus("slides.loadFailed");
      this.options.onError?.(error);
    }
  }

  private setStatus(key: "slides.loading" | "slides.loadFailed" | null): void {
    if (!this.status) return;
    if (key) setText(this.status, key);
    this.status.hidden = key === null;
  }
}

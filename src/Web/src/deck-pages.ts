import { openDeck } from "./slides";

// Thumbnails and the next-slide preview draw one page at a time, in the order asked: a 60-page strip
// on a phone never starts 60 renders at once, and each page is released as soon as it is drawn.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Draws page `page` of a deck into `canvas`, `cssWidth` pixels wide (at most twice that in device pixels,
 * which is sharp enough for a thumbnail). `stillWanted` is asked when its turn comes: a thumbnail scrolled
 * away or a preview already replaced is skipped. Resolves true when drawn.
 */
export function drawPage(
  token: string,
  deckId: number,
  page: number,
  canvas: HTMLCanvasElement,
  cssWidth: number,
  stillWanted: () => boolean = () => true,
): Promise<boolean> {
  const run = queue.then(async () => {
    if (!stillWanted()) return false;
    const doc = await openDeck(token, deckId);
    if (page < 1 || page > doc.numPages || !stillWanted()) return false;
    const pdfPage = await doc.getPage(page);
    const natural = pdfPage.getViewport({ scale: 1 });
    const scale = cssWidth / natural.width;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const viewport = pdfPage.getViewport({ scale: scale * ratio });
    // Drawn off screen and copied over, so a canvas never shows half a page.
    const offscreen = document.createElement("canvas");
    offscreen.width = Math.max(1, Math.floor(viewport.width));
    offscreen.height = Math.max(1, Math.floor(viewport.height));
    await pdfPage.render({ canvas: offscreen, viewport }).promise;
    pdfPage.cleanup();
    if (!stillWanted()) return false;
    canvas.width = offscreen.width;
    canvas.height = offscreen.height;
    canvas.style.width = `${Math.floor(cssWidth)}px`;
    canvas.style.height = `${Math.floor(natural.height * scale)}px`;
    canvas.getContext("2d")?.drawImage(offscreen, 0, 0);
    canvas.dataset.drawnPage = String(page);
    return true;
  });
  queue = run.catch(() => undefined);
  return run;
}

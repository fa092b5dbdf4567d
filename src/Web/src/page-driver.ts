import { byId } from "./dom";
import type { ErrorBox } from "./errors";
import type { LiveSession } from "./live";

export interface PageDriverOptions {
  /** False where this screen turns no pages (the moderator link on the host page): keys then do nothing. */
  canTurn?: () => boolean;
  /** Called after the controls are brought up to date, for what else a page shows beside them. */
  onRender?: () => void;
}

/**
 * The controls that turn the session's page, shared by the host page and the presenter view (the same
 * element ids in both): ‹ › buttons, the page box, ← → PageUp PageDown (a clicker sends PageDown).
 * Key presses can outrun the server's replies: each press moves from the page last asked for, not from
 * the page last confirmed, so three quick presses go three pages on. Returns the function that redraws
 * the controls; call it whenever the page or the deck changes.
 */
export function mountPageDriver(
  live: LiveSession,
  errors: ErrorBox,
  confirmed: () => { page: number; count: number },
  options: PageDriverOptions = {},
): () => void {
  const prevButton = byId<HTMLButtonElement>("prev-page");
  const nextButton = byId<HTMLButtonElement>("next-page");
  const gotoForm = byId<HTMLFormElement>("goto-form");
  const gotoInput = byId<HTMLInputElement>("goto-page-input");
  const gotoButton = byId<HTMLButtonElement>("goto-page");
  let requestedPage: number | null = null;
  let inFlight = 0;
  const basePage = () => requestedPage ?? confirmed().page;

  function render(): void {
    const { count } = confirmed();
    const page = basePage();
    prevButton.disabled = count === 0 || page <= 1;
    nextButton.disabled = count === 0 || page >= count;
    gotoInput.disabled = count === 0;
    gotoButton.disabled = count === 0;
    gotoInput.max = String(Math.max(1, count));
    options.onRender?.();
  }

  async function goTo(page: number): Promise<void> {
    const { page: current, count } = confirmed();
    if (count === 0 || !Number.isInteger(page) || page < 1 || page > count) return;
    if (inFlight === 0 && page === current) return;
    requestedPage = page;
    inFlight++;
    render();
    try {
      errors.clear();
      await live.goToPage(page);
    } catch (error) {
      errors.show(error);
      requestedPage = null;
    } finally {
      inFlight--;
      if (inFlight === 0) requestedPage = null;
      render();
    }
  }

  prevButton.addEventListener("click", () => void goTo(basePage() - 1));
  nextButton.addEventListener("click", () => void goTo(basePage() + 1));
  gotoForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const page = Number(gotoInput.value);
    if (!Number.isInteger(page) || page < 1 || page > confirmed().count) {
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
    if (delta === 0 || options.canTurn?.() === false) return;
    event.preventDefault();
    void goTo(basePage() + delta);
  });

  return render;
}

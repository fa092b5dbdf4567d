import { HubMethods, ParticipantRoles } from "./contract";
import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { onLangChange, setText } from "./i18n";
import type { ChangeKind, LiveSession, LiveState } from "./live";
import { mountNotesEditor, SlideNotesStore } from "./slide-notes";

/** The presenter view's address: the host token goes in the fragment, never to a server log. */
export function presenterUrl(token: string): string {
  return new URL(`/presenter.html#token=${encodeURIComponent(token)}`, window.location.href).href;
}

interface PresentationRequestLike {
  start(): Promise<unknown>;
}

/**
 * Opens the presenter view: with the Presentation API where the browser has one (it offers the second
 * display), else, or when that fails or is cancelled, as a window of its own.
 */
export async function openPresenterView(token: string, onDisplay: boolean, errors: Pick<ErrorBox, "showMessage">): Promise<void> {
  const url = presenterUrl(token);
  const Request = (window as unknown as { PresentationRequest?: new (urls: string[]) => PresentationRequestLike }).PresentationRequest;
  if (onDisplay && Request && "presentation" in navigator) {
    try {
      await new Request([url]).start();
      return;
    } catch {
      // No display found, or the picker was closed: a window does the same job.
    }
  }
  const opened = window.open(url, "lx-presenter", "popup,width=1280,height=800");
  if (!opened) errors.showMessage("presenting.popupBlocked");
}

/**
 * The host page's part in presenting: open the presenter view, let viewers download the deck, and the
 * speaker note of the page on screen. The moderator link sees none of it. Returns the render function.
 */
export function mountHostPresenting(container: HTMLElement, live: LiveSession, token: string, errors: ErrorBox): (state: Readonly<LiveState>, kind: ChangeKind) => void {
  const open = h("button", { attrs: { type: "button", id: "open-presenter" } });
  const onDisplay = h("button", { attrs: { type: "button", id: "open-presenter-display" } });
  onDisplay.hidden = !("PresentationRequest" in window);
  const allow = h("input", { attrs: { type: "checkbox", id: "deck-downloadable" } });
  const allowText = h("span");
  const allowHint = h("p", { className: "hint" });
  const notes = h("section", { attrs: { id: "host-notes" } });
  container.classList.add("card", "presenting");
  container.replaceChildren(
    h("div", { className: "row" }, open, onDisplay),
    h("label", { className: "check" }, allow, " ", allowText),
    allowHint,
    notes,
  );
  container.hidden = true;
  const labels = () => {
    setText(open, "presenting.open");
    setText(onDisplay, "presenting.openOnDisplay");
    setText(allowText, "presenting.allowDownload");
    setText(allowHint, "presenting.allowDownloadHint");
  };
  labels();
  onLangChange(labels);

  const store = new SlideNotesStore(live);
  const showNote = mountNotesEditor(notes, store, errors);

  open.addEventListener("click", () => void openPresenterView(token, false, errors));
  onDisplay.addEventListener("click", () => void openPresenterView(token, true, errors));
  allow.addEventListener("change", async () => {
    errors.clear();
    allow.disabled = true;
    try {
      await live.invoke(HubMethods.SetDeckDownloadable, allow.checked);
    } catch (error) {
      allow.checked = !allow.checked;
      errors.show(error);
    } finally {
      allow.disabled = false;
    }
  });

  return (state, kind) => {
    if (state.role !== ParticipantRoles.Host) return; // Notes and the download are the presenter's alone.
    container.hidden = false;
    if (!allow.disabled) allow.checked = state.deckDownloadable;
    if (kind === "snapshot" || kind === "deck") void store.reload().catch((error) => errors.show(error));
    showNote(state.deck, state.currentPage);
  };
}

import { ClientEvents, HubMethods, type DeckView, type SlideNote, type SlideNoteChanged, type SlideNotesState } from "./contract";
import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { NotConnectedError } from "./errors";
import { onLangChange, setAttrText, setText } from "./i18n";
import type { LiveSession } from "./live";

/**
 * The speaker notes of the current deck, for the host page and the presenter view (host token only).
 * Their own stream (hosts only): a note typed in one window reaches the other through the hub, on
 * whichever instance each is connected to. A gap in versions, a new deck or a reconnection reloads them.
 */
export class SlideNotesStore {
  private version = 0;
  private deckId: number | null = null;
  private readonly notes = new Map<number, SlideNote>();
  private readonly listeners = new Set<() => void>();
  maxChars = 5000;

  constructor(private readonly live: LiveSession) {
    live.listen<SlideNoteChanged>(ClientEvents.SlideNoteChanged, (change) => this.receive(change));
    // After a backplane outage notes may have been missed too (the versions message does not list this
    // hosts-only stream): they are few, so read them again.
    live.listen(ClientEvents.StreamVersionsChanged, () => void this.reload().catch(() => undefined));
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  note(deckId: number, page: number): SlideNote | null {
    return deckId === this.deckId ? (this.notes.get(page) ?? null) : null;
  }

  /** Reads them all again: on connect, after a deck change, after a gap. */
  async reload(): Promise<void> {
    let state: SlideNotesState;
    try {
      state = await this.live.invokeOnceStarted(HubMethods.GetSlideNotes);
    } catch (error) {
      if (error instanceof NotConnectedError) return; // The link went down again: the next snapshot reloads.
      throw error;
    }
    this.version = state.version;
    this.deckId = state.deckId;
    this.maxChars = state.maxChars;
    this.notes.clear();
    for (const note of state.notes) this.notes.set(note.page, note);
    this.emit();
  }

  async save(deckId: number, page: number, text: string): Promise<void> {
    this.receive(await this.live.invoke(HubMethods.SetSlideNote, deckId, page, text));
  }

  private receive(change: SlideNoteChanged): void {
    if (change.version <= this.version) return;
    if (change.version > this.version + 1 || change.note.deckId !== this.deckId) {
      void this.reload().catch(() => undefined);
      return;
    }
    this.version = change.version;
    if (change.note.text) this.notes.set(change.note.page, change.note);
    else this.notes.delete(change.note.page);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Waiting this long after the last key before saving: a note is saved while typing, not per key. */
const saveDelayMs = 800;

/**
 * The note of the page on screen, editable: saved a moment after typing stops, when the field is left,
 * and before another page is shown. A change from another window shows at once unless this one is
 * being edited. Returns a function to call with the deck and the page shown.
 */
export function mountNotesEditor(container: HTMLElement, store: SlideNotesStore, errors: Pick<ErrorBox, "show">): (deck: DeckView | null, page: number) => void {
  const heading = h("h2", { className: "notes-heading" });
  const area = h("textarea", { className: "slide-notes-text", attrs: { id: `${container.id}-text`, rows: "5" } });
  const counter = h("span", { className: "counter" });
  const status = h("span", { className: "notes-status", attrs: { role: "status" } });
  container.classList.add("notes-editor");
  container.replaceChildren(heading, area, h("div", { className: "notes-footer" }, counter, status));

  let shown: { deckId: number; page: number } | null = null;
  let dirty = false;
  let timer: number | undefined;
  let statusKey: "notes.saving" | "notes.saved" | "notes.fromDeck" | null = null;

  const renderLabels = () => {
    if (shown) setText(heading, "notes.heading", { page: shown.page });
    else setText(heading, "notes.noDeck");
    setAttrText(area, "placeholder", "notes.placeholder");
    setText(counter, "notes.counter", { count: area.value.length, max: store.maxChars });
    if (statusKey) setText(status, statusKey);
    else status.textContent = "";
  };

  const setStatus = (key: typeof statusKey) => {
    statusKey = key;
    renderLabels();
  };

  async function flush(): Promise<void> {
    window.clearTimeout(timer);
    if (!dirty || !shown) return;
    const target = shown;
    const text = area.value;
    dirty = false;
    setStatus("notes.saving");
    try {
      await store.save(target.deckId, target.page, text);
      if (shown === target && !dirty) setStatus("notes.saved");
    } catch (error) {
      if (shown === target) dirty = true; // Kept, to be saved again.
      setStatus(null);
      errors.show(error);
    }
  }

  function fill(): void {
    if (!shown || dirty) return;
    const note = store.note(shown.deckId, shown.page);
    if (document.activeElement !== area || area.value === "") area.value = note?.text ?? "";
    if (statusKey !== "notes.saving") setStatus(note?.source === "deck" ? "notes.fromDeck" : null);
    renderLabels();
  }

  area.maxLength = store.maxChars;
  area.addEventListener("input", () => {
    dirty = true;
    renderLabels();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void flush(), saveDelayMs);
  });
  area.addEventListener("blur", () => void flush());
  store.onChange(() => {
    area.maxLength = store.maxChars;
    fill();
  });
  onLangChange(renderLabels);

  return (deck, page) => {
    const next = deck ? { deckId: deck.deckId, page } : null;
    if (shown && next && shown.deckId === next.deckId && shown.page === next.page) return;
    void flush();
    shown = next;
    area.disabled = !next;
    dirty = false;
    area.value = "";
    statusKey = null;
    fill();
    renderLabels();
  };
}

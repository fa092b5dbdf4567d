import { applyTranslations, type MessageKey } from "./i18n";
import { limits } from "./limits";

// --- Office decks ---
// The server converts PowerPoint, ODP and Word files to PDF where LibreOffice is installed, and says
// so in /api/limits (officeDecks). The picker offers what the server takes; the server still decides
// by the file's bytes, so a renamed file is judged by what it is.

const pdfTypes = ["application/pdf", ".pdf"];
const officeExtensions = [".pptx", ".ppt", ".odp", ".docx"];

/** True for a file the server will convert first (by its name: only for what the page says while it waits). */
export function isOfficeFile(file: File): boolean {
  const name = file.name.toLowerCase();
  return officeExtensions.some((extension) => name.endsWith(extension));
}

/** The status line's text once an upload's bytes are sent: a conversion takes seconds, a PDF check less. */
export function processingMessage(file: File): MessageKey {
  return isOfficeFile(file) ? "deckFormats.converting" : "host.uploadProcessing";
}

/**
 * Sets the deck card for what this server takes: the picker's `accept`, the heading and label, and a
 * hint (office files are converted, or: upload a PDF). Until the limits arrive the card offers PDF only.
 */
export async function offerDeckFormats(card: { input: HTMLInputElement; heading: HTMLElement; label: HTMLElement; hint: HTMLElement }): Promise<void> {
  let office = false;
  try {
    office = (await limits()).officeDecks;
  } catch {
    return; // The server is unreachable: the upload will say so.
  }
  card.input.accept = (office ? [...pdfTypes, ...officeExtensions] : pdfTypes).join(",");
  if (office) {
    card.heading.setAttribute("data-i18n", "deckFormats.heading");
    card.label.setAttribute("data-i18n", "deckFormats.label");
  }
  card.hint.setAttribute("data-i18n", office ? "deckFormats.officeHint" : "deckFormats.pdfOnly");
  card.hint.hidden = false;
  applyTranslations(card.hint.parentElement ?? document);
}

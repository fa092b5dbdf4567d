import { onLangChange, setText } from "./i18n";

/** The element with `id`; a missing one is a bug in the page, so it throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Missing #${id}`);
  return element as T;
}

export interface ElementOptions {
  className?: string;
  /** Set with textContent: user data is never parsed as HTML. */
  text?: string;
  attrs?: Record<string, string>;
  dataset?: Record<string, string>;
}

/** createElement with text, attributes and children; the only way this app builds dynamic markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) element.setAttribute(name, value);
  for (const [name, value] of Object.entries(options.dataset ?? {})) element.dataset[name] = value;
  element.append(...children);
  return element;
}

/** Shows a short translated status line (`role=status`) that follows language changes. */
export class StatusLine {
  private render: (() => string) | null = null;

  constructor(private readonly element: HTMLElement) {
    onLangChange(() => this.refresh());
  }

  set(render: (() => string) | null): void {
    this.render = render;
    this.refresh();
  }

  private refresh(): void {
    this.element.textContent = this.render ? this.render() : "";
    this.element.hidden = this.render === null;
  }
}

/**
 * Copies text. The Clipboard API only exists on https or localhost; on a closed network the app is often
 * served over plain http, so fall back to selecting a hidden textarea and execCommand("copy").
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the old way.
  }
  const area = h("textarea", { attrs: { readonly: "", "aria-hidden": "true" } });
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

/**
 * Makes `button` copy `getText()`. It says "Copied" for a moment; when copying is impossible it selects
 * `selectOnFail` so the user can press Ctrl+C, and says so.
 */
export function wireCopyButton(button: HTMLButtonElement, getText: () => string, selectOnFail?: HTMLElement): HTMLButtonElement {
  setText(button, "common.copy");
  let timer: number | undefined;
  button.addEventListener("click", async () => {
    const copied = await copyText(getText());
    if (!copied && selectOnFail) {
      const range = document.createRange();
      range.selectNodeContents(selectOnFail);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
    setText(button, copied ? "common.copied" : "common.copyFailed");
    window.clearTimeout(timer);
    timer = window.setTimeout(() => setText(button, "common.copy"), copied ? 2000 : 5000);
  });
  return button;
}

export function copyButton(getText: () => string, selectOnFail?: HTMLElement): HTMLButtonElement {
  return wireCopyButton(h("button", { className: "copy", attrs: { type: "button" } }), getText, selectOnFail);
}

/**
 * A banner at the top of the page saying the session is over for this screen ("session.ended" or
 * "session.cancelled" or "session.removed"), in the page's language; shown once, follows language changes.
 */
export function showEnded(key: "session.ended" | "session.cancelled" | "session.removed"): void {
  let banner = document.getElementById("session-ended");
  if (!banner) {
    banner = h("div", { className: "ended-banner", attrs: { id: "session-ended", role: "status" } });
    (document.querySelector("main") ?? document.body).prepend(banner);
  }
  const element = banner;
  setText(element, key);
  onLangChange(() => setText(element, key));
}

/** Saves a fetched file (fetched because a plain link can't carry the organiser key) under its name. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = h("a", { attrs: { href: url, download: fileName } });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

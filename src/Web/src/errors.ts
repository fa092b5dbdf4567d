import { isMessageKey, onLangChange, t, type MessageKey, type MessageParams } from "./i18n";

/** An HTTP error, parsed from the server's ProblemDetails when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    /** The server's English text (ProblemDetails `detail`, else `title`), or "" when there was none. */
    readonly englishText: string,
  ) {
    super(code ? `[${code}] ${englishText}` : englishText || `HTTP ${status}`);
    this.name = "ApiError";
  }
}

/** A request that never reached the server (offline, DNS, connection refused). */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super("Network error", { cause });
    this.name = "NetworkError";
  }
}

// A HubException reaches the browser as "[code] English text", often wrapped by the SignalR client:
// "An unexpected error occurred invoking 'AskQuestion' on the server. HubException: [code] text".
const hubCodePattern = /\[([a-z][a-z0-9_]*)\]\s*/i;

/** Splits a hub error message into its error code and English text. */
export function parseCodedMessage(message: string): { code: string | undefined; text: string } {
  const match = hubCodePattern.exec(message);
  if (!match) return { code: undefined, text: message.trim() };
  return { code: match[1]!.toLowerCase(), text: message.slice(match.index + match[0].length).trim() };
}

/** The stable error code of an HTTP or hub error, if it carries one. */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof ApiError) return error.code;
  if (error instanceof Error) {
    // The pages' SignalR client makes no HTTP request (no negotiate, see live.ts): a refused link is
    // learnt over HTTP, as an ApiError, never from a SignalR error's status.
    return parseCodedMessage(error.message).code;
  }
  return undefined;
}

/** Thrown when a hub method is called while the connection is down. */
export class NotConnectedError extends Error {
  constructor() {
    super("Not connected");
    this.name = "NotConnectedError";
  }
}

/**
 * Thrown when the link to the hub died while a call was waiting for its answer. The call may or may not
 * have run on the server: what it did shows up in the snapshot that comes with the reconnection.
 */
export class ConnectionLostError extends Error {
  constructor(cause?: unknown) {
    super("Connection lost before the server answered", { cause });
    this.name = "ConnectionLostError";
  }
}

function translatedCode(code: string | undefined): string | undefined {
  if (!code) return undefined;
  const key = `error.${code}`;
  return isMessageKey(key) ? t(key) : undefined;
}

// Messages of the SignalR client when a call is made while the connection is down.
const notConnectedPattern = /connection (is not in the 'Connected' State|being closed|was stopped|disconnected)|not in the 'Connected' state|Invocation canceled/i;

/** What to show the user for `error`: the translation of `error.<code>`, else the server's English text. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    return translatedCode(error.code) ?? (error.englishText || t("error.http", { status: error.status }));
  }
  if (error instanceof NetworkError) return t("error.network");
  if (error instanceof NotConnectedError) return t("error.notConnected");
  if (error instanceof ConnectionLostError) return t("error.connectionLost");
  if (error instanceof Error) {
    const { code, text } = parseCodedMessage(error.message);
    if (code) return translatedCode(code) ?? (text || t("error.unknown"));
    if (notConnectedPattern.test(error.message)) return t("error.notConnected");
    if (error.name === "TypeError" && /fetch|network/i.test(error.message)) return t("error.network");
  }
  return t("error.unknown");
}

/** True for errors that say only that the link was down: they are out of date once it is back. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof NotConnectedError || error instanceof ConnectionLostError || error instanceof NetworkError) return true;
  if (!(error instanceof Error) || parseCodedMessage(error.message).code) return false;
  return notConnectedPattern.test(error.message) || (error.name === "TypeError" && /fetch|network/i.test(error.message));
}

/**
 * The page's `#error` box (role=alert). It remembers what it shows rather than the text, so a language
 * switch re-translates the message on screen.
 */
export class ErrorBox {
  private render: (() => string) | null = null;
  private aboutConnection = false;

  constructor(private readonly element: HTMLElement) {
    element.hidden = true;
    onLangChange(() => this.refresh());
  }

  static forPage(): ErrorBox {
    const element = document.getElementById("error");
    if (!element) throw new Error("The page has no #error element.");
    return new ErrorBox(element);
  }

  show(error: unknown): void {
    if (error instanceof Error) console.warn(error);
    this.render = () => describeError(error);
    this.aboutConnection = isConnectionError(error);
    this.refresh();
  }

  showMessage(key: MessageKey, params?: MessageParams): void {
    this.render = () => t(key, params);
    this.aboutConnection = false;
    this.refresh();
  }

  clear(): void {
    this.render = null;
    this.refresh();
  }

  /** The connection is back: a message that it was down would now contradict the status beside it. */
  clearConnectionErrors(): void {
    if (this.aboutConnection) this.clear();
  }

  private refresh(): void {
    this.element.textContent = this.render ? this.render() : "";
    this.element.hidden = this.render === null;
  }
}

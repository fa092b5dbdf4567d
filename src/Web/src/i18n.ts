import { en } from "./i18n/en";
import { zh } from "./i18n/zh";
import { local, StorageKeys } from "./storage";

export type MessageKey = keyof typeof zh;
export type Lang = "zh" | "en";
export type MessageParams = Record<string, string | number>;

const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };
const listeners = new Set<() => void>();
let lang: Lang = detectLang();

function detectLang(): Lang {
  const stored = local.get(StorageKeys.lang);
  if (stored === "zh" || stored === "en") return stored;
  return (navigator.language ?? "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(zh, key);
}

/** The message for `key` in the current language, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params?: MessageParams): string {
  const text = dictionaries[lang][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export function currentLang(): Lang {
  return lang;
}

/** The BCP 47 tag for `<html lang>` and for Intl formatting. */
export function locale(): string {
  return lang === "zh" ? "zh-CN" : "en";
}

/** Calls `listener` after every language change; pages use it to re-render dynamic text. */
export function onLangChange(listener: () => void): void {
  listeners.add(listener);
}

export function setLang(next: Lang, remember = true): void {
  lang = next;
  if (remember) local.set(StorageKeys.lang, next);
  applyTranslations();
  for (const listener of listeners) listener();
}

/**
 * Fills text from attributes: `data-i18n` (textContent, with placeholders from the JSON in
 * `data-i18n-params`), `data-i18n-placeholder`, `data-i18n-title` and `data-i18n-aria-label`.
 * Unknown keys are left alone so a typo shows up as missing text, not a crash.
 */
export function applyTranslations(root: ParentNode = document): void {
  document.documentElement.lang = locale();
  const apply = (attribute: string, set: (element: HTMLElement, text: string) => void) => {
    for (const element of root.querySelectorAll<HTMLElement>(`[${attribute}]`)) {
      const key = element.getAttribute(attribute);
      if (key && isMessageKey(key)) set(element, t(key, paramsOf(element, `${attribute}-params`)));
    }
  };
  apply("data-i18n", (element, text) => (element.textContent = text));
  apply("data-i18n-placeholder", (element, text) => element.setAttribute("placeholder", text));
  apply("data-i18n-title", (element, text) => element.setAttribute("title", text));
  apply("data-i18n-aria-label", (element, text) => element.setAttribute("aria-label", text));
}

function paramsOf(element: HTMLElement, attribute: string): MessageParams | undefined {
  const json = element.getAttribute(attribute);
  if (!json) return undefined;
  try {
    return JSON.parse(json) as MessageParams;
  } catch {
    return undefined;
  }
}

/**
 * Sets an element's text to `t(key, params)` and records key and params on it, so a language switch
 * re-translates it in place. Params (often user data) end up in textContent only.
 */
export function setText(element: HTMLElement, key: MessageKey, params?: MessageParams): void {
  element.setAttribute("data-i18n", key);
  if (params) element.setAttribute("data-i18n-params", JSON.stringify(params));
  else element.removeAttribute("data-i18n-params");
  element.textContent = t(key, params);
}

/** Like setText for an attribute: `placeholder`, `title` or `aria-label`. */
export function setAttrText(element: HTMLElement, attribute: "placeholder" | "title" | "aria-label", key: MessageKey, params?: MessageParams): void {
  element.setAttribute(`data-i18n-${attribute}`, key);
  if (params) element.setAttribute(`data-i18n-${attribute}-params`, JSON.stringify(params));
  else element.removeAttribute(`data-i18n-${attribute}-params`);
  element.setAttribute(attribute, t(key, params));
}

/** Translates the static page, wires `#lang-switch`, and follows language changes made in other tabs. */
export function initI18n(): void {
  applyTranslations();
  document.getElementById("lang-switch")?.addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
  window.addEventListener("storage", (event) => {
    if (event.key === StorageKeys.lang && (event.newValue === "zh" || event.newValue === "en") && event.newValue !== lang) {
      setLang(event.newValue, false);
    }
  });
}

/** A date and time in the current language, in `timeZone` when given and valid. */
export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return t("common.none");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
  try {
    return new Intl.DateTimeFormat(locale(), timeZone ? { ...options, timeZone } : options).format(date);
  } catch {
    return new Intl.DateTimeFormat(locale(), options).format(date);
  }
}

/** Only the time of day, for tables that repeat the same date. */
export function formatTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return t("common.none");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  try {
    return new Intl.DateTimeFormat(locale(), timeZone ? { ...options, timeZone } : options).format(date);
  } catch {
    return new Intl.DateTimeFormat(locale(), options).format(date);
  }
}

/** Hours and minutes, for agendas. */
export function formatClock(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return t("common.none");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(locale(), timeZone ? { ...options, timeZone } : options).format(date);
  } catch {
    return new Intl.DateTimeFormat(locale(), options).format(date);
  }
}

/** Sets plain (usually user-supplied) text and drops any translation key the element had. */
export function setPlain(element: HTMLElement, text: string): void {
  element.removeAttribute("data-i18n");
  element.removeAttribute("data-i18n-params");
  element.textContent = text;
}

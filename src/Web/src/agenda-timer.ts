import type { AgendaSegment } from "./contract";
import { setText } from "./i18n";

export interface SegmentTime {
  segment: AgendaSegment;
  elapsedMs: number;
  plannedMs: number;
  overMs: number;
}

/**
 * The part of the agenda under way at `now`: the last one that has started. After its planned end (and
 * before the next part starts, or after the last part) it is still the one being presented, over time.
 */
export function currentSegment(agenda: readonly AgendaSegment[], now: number): SegmentTime | null {
  const started = agenda.filter((s) => Date.parse(s.startsAt) <= now).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const segment = started[started.length - 1];
  if (!segment) return null;
  const start = Date.parse(segment.startsAt);
  const plannedMs = Math.max(0, Date.parse(segment.endsAt) - start);
  const elapsedMs = now - start;
  return { segment, elapsedMs, plannedMs, overMs: Math.max(0, elapsedMs - plannedMs) };
}

/** 5:07, or 1:05:07 past an hour. */
export function formatDuration(ms: number): string {
  const total = Math.floor(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Shows elapsed against planned for the current part in `element`, over time marked (red, by CSS). */
export function renderSegmentTime(element: HTMLElement, agenda: readonly AgendaSegment[], now = Date.now()): void {
  const current = currentSegment(agenda, now);
  element.classList.toggle("over", (current?.overMs ?? 0) > 0);
  if (!current) {
    delete element.dataset.segment;
    setText(element, "presenter.timerNone");
    return;
  }
  element.dataset.segment = current.segment.title;
  const params = { title: current.segment.title, elapsed: formatDuration(current.elapsedMs), planned: formatDuration(current.plannedMs), over: formatDuration(current.overMs) };
  setText(element, current.overMs > 0 ? "presenter.timerOver" : "presenter.timer", params);
}

import type { AgendaSegment } from "./contract";
import { h } from "./dom";
import { formatClock, onLangChange, setText } from "./i18n";

/**
 * The agenda as every page shows it: each part's times in the session's zone, its title and the
 * presenting agency, the part under way marked (and announced to screen readers as the current step).
 * The mark follows the clock; call the returned function with a new agenda after an edit.
 */
export function mountAgenda(
  container: HTMLElement,
  timeZone: string,
  agenda: readonly AgendaSegment[],
  /** Keep the mark and language current on its own; false where the page re-renders anyway (organiser). */
  follow = true,
): (next: readonly AgendaSegment[], zone?: string) => void {
  let segments = agenda;
  let zone = timeZone;
  const heading = h("h2", { className: "agenda-heading" });
  const list = h("ol", { className: "agenda-list" });
  container.classList.add("agenda");
  container.replaceChildren(heading, list);

  const render = () => {
    setText(heading, "agenda.heading");
    container.hidden = segments.length === 0;
    const now = Date.now();
    list.replaceChildren(
      ...segments.map((segment) => {
        const current = Date.parse(segment.startsAt) <= now && now < Date.parse(segment.endsAt);
        const time = h("span", { className: "agenda-time", text: `${formatClock(segment.startsAt, zone)}–${formatClock(segment.endsAt, zone)}` });
        const item = h("li", { className: current ? "agenda-item current" : "agenda-item" }, time, " ", h("span", { className: "agenda-title", text: segment.title }));
        if (segment.agencyName) item.append(" ", h("span", { className: "agenda-agency", text: segment.agencyName }));
        if (current) {
          item.setAttribute("aria-current", "step");
          const now = h("span", { className: "agenda-now" });
          setText(now, "agenda.now");
          item.prepend(now, " ");
        }
        return item;
      }),
    );
  };

  render();
  if (follow) {
    onLangChange(render);
    // Re-mark every half minute: parts start and end on minutes.
    window.setInterval(render, 30_000);
  }
  return (next, nextZone) => {
    segments = next;
    if (nextZone) zone = nextZone;
    render();
  };
}

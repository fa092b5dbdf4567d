// Reactions (issue 9, point 4): the viewer's reaction bar, and the floating emoji with coalesced counts
// on the viewer's and the host's screens. The hub sends at most one ReactionsChanged per session, window
// and instance (ReactionFanout), so a burst of thousands arrives as a few messages; this module also
// keeps what it puts on screen small: at most one floating element per kind, its count added to.
import { ClientEvents, HubMethods, ReactionKinds, type ReactionCount, type ReactionKind, type ReactionsChanged, type ReactionTotals } from "./contract";
import { h } from "./dom";
import { errorCode, isConnectionError, NotConnectedError } from "./errors";
import { setAttrText, type MessageKey } from "./i18n";
import type { LiveSession } from "./live";

const emojiOf: Record<ReactionKind, string> = {
  like: "👍",
  clap: "👏",
  love: "❤️",
  idea: "💡",
  question: "❓",
};

const kinds = Object.values(ReactionKinds) as ReactionKind[];

/** How long a floating count stays up after its last addition. */
const floatMs = 2_500;

export interface ReactionsOptions {
  live: LiveSession;
  /** Where the counts float (over the slide or video); pointer events pass through it. */
  overlay: HTMLElement;
  /** The viewer's reaction bar; hosts have none (reactions are the audience's). */
  bar?: HTMLElement;
  /** Errors other than the silent ones (rate limit, link down). */
  onError?: (error: unknown) => void;
}

/** Wires the reaction bar and the floating counts to a live session. */
export function mountReactions(options: ReactionsOptions): void {
  const { live, overlay } = options;
  const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)");
  const totals = new Map<string, number>();
  const floating = new Map<string, { element: HTMLElement; count: number; timer: number }>();
  const buttons = new Map<string, HTMLButtonElement>();

  const renderTotal = (kind: ReactionKind) => {
    const button = buttons.get(kind);
    if (!button) return;
    const total = totals.get(kind) ?? 0;
    button.dataset.total = String(total);
    button.querySelector(".reaction-total")!.textContent = total > 0 ? String(total) : "";
    setAttrText(button, "aria-label", `reactions.${kind}` as MessageKey, { total });
  };

  // Totals only grow: keep the highest seen per kind, whatever order the instances' messages come in.
  const applyTotals = (counts: readonly ReactionCount[]) => {
    for (const { kind, count } of counts) {
      if (!kinds.includes(kind as ReactionKind) || count <= (totals.get(kind) ?? 0)) continue;
      totals.set(kind, count);
      renderTotal(kind as ReactionKind);
    }
  };

  const float = ({ kind, count }: ReactionCount) => {
    if (!kinds.includes(kind as ReactionKind) || count <= 0) return;
    const existing = floating.get(kind);
    const entry = existing ?? { element: h("span", { className: "reaction-float", dataset: { kind } }), count: 0, timer: 0 };
    entry.count += count;
    entry.element.textContent = entry.count > 1 ? `${emojiOf[kind as ReactionKind]} ×${entry.count}` : emojiOf[kind as ReactionKind];
    entry.element.dataset.count = String(entry.count);
    entry.element.classList.toggle("still", reducedMotion?.matches ?? false);
    if (!existing) {
      entry.element.style.setProperty("--lane", String(kinds.indexOf(kind as ReactionKind)));
      overlay.append(entry.element);
      floating.set(kind, entry);
    }
    window.clearTimeout(entry.timer);
    entry.timer = window.setTimeout(() => {
      entry.element.remove();
      floating.delete(kind);
    }, floatMs);
  };

  live.listen<ReactionsChanged>(ClientEvents.ReactionsChanged, (changed) => {
    applyTotals(changed.totals);
    for (const count of changed.burst) float(count);
  });
  // After every (re)connect: the totals as stored, which may have grown while this screen was away. The
  // pushed snapshot can arrive while the client still counts itself as connecting: then try again shortly.
  const loadTotals = (attempt: number) => {
    live.invoke(HubMethods.GetReactions).then(
      (result: ReactionTotals) => applyTotals(result.totals),
      (error: unknown) => {
        if (error instanceof NotConnectedError && attempt < 20) window.setTimeout(() => loadTotals(attempt + 1), 250);
      });
  };
  live.listen(ClientEvents.Snapshot, () => loadTotals(0));

  if (!options.bar) return;
  for (const kind of kinds) {
    const button = h("button", { className: "reaction-button", attrs: { type: "button" }, dataset: { kind } },
      h("span", { className: "reaction-emoji", text: emojiOf[kind], attrs: { "aria-hidden": "true" } }),
      h("span", { className: "reaction-total", attrs: { "aria-hidden": "true" } }));
    button.addEventListener("click", () => {
      live.invoke(HubMethods.React, kind).catch((error: unknown) => {
        // A masher past the budget: the button just does nothing more for a moment.
        if (errorCode(error) === "rate_limited" || isConnectionError(error)) return;
        options.onError?.(error);
      });
    });
    buttons.set(kind, button);
    options.bar.append(button);
    renderTotal(kind);
  }
}

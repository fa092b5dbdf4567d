// The moderator's Q&A queue on the host page: the host runs it, or a second person with the moderator
// link (the same page in moderator mode: the queue, no page turning, no camera). Every question comes
// named and with its status on the moderators' own stream (LiveState.moderation); the buttons call the
// hub and the queue follows the stream, never its own guesses.

import { HubMethods, ParticipantRoles, QuestionStatuses, type QuestionView } from "./contract";
import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { setPlain, setText } from "./i18n";
import type { ChangeKind, LiveSession, LiveState } from "./live";

export type ModerationFilter = "new" | "top" | "answered" | "dismissed";

const filters: ModerationFilter[] = ["new", "top", "answered", "dismissed"];

/** Which questions a filter shows, in its order. */
export function filterQuestions(questions: readonly QuestionView[], filter: ModerationFilter, votes: (q: QuestionView) => number): QuestionView[] {
  switch (filter) {
    case "new":
      // Waiting ones first (they need a decision), then the newest.
      return questions
        .filter((q) => q.status === QuestionStatuses.Pending || q.status === QuestionStatuses.Live)
        .sort((a, b) => Number(b.status === QuestionStatuses.Pending) - Number(a.status === QuestionStatuses.Pending) || b.id - a.id);
    case "top":
      return questions.filter((q) => q.status === QuestionStatuses.Live).sort((a, b) => votes(b) - votes(a) || a.id - b.id);
    case "answered":
      return questions.filter((q) => q.status === QuestionStatuses.Answered).sort((a, b) => b.id - a.id);
    case "dismissed":
      return questions.filter((q) => q.status === QuestionStatuses.Dismissed).sort((a, b) => b.id - a.id);
  }
}

/** On the host page with the moderator link: hide what only the host may do (pages, deck, camera, stage). */
export function applyModeratorMode(role: string): void {
  const moderator = role === ParticipantRoles.Moderator;
  document.body.classList.toggle("moderator-mode", moderator);
  for (const element of document.querySelectorAll<HTMLElement>(".slide-nav, #goto-form, .video-card, .video-stage .feed-tile.own, .stage-card, .card.deck, #host-polls, [data-i18n='host.keysHint']")) {
    if (moderator) element.hidden = true;
  }
  const notice = document.getElementById("moderator-mode");
  if (notice) notice.hidden = !moderator;
}

export class ModerationPanel {
  private filter: ModerationFilter = "new";
  private readonly pendingCount = h("p", { className: "mod-pending", attrs: { role: "status" } });
  private readonly queue = h("ol", { className: "mod-queue", attrs: { id: "mod-queue" } });
  private readonly empty = h("p", { className: "placeholder small" });
  private readonly filterButtons = new Map<ModerationFilter, HTMLButtonElement>();
  /** Reply drafts by question, kept across re-renders (the queue is rebuilt on every change). */
  private readonly drafts = new Map<number, string>();
  private readonly replying = new Set<number>();
  private last: Readonly<LiveState> | null = null;
  private rendered: LiveState["moderation"] = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly live: LiveSession,
    private readonly errors: ErrorBox,
  ) {
    const heading = h("h2");
    setText(heading, "mod.heading");
    const bar = h("div", { className: "mod-filters row", attrs: { role: "group" } });
    bar.setAttribute("data-i18n-aria-label", "mod.filtersLabel");
    for (const filter of filters) {
      const button = h("button", { className: "mod-filter", attrs: { type: "button", "aria-pressed": String(filter === this.filter) }, dataset: { filter } });
      setText(button, `mod.filter.${filter}`);
      button.addEventListener("click", () => {
        this.filter = filter;
        if (this.last) this.render(this.last, "filter");
      });
      this.filterButtons.set(filter, button);
      bar.append(button);
    }
    setText(this.empty, "mod.empty");
    root.append(heading, this.pendingCount, bar, this.queue, this.empty);
    root.hidden = true;
  }

  /**
   * Rebuilds the queue when the moderation state (or the filter) changed; for vote counts alone it only
   * updates the numbers, unless the order of "top" changed: a rebuild 8 times a second during a vote
   * storm would swallow the moderator's clicks.
   */
  render(state: Readonly<LiveState>, kind: ChangeKind | "filter" = "moderation"): void {
    // The state object is the same one, changed in place; the moderation state in it is a new object after
    // every change to the queue (whole or one question), so the same object means only counts changed.
    const countsOnly = (kind === "votes" || kind === "question") && this.rendered === state.moderation;
    this.last = state;
    const moderation = state.moderation;
    this.rendered = moderation;
    this.root.hidden = moderation === null;
    if (!moderation) return;
    const pending = moderation.questions.filter((q) => q.status === QuestionStatuses.Pending).length;
    setText(this.pendingCount, "mod.pendingCount", { count: pending });
    this.pendingCount.hidden = !moderation.questionsNeedApproval && pending === 0;
    for (const [filter, button] of this.filterButtons) button.setAttribute("aria-pressed", String(filter === this.filter));

    // Counts: the public list's are the newest (they follow the vote sequence); else the queue's own.
    const publicVotes = new Map(state.questions.map((q) => [q.id, q.votes]));
    const votes = (q: QuestionView) => publicVotes.get(q.id) ?? q.votes;
    const shown = filterQuestions(moderation.questions, this.filter, votes);
    const inPlace = [...this.queue.children] as HTMLElement[];
    if (countsOnly && inPlace.length === shown.length && inPlace.every((li, i) => li.dataset.questionId === String(shown[i]!.id))) {
      for (const [i, li] of inPlace.entries()) {
        const count = li.querySelector<HTMLElement>(".vote-count")!;
        count.textContent = String(votes(shown[i]!));
        count.dataset.votes = count.textContent;
      }
      return;
    }
    const focused = document.activeElement instanceof HTMLTextAreaElement && this.queue.contains(document.activeElement)
      ? Number(document.activeElement.dataset.questionId) : null;
    this.queue.replaceChildren(...shown.map((q) => this.item(q, votes(q), moderation.pinnedQuestionId === q.id)));
    this.empty.hidden = shown.length > 0;
    if (focused !== null) this.queue.querySelector<HTMLTextAreaElement>(`textarea[data-question-id="${focused}"]`)?.focus();
  }

  private item(q: QuestionView, votes: number, pinned: boolean): HTMLLIElement {
    const status = h("span", { className: `mod-status status-${q.status}` });
    setText(status, `mod.status.${q.status as "pending" | "live" | "answered" | "dismissed" | "withdrawn"}`);
    const text = h("p", { className: "question-text" });
    setPlain(text, q.text);
    const author = h("span", { className: "question-author" });
    // Moderators see who asked an anonymous question; the page says that only they do.
    setText(author, q.anonymous ? "mod.anonymousAsker" : "question.authorCity", { name: q.displayName, agency: q.agencyName, city: q.city });
    const count = h("span", { className: "vote-count", text: String(votes), dataset: { votes: String(votes) } });
    const item = h(
      "li",
      { className: `question mod-item${pinned ? " pinned" : ""}`, dataset: { questionId: String(q.id), status: q.status } },
      h("div", { className: "question-meta" }, status, author, count),
      text,
    );
    if (pinned) {
      const badge = h("p", { className: "question-badge" });
      setText(badge, "question.pinned");
      item.prepend(badge);
    }
    if (q.reply) {
      const reply = h("p", { className: "question-reply" });
      setText(reply, "question.reply", { text: q.reply });
      item.append(reply);
    }

    const actions = h("div", { className: "mod-actions row" });
    const act = (key: Parameters<typeof setText>[1], className: string, run: () => Promise<unknown>) => {
      const button = h("button", { className, attrs: { type: "button" } });
      setText(button, key);
      button.addEventListener("click", async () => {
        button.disabled = true;
        this.errors.clear();
        try {
          await run();
        } catch (error) {
          this.errors.show(error);
        } finally {
          button.disabled = false;
        }
      });
      actions.append(button);
    };
    if (q.status === QuestionStatuses.Pending || q.status === QuestionStatuses.Dismissed) {
      act("mod.approve", "primary mod-approve", () => this.live.invoke(HubMethods.ApproveQuestion, q.id));
    }
    if (q.status === QuestionStatuses.Live) {
      act(pinned ? "mod.unpin" : "mod.pin", "mod-pin", () => this.live.invoke(HubMethods.PinQuestion, pinned ? null : q.id));
      act("mod.answer", "mod-answer", () => this.live.invoke(HubMethods.MarkAnswered, q.id));
    }
    if (q.status !== QuestionStatuses.Dismissed && q.status !== QuestionStatuses.Withdrawn) {
      act("mod.dismiss", "mod-dismiss", () => this.live.invoke(HubMethods.DismissQuestion, q.id));
    }
    if (q.status !== QuestionStatuses.Withdrawn) {
      act("mod.reply", "mod-reply", async () => {
        if (this.replying.has(q.id)) this.replying.delete(q.id);
        else this.replying.add(q.id);
        if (this.last) this.render(this.last);
      });
    }
    item.append(actions);
    if (this.replying.has(q.id)) item.append(this.replyForm(q));
    return item;
  }

  private replyForm(q: QuestionView): HTMLElement {
    const label = h("label", { attrs: { for: `mod-reply-${q.id}` } });
    setText(label, "mod.replyLabel");
    const area = h("textarea", { className: "mod-reply-text", attrs: { id: `mod-reply-${q.id}`, rows: "3" }, dataset: { questionId: String(q.id) } });
    area.value = this.drafts.get(q.id) ?? q.reply ?? "";
    area.addEventListener("input", () => this.drafts.set(q.id, area.value));
    const send = h("button", { className: "primary mod-reply-send", attrs: { type: "button" } });
    setText(send, "mod.replySave");
    send.addEventListener("click", async () => {
      send.disabled = true;
      this.errors.clear();
      try {
        await this.live.invoke(HubMethods.ReplyToQuestion, q.id, area.value);
        this.drafts.delete(q.id);
        this.replying.delete(q.id);
        if (this.last) this.render(this.last);
      } catch (error) {
        this.errors.show(error);
      } finally {
        send.disabled = false;
      }
    });
    return h("div", { className: "mod-reply-form" }, label, area, send);
  }
}

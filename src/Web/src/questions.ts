import type { QuestionView } from "./contract";
import type { LiveState } from "./live";
import { h } from "./dom";
import { setAttrText, setPlain, setText } from "./i18n";

export interface QuestionListOptions {
  /** Viewers get an upvote button per question; the host sees counts only. */
  upvote?: (questionId: number) => Promise<void>;
}

/**
 * The live question list `<ol id="questions">`, already sorted by the LiveSession (votes, then time).
 * Items are kept by id and moved rather than rebuilt, so a vote doesn't reset what the user is looking at.
 */
export class QuestionList {
  private readonly items = new Map<number, HTMLLIElement>();
  private readonly pending = new Set<number>();
  private last: Readonly<LiveState> | null = null;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly empty: HTMLElement | null,
    private readonly options: QuestionListOptions = {},
  ) {}

  render(state: Readonly<LiveState>): void {
    this.last = state;
    const seen = new Set<number>();
    state.questions.forEach((question, index) => {
      seen.add(question.id);
      let item = this.items.get(question.id);
      if (!item) {
        item = this.create(question);
        this.items.set(question.id, item);
      }
      this.update(item, question, state);
      if (this.list.children[index] !== item) this.list.insertBefore(item, this.list.children[index] ?? null);
    });
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.remove();
        this.items.delete(id);
      }
    }
    if (this.empty) this.empty.hidden = state.questions.length > 0;
  }

  private create(question: QuestionView): HTMLLIElement {
    const item = h(
      "li",
      { className: "question", dataset: { questionId: String(question.id) } },
      h("p", { className: "question-text" }),
      h(
        "div",
        { className: "question-meta" },
        h("span", { className: "question-author" }),
        h("span", { className: "votes" }, h("span", { className: "vote-count", attrs: { "aria-hidden": "true" } }), h("span", { className: "visually-hidden votes-label" })),
      ),
    );
    const upvote = this.options.upvote;
    if (upvote) {
      const button = h("button", { className: "upvote", attrs: { type: "button", "aria-pressed": "false" } });
      button.addEventListener("click", async () => {
        if (this.pending.has(question.id)) return;
        this.pending.add(question.id);
        button.disabled = true;
        try {
          await upvote(question.id);
        } finally {
          this.pending.delete(question.id);
          if (this.last) this.render(this.last);
        }
      });
      item.querySelector(".question-meta")!.append(button);
    }
    return item;
  }

  private update(item: HTMLLIElement, question: QuestionView, state: Readonly<LiveState>): void {
    const own = state.myParticipantId !== null && state.myParticipantId !== undefined && question.participantId === state.myParticipantId;
    const voted = state.myVotes.includes(question.id);
    item.classList.toggle("own", own);
    item.classList.toggle("voted", voted);
    setPlain(item.querySelector<HTMLElement>(".question-text")!, question.text);
    setText(item.querySelector<HTMLElement>(".question-author")!, "question.author", {
      name: question.displayName,
      agency: question.agencyName,
    });
    const count = item.querySelector<HTMLElement>(".vote-count")!;
    count.textContent = String(question.votes);
    count.dataset.votes = String(question.votes);
    setText(item.querySelector<HTMLElement>(".votes-label")!, "question.votesLabel", { count: question.votes });
    setAttrText(item.querySelector<HTMLElement>(".votes")!, "title", "question.votesLabel", { count: question.votes });
    const button = item.querySelector<HTMLButtonElement>("button.upvote");
    if (button) {
      button.disabled = own || voted || this.pending.has(question.id);
      button.setAttribute("aria-pressed", String(own || voted));
      setText(button, own ? "question.own" : voted ? "question.upvoted" : "question.upvote");
    }
  }
}

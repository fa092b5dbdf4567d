import { QuestionStatuses, type QuestionView } from "./contract";
import type { ErrorBox } from "./errors";
import { HubMethods } from "./contract";
import type { LiveSession, LiveState } from "./live";
import { h } from "./dom";
import { setAttrText, setPlain, setText, t } from "./i18n";

export interface QuestionListOptions {
  /** Viewers get an upvote button per question; the host sees counts only. */
  upvote?: (questionId: number) => Promise<void>;
  /** Viewers: the same button takes the vote back. */
  unvote?: (questionId: number) => Promise<void>;
  /** Viewers, the asker: change the text until the question is answered. */
  edit?: (questionId: number, text: string) => Promise<void>;
  /** Viewers, the asker: take the question back until it is answered. */
  withdraw?: (questionId: number) => Promise<void>;
}

/**
 * The live question list `<ol id="questions">`, already sorted by the LiveSession (votes, then time),
 * with the pinned ("now answering") question first and highlighted. The asker's own questions come from
 * its full copies (`mine`), so an anonymous one still shows its agency to the asker, and a pending one is
 * listed as waiting for approval.
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
    listed(state).forEach((question, index) => {
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
    if (this.empty) this.empty.hidden = seen.size > 0;
  }

  private create(question: QuestionView): HTMLLIElement {
    const item = h(
      "li",
      { className: "question", dataset: { questionId: String(question.id) } },
      h("p", { className: "question-badge", attrs: { hidden: "" } }),
      h("p", { className: "question-text" }),
      h(
        "div",
        { className: "question-meta" },
        h("span", { className: "question-author" }),
        h("span", { className: "question-anon", attrs: { hidden: "" } }),
        h("span", { className: "votes" }, h("span", { className: "vote-count", attrs: { "aria-hidden": "true" } }), h("span", { className: "visually-hidden votes-label" })),
      ),
      h("p", { className: "question-reply", attrs: { hidden: "" } }),
    );
    const { upvote, unvote } = this.options;
    if (upvote) {
      const button = h("button", { className: "upvote", attrs: { type: "button", "aria-pressed": "false" } });
      button.addEventListener("click", async () => {
        if (this.pending.has(question.id)) return;
        const voted = this.last?.myVotes.includes(question.id) ?? false;
        this.pending.add(question.id);
        button.disabled = true;
        try {
          if (voted && unvote) await unvote(question.id);
          else await upvote(question.id);
        } finally {
          this.pending.delete(question.id);
          if (this.last) this.render(this.last);
        }
      });
      item.querySelector(".question-meta")!.append(button);
    }
    if (this.options.edit || this.options.withdraw) item.append(this.ownControls(question.id));
    return item;
  }

  /** Edit (an inline form) and withdraw, shown on the asker's own open questions. */
  private ownControls(questionId: number): HTMLElement {
    const editButton = h("button", { className: "question-edit", attrs: { type: "button" } });
    const withdrawButton = h("button", { className: "question-withdraw", attrs: { type: "button" } });
    setText(editButton, "question.edit");
    setText(withdrawButton, "question.withdraw");
    const area = h("textarea", { className: "question-edit-text", attrs: { rows: "3" } });
    const save = h("button", { className: "primary question-save", attrs: { type: "button" } });
    const cancel = h("button", { attrs: { type: "button" } });
    setText(save, "question.save");
    setText(cancel, "question.cancel");
    const form = h("div", { className: "question-edit-form", attrs: { hidden: "" } }, area, h("div", { className: "row" }, save, cancel));
    const controls = h("div", { className: "question-own row", attrs: { hidden: "" } }, editButton, withdrawButton);

    editButton.addEventListener("click", () => {
      const own = this.last?.mine.find((q) => q.id === questionId);
      area.value = own?.text ?? "";
      form.hidden = false;
      area.focus();
    });
    cancel.addEventListener("click", () => (form.hidden = true));
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        await this.options.edit?.(questionId, area.value);
        form.hidden = true;
      } finally {
        save.disabled = false;
      }
    });
    withdrawButton.addEventListener("click", async () => {
      if (!window.confirm(t("question.withdrawConfirm"))) return;
      withdrawButton.disabled = true;
      try {
        await this.options.withdraw?.(questionId);
      } finally {
        withdrawButton.disabled = false;
      }
    });
    return h("div", { className: "question-own-wrap" }, controls, form);
  }

  private update(item: HTMLLIElement, question: QuestionView, state: Readonly<LiveState>): void {
    const own = state.mine.some((q) => q.id === question.id) ||
      (state.myParticipantId !== null && state.myParticipantId !== undefined && question.participantId === state.myParticipantId);
    const voted = state.myVotes.includes(question.id);
    const pinned = state.pinnedQuestionId === question.id;
    item.classList.toggle("own", own);
    item.classList.toggle("voted", voted);
    item.classList.toggle("pinned", pinned);
    item.classList.toggle("answered", question.status === QuestionStatuses.Answered);
    item.classList.toggle("waiting", question.status === QuestionStatuses.Pending || question.status === QuestionStatuses.Dismissed);
    if (pinned) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");

    const badge = item.querySelector<HTMLElement>(".question-badge")!;
    const badgeKey = pinned ? "question.pinned"
      : question.status === QuestionStatuses.Answered ? "question.answered"
      : question.status === QuestionStatuses.Pending ? "question.pending"
      : question.status === QuestionStatuses.Dismissed ? "question.dismissed"
      : null;
    badge.hidden = badgeKey === null;
    if (badgeKey) setText(badge, badgeKey);

    setPlain(item.querySelector<HTMLElement>(".question-text")!, question.text);
    const author = item.querySelector<HTMLElement>(".question-author")!;
    // An anonymous question as other viewers get it has no agency at all: it says "anonymous".
    if (question.agencyName === "") setText(author, "question.anonymous");
    else setText(author, "question.authorCity", { name: question.displayName, agency: question.agencyName, city: question.city });
    const anon = item.querySelector<HTMLElement>(".question-anon")!;
    anon.hidden = !(question.anonymous && question.agencyName !== "");
    setText(anon, "question.anonymous");

    const reply = item.querySelector<HTMLElement>(".question-reply")!;
    reply.hidden = !question.reply;
    if (question.reply) setText(reply, "question.reply", { text: question.reply });

    const count = item.querySelector<HTMLElement>(".vote-count")!;
    count.textContent = String(question.votes);
    count.dataset.votes = String(question.votes);
    setText(item.querySelector<HTMLElement>(".votes-label")!, "question.votesLabel", { count: question.votes });
    setAttrText(item.querySelector<HTMLElement>(".votes")!, "title", "question.votesLabel", { count: question.votes });
    const button = item.querySelector<HTMLButtonElement>("button.upvote");
    if (button) {
      const open = question.status === QuestionStatuses.Live || question.status === QuestionStatuses.Answered;
      const canUnvote = !!this.options.unvote;
      button.hidden = !open;
      button.disabled = own || (voted && !canUnvote) || this.pending.has(question.id);
      button.setAttribute("aria-pressed", String(own || voted));
      setText(button, own ? "question.own" : voted ? (canUnvote ? "question.unvote" : "question.upvoted") : "question.upvote");
    }
    const controls = item.querySelector<HTMLElement>(".question-own");
    if (controls) controls.hidden = !(own && (question.status === QuestionStatuses.Live || question.status === QuestionStatuses.Pending));
  }
}

/**
 * What the list shows: the visible questions (the asker's own from its full copy, at the public count),
 * then the asker's questions still waiting or not approved; the pinned one first.
 */
function listed(state: Readonly<LiveState>): QuestionView[] {
  const mine = new Map(state.mine.map((q) => [q.id, q]));
  const visible = state.questions.map((q) => {
    const own = mine.get(q.id);
    return own ? { ...own, votes: q.votes } : q;
  });
  const shown = new Set(visible.map((q) => q.id));
  const waiting = state.mine.filter((q) => !shown.has(q.id) && (q.status === QuestionStatuses.Pending || q.status === QuestionStatuses.Dismissed));
  const all = [...visible, ...waiting];
  const pinned = all.findIndex((q) => q.id === state.pinnedQuestionId);
  if (pinned > 0) all.unshift(...all.splice(pinned, 1));
  return all;
}

/**
 * A viewer's buttons on the list: upvote or take it back, edit or withdraw its own; failures shown in
 * `errors`. The session is fetched when a button is used (the page makes the list before the session).
 */
export function viewerActions(session: () => LiveSession, errors: ErrorBox): QuestionListOptions {
  const shown = (run: () => Promise<unknown>) => async () => {
    errors.clear();
    try {
      await run();
    } catch (error) {
      errors.show(error);
    }
  };
  return {
    upvote: (id) => shown(() => session().upvote(id))(),
    unvote: (id) => shown(() => session().unvote(id))(),
    edit: (id, text) => shown(() => session().editQuestion(id, text))(),
    withdraw: (id) => shown(() => session().invoke(HubMethods.WithdrawQuestion, id))(),
  };
}

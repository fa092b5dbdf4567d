import { PollKinds, PollResultModes, type MyPollAnswer, type PollAnswerInput, type PollView } from "./contract";
import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { setPlain, setText, t } from "./i18n";
import type { LiveSession, LiveState } from "./live";
import { itemLabel, renderPollChart } from "./poll-chart";

// The viewer's poll card: the open poll to answer (and change until it closes), its results when the
// host shows them live, "results after closing" when hidden, and the last closed poll's final results.

/** Words typed in one box, split on commas, semicolons, the Chinese 、 and new lines. */
const splitWords = (text: string) => text.split(/[,，、;；\n]+/).map((w) => w.trim()).filter((w) => w.length > 0);

export function mountViewerPolls(card: HTMLElement, live: LiveSession, errors: Pick<ErrorBox, "show">): (state: Readonly<LiveState>) => void {
  const heading = h("h2", { className: "poll-heading" });
  const question = h("p", { className: "poll-question", attrs: { id: "poll-question" } });
  const form = h("form", { className: "poll-form", attrs: { novalidate: "" } });
  const mine = h("p", { className: "poll-mine ok", attrs: { role: "status" } });
  const results = h("div", { className: "poll-results", attrs: { "aria-live": "polite" } });
  card.replaceChildren(heading, question, form, mine, results);
  let formFor: number | null = null;

  const answerOf = (poll: PollView): PollAnswerInput | null => {
    const data = new FormData(form);
    if (poll.kind === PollKinds.Words) {
      const words = splitWords(String(data.get("words") ?? ""));
      return words.length ? { options: null, rating: null, words } : null;
    }
    const chosen = data.getAll("choice").map(Number);
    if (chosen.length === 0) return null;
    return poll.kind === PollKinds.Rating ? { options: null, rating: chosen[0]!, words: null } : { options: chosen, rating: null, words: null };
  };

  const buildForm = (poll: PollView, answer: MyPollAnswer | null) => {
    formFor = poll.id;
    const inputs: Node[] = [];
    if (poll.kind === PollKinds.Words) {
      const input = h("input", { attrs: { name: "words", type: "text", autocomplete: "off", "aria-labelledby": "poll-question" } });
      input.value = answer?.words.join("，") ?? "";
      inputs.push(input, h("span", { className: "hint", text: t("poll.wordsHint") }));
    } else {
      const type = poll.kind === PollKinds.Multiple ? "checkbox" : "radio";
      const keys = poll.kind === PollKinds.Rating ? [1, 2, 3, 4, 5] : poll.options.map((_, i) => i);
      const group = h("div", { className: poll.kind === PollKinds.Rating ? "poll-choices rating" : "poll-choices", attrs: { role: "group", "aria-labelledby": "poll-question" } });
      for (const key of keys) {
        const input = h("input", { attrs: { type, name: "choice", value: String(key) } });
        input.checked = poll.kind === PollKinds.Rating ? answer?.rating === key : (answer?.options.includes(key) ?? false);
        group.append(h("label", { className: "poll-choice" }, input, h("span", { text: itemLabel(poll, String(key)) })));
      }
      inputs.push(group);
    }
    const submit = h("button", { className: "primary", attrs: { type: "submit", id: "poll-submit" } });
    setText(submit, answer ? "poll.change" : "poll.submit");
    form.replaceChildren(...inputs, submit);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const poll = live.snapshot?.polls.state.open;
    if (!poll) return;
    const answer = answerOf(poll);
    if (!answer) {
      errors.show(new Error(`[poll_answer_empty] ${t("error.poll_answer_empty")}`));
      return;
    }
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    if (button) button.disabled = true;
    live.answerPoll(poll.id, answer).then(
      () => {
        if (button) {
          button.disabled = false;
          setText(button, "poll.change");
        }
      },
      (error: unknown) => {
        if (button) button.disabled = false;
        errors.show(error);
      },
    );
  });

  const describeMine = (poll: PollView, answer: MyPollAnswer) => {
    if (poll.kind === PollKinds.Words) return answer.words.join("、");
    if (poll.kind === PollKinds.Rating) return itemLabel(poll, String(answer.rating));
    return answer.options.map((o) => itemLabel(poll, String(o))).join("、");
  };

  return (state) => {
    const { state: polls, results: counts } = state.polls;
    const open = polls.open;
    const shown = open ?? polls.closed[0] ?? null;
    card.hidden = shown === null;
    if (!shown) return;
    setText(heading, open ? "poll.openHeading" : "poll.closedHeading");
    setPlain(question, shown.question);
    form.hidden = !open;
    if (open && formFor !== open.id) buildForm(open, polls.myAnswer);
    if (!open) formFor = null;
    mine.hidden = !(open && polls.myAnswer);
    if (open && polls.myAnswer) setText(mine, "poll.mine", { answer: describeMine(open, polls.myAnswer) });

    const tally = open ? counts : shown.tally;
    if (tally) renderPollChart(results, shown, tally);
    else {
      const note = h("p", { className: "hint poll-hidden" });
      setText(note, open?.results === PollResultModes.Hidden ? "poll.hiddenUntilClosed" : "poll.noAnswersYet");
      results.replaceChildren(note);
    }
  };
}

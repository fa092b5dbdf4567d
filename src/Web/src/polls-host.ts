import { request, requestJson, type components } from "./api";
import { HubMethods, PollCountings, PollKinds, PollResultModes, PollStates, type PollView } from "./contract";
import { h } from "./dom";
import type { ErrorBox } from "./errors";
import { setPlain, setText, type MessageKey } from "./i18n";
import type { LiveSession, LiveState } from "./live";
import { renderPollChart } from "./poll-chart";

// The host's polls panel: prepare polls (over HTTP, so it works days before the session, before anyone
// can join), launch one, close it, and watch its results come in (hosts see them even when hidden).

type Schemas = components["schemas"];
type PollList = Schemas["PollList"];
type PollDraftInput = Schemas["PollDraftInput"];
type PollLimits = Schemas["PollLimits"];

const kindKeys: Record<string, MessageKey> = {
  [PollKinds.Single]: "poll.kind.single",
  [PollKinds.Multiple]: "poll.kind.multiple",
  [PollKinds.Rating]: "poll.kind.rating",
  [PollKinds.Words]: "poll.kind.words",
};
const stateKeys: Record<string, MessageKey> = {
  [PollStates.Draft]: "poll.state.draft",
  [PollStates.Open]: "poll.state.open",
  [PollStates.Closed]: "poll.state.closed",
};

const hasOptions = (kind: string) => kind === PollKinds.Single || kind === PollKinds.Multiple;

function select(name: string, values: [string, MessageKey][]): HTMLSelectElement {
  const element = h("select", { attrs: { id: `poll-${name}`, name } });
  for (const [value, key] of values) {
    const option = h("option", { attrs: { value } });
    setText(option, key);
    element.append(option);
  }
  return element;
}

function labelled(key: MessageKey, control: HTMLElement): HTMLElement {
  const label = h("label", { attrs: { for: control.id } });
  setText(label, key);
  return h("div", { className: "poll-field" }, label, control);
}

export function mountHostPolls(
  card: HTMLElement,
  live: LiveSession,
  token: string,
  errors: Pick<ErrorBox, "show" | "clear">,
): (state: Readonly<LiveState>) => void {
  let sessionId: number | null = null;
  let polls: PollView[] = [];
  let limits: PollLimits | null = null;
  let editing: number | null = null;
  let shownVersion = -1;

  const heading = h("h2");
  setText(heading, "poll.heading");
  const kind = select("kind", [
    [PollKinds.Single, "poll.kind.single"],
    [PollKinds.Multiple, "poll.kind.multiple"],
    [PollKinds.Rating, "poll.kind.rating"],
    [PollKinds.Words, "poll.kind.words"],
  ]);
  const question = h("input", { attrs: { id: "poll-question-input", name: "question", type: "text", autocomplete: "off" } });
  const options = h("textarea", { attrs: { id: "poll-options", name: "options", rows: "4" } });
  const optionsField = labelled("poll.optionsLabel", options);
  const results = select("results", [
    [PollResultModes.Live, "poll.results.live"],
    [PollResultModes.Hidden, "poll.results.hidden"],
  ]);
  const counting = select("counting", [
    [PollCountings.Screens, "poll.counting.screens"],
    [PollCountings.People, "poll.counting.people"],
  ]);
  const save = h("button", { className: "primary", attrs: { type: "submit", id: "poll-save" } });
  const cancel = h("button", { attrs: { type: "button", id: "poll-cancel-edit" } });
  setText(cancel, "poll.cancelEdit");
  const form = h(
    "form",
    { className: "poll-editor", attrs: { novalidate: "" } },
    labelled("poll.kindLabel", kind),
    labelled("poll.questionLabel", question),
    optionsField,
    labelled("poll.resultsLabel", results),
    labelled("poll.countingLabel", counting),
    h("div", { className: "row" }, save, cancel),
  );
  const list = h("ol", { className: "poll-list", attrs: { id: "poll-list" } });
  const chartHeading = h("h3", { className: "poll-question" });
  const chart = h("div", { className: "poll-results", attrs: { id: "poll-host-results", "aria-live": "polite" } });
  card.replaceChildren(heading, form, list, chartHeading, chart);

  const resetForm = () => {
    editing = null;
    form.reset();
    setText(save, "poll.create");
    cancel.hidden = true;
    optionsField.hidden = !hasOptions(kind.value);
  };
  resetForm();
  kind.addEventListener("change", () => (optionsField.hidden = !hasOptions(kind.value)));
  cancel.addEventListener("click", resetForm);

  const base = () => `/api/sessions/${encodeURIComponent(String(sessionId))}/polls`;

  const load = async () => {
    if (sessionId === null) return;
    const loaded = await requestJson<PollList>(base(), { token });
    polls = loaded.polls as PollView[];
    if (!limits) {
      limits = loaded.limits;
      question.maxLength = limits.questionMax;
    }
    renderList();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body: PollDraftInput = {
      kind: kind.value,
      question: question.value,
      options: hasOptions(kind.value) ? options.value.split("\n").map((o) => o.trim()).filter((o) => o.length > 0) : null,
      results: results.value,
      counting: counting.value,
    };
    const path = editing === null ? base() : `${base()}/${editing}`;
    save.disabled = true;
    requestJson<PollView>(path, { token, method: editing === null ? "POST" : "PUT", json: body })
      .then(() => {
        errors.clear();
        resetForm();
        return load();
      })
      .catch((error: unknown) => errors.show(error))
      .finally(() => (save.disabled = false));
  });

  const act = (work: () => Promise<unknown>) => {
    work()
      .then(() => {
        errors.clear();
        return load();
      })
      .catch((error: unknown) => errors.show(error));
  };

  const button = (key: MessageKey, className: string, onClick: () => void) => {
    const b = h("button", { className, attrs: { type: "button" } });
    setText(b, key);
    b.addEventListener("click", onClick);
    return b;
  };

  const renderList = () => {
    const rows = polls.map((poll) => {
      const state = h("span", { className: `poll-state ${poll.state}` });
      setText(state, stateKeys[poll.state] ?? "poll.state.draft");
      const kindText = h("span", { className: "hint" });
      setText(kindText, kindKeys[poll.kind] ?? "poll.kind.single");
      const actions = h("div", { className: "row poll-actions" });
      if (poll.state === PollStates.Draft) {
        actions.append(
          button("poll.launch", "primary poll-launch", () => act(() => live.runPoll(HubMethods.LaunchPoll, poll.id))),
          button("poll.edit", "poll-edit", () => {
            editing = poll.id;
            kind.value = poll.kind;
            question.value = poll.question;
            options.value = poll.options.join("\n");
            results.value = poll.results;
            counting.value = poll.counting;
            optionsField.hidden = !hasOptions(poll.kind);
            setText(save, "poll.saveEdit");
            cancel.hidden = false;
            question.focus();
          }),
          button("poll.delete", "poll-delete", () => act(() => request(`${base()}/${poll.id}`, { token, method: "DELETE" }))),
        );
      } else if (poll.state === PollStates.Open) {
        actions.append(button("poll.close", "primary poll-close", () => act(() => live.runPoll(HubMethods.ClosePoll, poll.id))));
      }
      return h("li", { dataset: { pollId: String(poll.id), state: poll.state } }, h("span", { className: "poll-list-question", text: poll.question }), " ", kindText, " ", state, actions);
    });
    list.replaceChildren(...rows);
  };

  return (state) => {
    if (sessionId === null) {
      sessionId = state.sessionId;
      void load().catch((error: unknown) => errors.show(error));
    }
    const { state: stream, results: counts } = state.polls;
    // Launched or closed (here or on another host screen): the list's states changed.
    if (stream.version !== shownVersion) {
      if (shownVersion !== -1) void load().catch((error: unknown) => errors.show(error));
      shownVersion = stream.version;
    }
    const shown = stream.open ?? stream.closed[0] ?? null;
    chartHeading.hidden = chart.hidden = shown === null;
    if (!shown) return;
    setPlain(chartHeading, shown.question);
    const tally = stream.open ? counts : shown.tally;
    if (tally) renderPollChart(chart, shown, tally);
    else {
      const note = h("p", { className: "hint" });
      setText(note, "poll.noAnswersYet");
      chart.replaceChildren(note);
    }
  };
}

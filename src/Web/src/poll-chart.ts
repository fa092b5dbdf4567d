import { PollCountings, PollKinds, type PollResults, type PollView } from "./contract";
import { h } from "./dom";
import { locale, setText, t } from "./i18n";

// A poll's results drawn with plain DOM and CSS: a bar per option (or rating), or a word cloud. Every
// figure is also written as text, so a screen reader (and a test) reads the numbers, not the bars.

/** What one item is called: the option's text, "★ 4", or the word itself. */
export function itemLabel(poll: PollView, item: string): string {
  if (poll.kind === PollKinds.Rating) return `★ ${item}`;
  if (poll.kind === PollKinds.Words) return item;
  return poll.options[Number(item)] ?? item;
}

/** The figure a poll shows for an item: screens, or people when it counts by headcount. */
const figure = (counting: string, c: { screens: number; people: number }) => (counting === PollCountings.People ? c.people : c.screens);

/** Fills `root` with the results of `poll`. */
export function renderPollChart(root: HTMLElement, poll: PollView, results: PollResults): void {
  const total = figure(results.counting, results);
  const summary = h("p", { className: "poll-summary" });
  if (results.counting === PollCountings.People) setText(summary, "poll.summary.people", { people: results.people, screens: results.screens });
  else setText(summary, "poll.summary.screens", { screens: results.screens, people: results.people });
  const parts: Node[] = [summary];

  if (poll.kind === PollKinds.Words) {
    const top = Math.max(1, ...results.items.map((i) => figure(results.counting, i)));
    const cloud = h("ul", { className: "poll-cloud", attrs: { "aria-label": t("poll.cloudLabel") } });
    for (const item of results.items) {
      const value = figure(results.counting, item);
      // From 1× to 2.6× the text size, by share of the most frequent word.
      const word = h("li", { dataset: { item: item.item } }, h("span", { className: "poll-word", text: item.item }), h("span", { className: "poll-count", text: ` ${value}` }));
      word.style.fontSize = `${(1 + (1.6 * value) / top).toFixed(2)}em`;
      cloud.append(word);
    }
    parts.push(cloud);
  } else {
    const keys = poll.kind === PollKinds.Rating ? ["1", "2", "3", "4", "5"] : poll.options.map((_, i) => String(i));
    const chart = h("ol", { className: "poll-chart" });
    for (const key of keys) {
      const counted = results.items.find((i) => i.item === key) ?? { screens: 0, people: 0 };
      const value = figure(results.counting, counted);
      const share = total > 0 ? (100 * value) / total : 0;
      const fill = h("span", { className: "poll-fill" });
      fill.style.width = `${share.toFixed(1)}%`;
      chart.append(
        h(
          "li",
          { dataset: { item: key } },
          h("span", { className: "poll-label", text: itemLabel(poll, key) }),
          h("span", { className: "poll-bar", attrs: { "aria-hidden": "true" } }, fill),
          h("span", { className: "poll-value", text: `${value} (${Math.round(share)}%)` }),
        ),
      );
    }
    parts.push(chart);
    if (poll.kind === PollKinds.Rating && total > 0) {
      const sum = results.items.reduce((s, i) => s + Number(i.item) * figure(results.counting, i), 0);
      const average = h("p", { className: "poll-average" });
      setText(average, "poll.average", { average: (sum / total).toLocaleString(locale(), { maximumFractionDigits: 2, minimumFractionDigits: 1 }) });
      parts.push(average);
    }
  }
  root.replaceChildren(...parts);
}

import "./style.css";
import { getMySession } from "./api";
import { byId, h, saveBlob } from "./dom";
import { ErrorBox } from "./errors";
import { currentLang, formatDateTime, formatClock, initI18n, onLangChange, setText, type MessageKey } from "./i18n";
import { fetchFile, getRecord, recordPdfPath, type LearningRecord } from "./records-api";
import { openPdf } from "./slides";

// /record.html#token=<participant token> or #key=<organiser key>&session=<id>: the learning record of a
// session that has ended (issue 10, point 8), with its deck drawn by pdf.js and the PDF to forward.

initI18n();
const errors = ErrorBox.forPage();
const root = byId("record");
const titleElement = byId("record-title");
const params = new URLSearchParams(window.location.hash.slice(1));
const token = params.get("token") ?? params.get("key");

function tr<K extends keyof HTMLElementTagNameMap>(tag: K, key: MessageKey, values?: Record<string, string | number>, className?: string) {
  const element = h(tag, { className });
  setText(element, key, values);
  return element;
}

function section(className: string, heading: MessageKey, ...children: (Node | string)[]): HTMLElement {
  return h("section", { className: `card record-section ${className}` }, tr("h2", heading), ...children);
}

function draw(record: LearningRecord, token: string, sessionId: number, deckBox: HTMLElement): void {
  const zone = record.timeZone;
  const times = record.times;
  titleElement.textContent = record.title;
  document.title = `${record.title} · LiveExchange`;
  const pdf = tr("button", "record.downloadPdf", undefined, "record-pdf primary");
  pdf.setAttribute("type", "button");
  pdf.addEventListener("click", async () => {
    errors.clear();
    try {
      const file = await fetchFile(recordPdfPath(sessionId, currentLang() === "zh" ? "zh" : "en"), token);
      saveBlob(file.blob, file.name ?? "record.pdf");
    } catch (error) {
      errors.show(error);
    }
  });

  const questions = record.questions.length
    ? h(
        "ol",
        { className: "record-questions" },
        ...record.questions.map((q) =>
          h(
            "li",
            {},
            h("p", { className: "record-question", text: q.text }),
            h(
              "p",
              { className: "small meta" },
              q.agency === null ? tr("span", "record.anonymous") : h("span", { text: `${q.agency}（${q.city ?? ""}）` }),
              " · ",
              tr("span", "record.votes", { count: q.votes }),
              ...(q.answered ? [" · ", tr("span", "record.answered")] : []),
            ),
            ...(q.reply ? [tr("p", "record.reply", { text: q.reply }, "record-reply")] : []),
          ),
        ),
      )
    : tr("p", "record.noQuestions", undefined, "hint");

  const polls = record.polls.length
    ? h(
        "div",
        { className: "record-polls" },
        ...record.polls.map((poll) => {
          const byPeople = poll.counting === "people";
          const total = Math.max(1, byPeople ? poll.people : poll.screens);
          return h(
            "div",
            { className: "record-poll" },
            h("h3", { text: poll.question }),
            tr("p", byPeople ? "record.pollPeople" : "record.pollScreens", { people: poll.people, screens: poll.screens }, "small meta"),
            ...poll.items.map((item) => {
              const count = byPeople ? item.people : item.screens;
              const bar = h("span", { className: "record-bar" });
              bar.style.width = `${Math.round((100 * count) / total)}%`;
              return h("div", { className: "record-poll-item" }, h("span", { className: "record-poll-label", text: `${item.label} ${count}` }), h("span", { className: "record-bar-track" }, bar));
            }),
          );
        }),
      )
    : tr("p", "record.noPolls", undefined, "hint");

  const a = record.attendance;
  root.replaceChildren(
    h(
      "section",
      { className: "card record-summary" },
      tr("p", "record.host", { name: record.hostAgency, city: record.hostCity }),
      ...(record.description ? [h("p", { className: "record-description", text: record.description })] : []),
      h("div", { className: "actions" }, pdf),
    ),
    section(
      "record-agenda",
      "record.agenda",
      tr("p", "record.planned", { start: formatDateTime(times.plannedStart, zone), end: formatClock(times.plannedEnd, zone) }),
      tr("p", times.endedByHand ? "record.actual" : "record.actualPlanned", { started: formatClock(times.startedAt, zone), ended: formatClock(times.endedAt, zone) }),
      h("ul", { attrs: record.agenda.length ? {} : { hidden: "" } }, ...record.agenda.map((item) => h("li", { text: `${formatClock(item.plannedStart, zone)}–${formatClock(item.plannedEnd, zone)}  ${item.title}${item.agency ? `（${item.agency}）` : ""}` }))),
    ),
    section(
      "record-attendance",
      "record.attendance",
      tr("p", "record.attendanceTotal", { agencies: a.agencies, screens: a.screens, people: a.people }),
      h("ul", {}, ...a.byAgency.map((x) => tr("li", "record.agencyLine", { agency: x.agency, city: x.city, screens: x.screens, people: x.people, minutes: x.minutes }))),
    ),
    section("record-qa", "record.questions", questions),
    section("record-poll-results", "record.polls", polls),
    section("record-deck", "record.deck", record.deck ? tr("p", "record.deckPages", { name: record.deck.fileName, count: record.deck.pageCount }, "small meta") : tr("p", "record.noDeck", undefined, "hint"), deckBox),
  );
  root.hidden = false;
}

/** Every page of the deck, one canvas each, drawn once (the page re-renders its text on a language switch, not the deck). */
async function drawDeck(link: string, token: string, box: HTMLElement): Promise<void> {
  const doc = await openPdf(fetchFile(link, token).then((f) => f.blob.arrayBuffer()));
  const width = Math.min(900, box.clientWidth || 800);
  for (let number = 1; number <= doc.numPages; number++) {
    const page = await doc.getPage(number);
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: (width / unscaled.width) * (window.devicePixelRatio || 1) });
    const canvas = h("canvas", { className: "record-slide", dataset: { page: String(number) } });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${width}px`;
    box.append(canvas);
    await page.render({ canvas, viewport }).promise;
  }
}

async function start(): Promise<void> {
  if (!token) {
    root.replaceChildren(tr("p", "record.missingLink", undefined, "hint"));
    root.hidden = false;
    return;
  }
  try {
    const sessionId = params.has("session") ? Number(params.get("session")) : (await getMySession(token)).sessionId;
    const record = await getRecord(token, sessionId);
    const deckBox = h("div", { className: "record-deck-pages" });
    draw(record, token, sessionId, deckBox);
    onLangChange(() => draw(record, token, sessionId, deckBox));
    if (record.deck) void drawDeck(record.deck.link, token, deckBox).catch((error: unknown) => errors.show(error));
  } catch (error) {
    errors.show(error);
  }
}

void start();

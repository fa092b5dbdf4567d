import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IRetryPolicy } from "@microsoft/signalr";
import {
  ClientEvents,
  HubMethods,
  HubPath,
  LiveStreams,
  type DeckChanged,
  type DeckView,
  type HandsState,
  type HubMethodName,
  type HubMethodResults,
  type LiveStream,
  type MyStage,
  type PageChanged,
  type QuestionAsked,
  type QuestionView,
  type QuestionsState,
  type ReceptionSummary,
  type SessionEnded,
  type SessionSnapshot,
  type StageState,
  type VideoSettings,
  type VoteCount,
  type VotesChanged,
} from "./contract";
import { errorCode, NotConnectedError } from "./errors";
import { setText } from "./i18n";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";
export type ChangeKind = "snapshot" | "page" | "deck" | "question" | "votes" | "stage" | "hands" | "me" | "reception";

/** What the views read: the snapshot's streams laid flat, kept current by events. */
export interface LiveState {
  sessionId: number;
  code: string;
  title: string;
  role: string;
  myParticipantId: number;
  deck: DeckView | null;
  currentPage: number;
  questions: QuestionView[];
  myVotes: number[];
  stage: StageState;
  hands: HandsState | null;
  me: MyStage;
  video: VideoSettings;
  reception: ReceptionSummary | null;
}

const allStreams: LiveStream[] = [LiveStreams.Slides, LiveStreams.Questions, LiveStreams.Stage, LiveStreams.Hands];
const zeroVersions = (): Record<LiveStream, number> => ({ slides: 0, questions: 0, stage: 0, hands: 0 });

export interface LiveOptions {
  /** Host or participant token; sent as `access_token` by the SignalR client. */
  token: string;
  /** Called after every change to the session state. */
  onChange: (state: Readonly<LiveState>, kind: ChangeKind) => void;
  /** The connection came back (possibly to another instance): per-connection signalling must start again. */
  onReconnected?: () => void;
  /** The server refused the token: starting again won't help. */
  onUnauthorised?: (error: unknown) => void;
  /** A background resync failed; the connection will try again on its own. */
  onError?: (error: unknown) => void;
  /** The session has ended, or the organiser removed this participant: the page stops and says so. */
  onEnded?: (ended: SessionEnded) => void;
}

/** Most upvoted first; among equals, the earliest asked first (then by id, so the order is stable). */
export function compareQuestions(a: QuestionView, b: QuestionView): number {
  return b.votes - a.votes || Date.parse(a.askedAt) - Date.parse(b.askedAt) || a.id - b.id;
}

// A weak line may be down for minutes; never give up reconnecting (the default stops after ~40 s).
const reconnectDelays = [0, 2_000, 5_000, 10_000];
const retryForever: IRetryPolicy = {
  nextRetryDelayInMilliseconds: ({ previousRetryCount }) =>
    reconnectDelays[previousRetryCount] ?? 15_000 + Math.round(Math.random() * 5_000),
};

function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const delay = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms));

/**
 * One screen's live view of a session over the exchange hub. The state is split into streams (slides,
 * questions, stage, hands), each with its own version: an event applies only when it is exactly that
 * stream's version + 1, is dropped when old, and a gap reloads that stream alone. A Snapshot (on
 * connect) replaces everything.
 */
export class LiveSession {
  private readonly connection: HubConnection;
  private readonly statusElement: HTMLElement | null;
  private state: LiveState | null = null;
  private versions = zeroVersions();
  private stopped = false;
  private readonly resyncing = new Set<LiveStream>();
  /**
   * From connecting until the server's pushed Snapshot arrives, events are not applied (the state is
   * missing or stale) but each stream's highest version is kept: the hub joins the session's groups before
   * it reads the snapshot, so an event may overtake it, and then that stream is reloaded.
   */
  private awaitingPushed = true;
  private seenWhileAwaiting = zeroVersions();

  constructor(private readonly options: LiveOptions) {
    this.statusElement = document.getElementById("connection-status");
    this.connection = new HubConnectionBuilder()
      .withUrl(HubPath, { accessTokenFactory: () => options.token })
      .withAutomaticReconnect(retryForever)
      .configureLogging(LogLevel.Warning)
      .build();

    this.connection.on(ClientEvents.Snapshot, (snapshot: SessionSnapshot) => this.acceptSnapshot(snapshot));
    this.connection.on(ClientEvents.PageChanged, (change: PageChanged) => this.receive(LiveStreams.Slides, change, "page", applyPageChanged));
    this.connection.on(ClientEvents.DeckChanged, (change: DeckChanged) => this.receive(LiveStreams.Slides, change, "deck", applyDeckChanged));
    this.connection.on(ClientEvents.QuestionAsked, (asked: QuestionAsked) => this.receive(LiveStreams.Questions, asked, "question", applyQuestionAsked));
    // Stage and hands come whole: any newer version replaces what is there.
    this.connection.on(ClientEvents.StageChanged, (stage: StageState) => this.replace(LiveStreams.Stage, stage, "stage", (s) => (s.stage = stage)));
    this.connection.on(ClientEvents.HandsChanged, (hands: HandsState) => this.replace(LiveStreams.Hands, hands, "hands", (s) => (s.hands = hands)));
    this.connection.on(ClientEvents.MyStageChanged, (me: MyStage) => {
      if (!this.state) return;
      this.state.me = me;
      this.emit("me");
    });
    this.connection.on(ClientEvents.ReceptionChanged, (reception: ReceptionSummary) => {
      if (!this.state) return;
      this.state.reception = reception;
      this.emit("reception");
    });
    // Questions removed (the organiser removed a participant): the whole list, replacing what is here.
    // Counts may fall with it, so the highest-seen counts start again from the new list.
    this.connection.on(ClientEvents.QuestionsChanged, (questions: QuestionsState) =>
      this.replace(LiveStreams.Questions, questions, "question", (s) => {
        s.questions = [...questions.questions].sort(compareQuestions);
        const present = new Set(s.questions.map((q) => q.id));
        s.myVotes = s.myVotes.filter((id) => present.has(id));
        this.highestCounts.clear();
      }));
    this.connection.on(ClientEvents.SessionEnded, (ended: SessionEnded) => {
      // Over for this screen: stop for good (no reconnecting into a session that refuses us).
      this.stopped = true;
      void this.connection.stop();
      this.setStatus("disconnected");
      this.options.onEnded?.(ended);
    });
    // Vote counts only grow and carry no version: keep the highest seen, in whatever order they come.
    this.connection.on(ClientEvents.VotesChanged, (votes: VotesChanged) => this.applyCounts(votes.counts));

    this.connection.onreconnecting(() => {
      this.awaitSnapshot();
      this.setStatus("reconnecting");
    });
    this.connection.onreconnected(() => {
      // The hub pushes a fresh snapshot to every new connection; signalling state was per connection.
      this.setStatus("connected");
      this.options.onReconnected?.();
    });
    this.connection.onclose((error) => {
      this.setStatus("disconnected");
      // Refused on connect because the session is over (or this screen was removed): say so, don't retry.
      if (this.endedBy(error)) return;
      // Reconnecting gave up or the server closed us: start over unless the page stopped on purpose.
      if (!this.stopped) window.setTimeout(() => void this.start(), 5_000);
    });
    this.setStatus("disconnected");
  }

  /** The current state, or null until the first snapshot. */
  get snapshot(): Readonly<LiveState> | null {
    return this.state;
  }

  get connected(): boolean {
    return this.connection.state === HubConnectionState.Connected;
  }

  /** Connects, retrying until it works; gives up only when the token is refused. */
  async start(): Promise<void> {
    this.stopped = false;
    for (let attempt = 0; !this.stopped && this.connection.state === HubConnectionState.Disconnected; attempt++) {
      this.setStatus("connecting");
      try {
        this.awaitSnapshot();
        await this.connection.start();
        this.setStatus("connected");
        if (attempt > 0 || this.state) this.options.onReconnected?.();
        return;
      } catch (error) {
        this.setStatus("disconnected");
        const code = errorCode(error);
        if (this.endedBy(error)) return;
        if (code === "unauthorised" || code === "forbidden") {
          this.stopped = true;
          this.options.onUnauthorised?.(error);
          return;
        }
        await delay(reconnectDelays[attempt] ?? 15_000);
      }
    }
  }

  /** True (and the page told) when `error` says the session is over for this screen. */
  private endedBy(error: unknown): boolean {
    const code = errorCode(error);
    if (code !== "session_ended" && code !== "participant_removed") return false;
    this.stopped = true;
    this.setStatus("disconnected");
    this.options.onEnded?.({
      sessionId: this.state?.sessionId ?? 0,
      reason: code === "session_ended" ? "ended" : "removed",
      at: new Date().toISOString(),
    });
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection.stop();
  }

  /** Calls a hub method; fails at once with NotConnectedError while the connection is down. */
  async invoke<M extends HubMethodName>(method: M, ...args: unknown[]): Promise<HubMethodResults[M]> {
    if (this.connection.state !== HubConnectionState.Connected) throw new NotConnectedError();
    return this.connection.invoke<HubMethodResults[M]>(method, ...args);
  }

  /** Host: show `page`. The reply is applied at once when it is the next version. */
  async goToPage(page: number): Promise<void> {
    const change = await this.invoke(HubMethods.GoToPage, page);
    if (this.state && change.version === this.versions.slides + 1) this.applyNext(LiveStreams.Slides, change, "page", applyPageChanged);
  }

  /** The question being sent and its key, kept until the hub confirms it (see askQuestion). */
  private pendingAsk: { text: string; key: string } | null = null;

  /**
   * Viewer: ask a question. Shown at once; the QuestionAsked broadcast is then recognised by id.
   * The question carries a key made here: sending the same text again after a failure (a dropped
   * link, a database restart) reuses it, so a question that did reach the hub is stored once.
   */
  async askQuestion(text: string): Promise<QuestionView> {
    if (this.pendingAsk?.text !== text) this.pendingAsk = { text, key: newKey() };
    const question = await this.invoke(HubMethods.AskQuestion, text, this.pendingAsk.key);
    this.pendingAsk = null;
    if (this.state && !this.state.questions.some((q) => q.id === question.id)) {
      this.state.questions.push(question);
      this.state.questions.sort(compareQuestions);
      this.emit("question");
    }
    return question;
  }

  /** Viewer: upvote. The hub's events don't say who voted, so my own vote is recorded here. */
  async upvote(questionId: number): Promise<void> {
    try {
      const count = await this.invoke(HubMethods.Upvote, questionId);
      this.rememberMyVote(questionId);
      this.applyCounts([count]);
    } catch (error) {
      // The server already counts my vote: the button should say so too.
      if (errorCode(error) === "already_voted") this.rememberMyVote(questionId);
      throw error;
    }
  }

  /** Viewer: raise or lower this screen's hand. */
  async raiseHand(raised: boolean): Promise<void> {
    const me = await this.invoke(HubMethods.RaiseHand, raised);
    if (this.state) {
      this.state.me = me;
      this.emit("me");
    }
  }

  /** The highest count seen per question, also for questions this state does not have yet. */
  private readonly highestCounts = new Map<number, number>();

  private applyCounts(counts: readonly VoteCount[]): void {
    for (const { questionId, votes } of counts) {
      this.highestCounts.set(questionId, Math.max(this.highestCounts.get(questionId) ?? 0, votes));
    }
    if (this.state && this.raiseCounts(this.state)) this.emit("votes");
  }

  /** Lifts every question's count to the highest seen; true when something changed. */
  private raiseCounts(state: LiveState): boolean {
    let changed = false;
    for (const question of state.questions) {
      const highest = this.highestCounts.get(question.id) ?? 0;
      if (highest > question.votes) {
        question.votes = highest;
        changed = true;
      }
    }
    if (changed) state.questions.sort(compareQuestions);
    return changed;
  }

  private rememberMyVote(questionId: number): void {
    if (this.state && !this.state.myVotes.includes(questionId)) {
      this.state.myVotes.push(questionId);
      this.emit("votes");
    }
  }

  private acceptSnapshot(snapshot: SessionSnapshot): void {
    // A snapshot the server pushes (on connect) always wins, even over higher versions (a server
    // restarted on a fresh database).
    this.awaitingPushed = false;
    this.state = {
      sessionId: snapshot.sessionId,
      code: snapshot.code,
      title: snapshot.title,
      role: snapshot.role,
      myParticipantId: snapshot.myParticipantId,
      deck: snapshot.slides.deck,
      currentPage: snapshot.slides.currentPage,
      questions: [...(snapshot.questions.questions ?? [])].sort(compareQuestions),
      myVotes: [...(snapshot.questions.myVotes ?? [])],
      stage: snapshot.stage,
      hands: snapshot.hands,
      me: snapshot.me,
      video: snapshot.video,
      reception: this.state?.reception ?? null,
    };
    this.versions = {
      slides: snapshot.slides.version,
      questions: snapshot.questions.version,
      stage: snapshot.stage.version,
      hands: snapshot.hands?.version ?? 0,
    };
    this.raiseCounts(this.state);
    this.emit("snapshot");
    for (const stream of allStreams) {
      if (this.seenWhileAwaiting[stream] > this.versions[stream]) void this.resync(stream);
    }
  }

  private awaitSnapshot(): void {
    this.awaitingPushed = true;
    this.seenWhileAwaiting = zeroVersions();
  }

  private receive<T extends { version: number }>(stream: LiveStream, message: T, kind: ChangeKind, apply: (state: LiveState, message: T) => boolean): void {
    if (!this.state || this.awaitingPushed) {
      this.seenWhileAwaiting[stream] = Math.max(this.seenWhileAwaiting[stream], message.version);
      return;
    }
    if (message.version <= this.versions[stream]) return;
    if (message.version > this.versions[stream] + 1) {
      void this.resync(stream);
      return;
    }
    this.applyNext(stream, message, kind, apply);
  }

  private replace<T extends { version: number }>(stream: LiveStream, message: T, kind: ChangeKind, set: (state: LiveState) => void): void {
    if (!this.state || this.awaitingPushed) {
      this.seenWhileAwaiting[stream] = Math.max(this.seenWhileAwaiting[stream], message.version);
      return;
    }
    if (message.version <= this.versions[stream]) return;
    set(this.state);
    this.versions[stream] = message.version;
    this.emit(kind);
  }

  private applyNext<T extends { version: number }>(stream: LiveStream, message: T, kind: ChangeKind, apply: (state: LiveState, message: T) => boolean): void {
    const state = this.state!;
    if (!apply(state, message)) {
      // The event refers to something this state doesn't have: the stream is out of step.
      void this.resync(stream);
      return;
    }
    this.versions[stream] = message.version;
    this.raiseCounts(state); // A question may arrive after votes for it did.
    this.emit(kind);
  }

  /** Reloads one stream after a gap in it; the others are left alone. One reload per stream at a time. */
  async resync(stream: LiveStream): Promise<void> {
    if (this.resyncing.has(stream)) return;
    this.resyncing.add(stream);
    try {
      const state = this.state;
      if (!state) return;
      switch (stream) {
        case LiveStreams.Slides: {
          const slides = await this.invoke(HubMethods.GetSlides);
          if (slides.version < this.versions.slides) return;
          state.deck = slides.deck;
          state.currentPage = slides.currentPage;
          this.versions.slides = slides.version;
          this.emit("deck");
          break;
        }
        case LiveStreams.Questions: {
          const questions = await this.invoke(HubMethods.GetQuestions);
          if (questions.version < this.versions.questions) return;
          state.questions = [...questions.questions].sort(compareQuestions);
          state.myVotes = [...questions.myVotes];
          this.versions.questions = questions.version;
          this.raiseCounts(state);
          this.emit("question");
          break;
        }
        case LiveStreams.Stage: {
          const stage = await this.invoke(HubMethods.GetStage);
          this.replace(LiveStreams.Stage, stage, "stage", (s) => (s.stage = stage));
          break;
        }
        case LiveStreams.Hands: {
          const hands = await this.invoke(HubMethods.GetHands);
          this.replace(LiveStreams.Hands, hands, "hands", (s) => (s.hands = hands));
          break;
        }
      }
    } catch (error) {
      // Reconnecting brings a fresh snapshot; a failure here is only worth a note.
      if (!(error instanceof NotConnectedError)) this.options.onError?.(error);
    } finally {
      this.resyncing.delete(stream);
    }
  }

  private emit(kind: ChangeKind): void {
    if (this.state) this.options.onChange(this.state, kind);
  }

  private setStatus(status: ConnectionStatus): void {
    if (!this.statusElement) return;
    this.statusElement.dataset.status = status;
    setText(this.statusElement, `status.${status}`);
  }
}

function applyPageChanged(state: LiveState, change: PageChanged): boolean {
  if (!state.deck) return false; // A page of a deck this state has not seen: reload the stream.
  state.currentPage = change.page;
  state.deck = { ...state.deck, pageCount: change.pageCount };
  return true;
}

function applyDeckChanged(state: LiveState, change: DeckChanged): boolean {
  state.deck = change.deck;
  state.currentPage = change.currentPage;
  return true;
}

function applyQuestionAsked(state: LiveState, asked: QuestionAsked): boolean {
  const existing = state.questions.findIndex((q) => q.id === asked.question.id);
  if (existing >= 0) state.questions[existing] = asked.question;
  else state.questions.push(asked.question);
  state.questions.sort(compareQuestions);
  return true;
}


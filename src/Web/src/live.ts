import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IRetryPolicy } from "@microsoft/signalr";
import {
  ClientEvents,
  HubMethods,
  HubPath,
  type DeckChanged,
  type HubMethodName,
  type HubMethodResults,
  type PageChanged,
  type QuestionAsked,
  type QuestionView,
  type SessionSnapshot,
  type VoteCount,
  type VotesChanged,
} from "./contract";
import { errorCode, NotConnectedError } from "./errors";
import { setText } from "./i18n";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";
export type ChangeKind = "snapshot" | "page" | "deck" | "question" | "votes";

export interface LiveOptions {
  /** Host or participant token; sent as `access_token` by the SignalR client. */
  token: string;
  /** Called after every change to the session state. */
  onChange: (state: Readonly<SessionSnapshot>, kind: ChangeKind) => void;
  /** The server refused the token: starting again won't help. */
  onUnauthorised?: (error: unknown) => void;
  /** A background resync failed; the connection will try again on its own. */
  onError?: (error: unknown) => void;
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

const delay = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms));

/**
 * One screen's live view of a session over the exchange hub. It keeps the state and its `version`:
 * a Snapshot replaces the state; an event applies only when it is exactly version + 1, is dropped when it
 * is old, and a gap (or a reconnect) makes it ask for a fresh snapshot.
 */
export class LiveSession {
  private readonly connection: HubConnection;
  private readonly statusElement: HTMLElement | null;
  private state: SessionSnapshot | null = null;
  private version = 0;
  private stopped = false;
  private resyncing = false;
  /** The highest version seen beyond a gap; a resync is complete once the state has reached it. */
  private wantedVersion = 0;
  /**
   * From connecting until the server's pushed Snapshot arrives, events are not applied (the state is
   * missing or stale) but their highest version is kept: the hub joins the session's group before it
   * reads the snapshot, so an event may overtake it, and then a resync fetches what it carried.
   */
  private awaitingPushed = true;
  private seenWhileAwaiting = 0;

  constructor(private readonly options: LiveOptions) {
    this.statusElement = document.getElementById("connection-status");
    this.connection = new HubConnectionBuilder()
      .withUrl(HubPath, { accessTokenFactory: () => options.token })
      .withAutomaticReconnect(retryForever)
      .configureLogging(LogLevel.Warning)
      .build();

    this.connection.on(ClientEvents.Snapshot, (snapshot: SessionSnapshot) => this.acceptSnapshot(snapshot, true));
    this.connection.on(ClientEvents.PageChanged, (change: PageChanged) => this.receive(change, "page", applyPageChanged));
    this.connection.on(ClientEvents.DeckChanged, (change: DeckChanged) => this.receive(change, "deck", applyDeckChanged));
    this.connection.on(ClientEvents.QuestionAsked, (asked: QuestionAsked) => this.receive(asked, "question", applyQuestionAsked));
    // Vote counts only grow and carry no version: keep the highest seen, in whatever order they come.
    this.connection.on(ClientEvents.VotesChanged, (votes: VotesChanged) => this.applyCounts(votes.counts));

    this.connection.onreconnecting(() => {
      this.awaitSnapshot();
      this.setStatus("reconnecting");
    });
    this.connection.onreconnected(() => {
      this.setStatus("connected");
      void this.resync();
    });
    this.connection.onclose(() => {
      this.setStatus("disconnected");
      // Reconnecting gave up or the server closed us: start over unless the page stopped on purpose.
      if (!this.stopped) window.setTimeout(() => void this.start(), 5_000);
    });
    this.setStatus("disconnected");
  }

  /** The current state, or null until the first snapshot. */
  get snapshot(): Readonly<SessionSnapshot> | null {
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
        return;
      } catch (error) {
        this.setStatus("disconnected");
        const code = errorCode(error);
        if (code === "unauthorised" || code === "forbidden") {
          this.stopped = true;
          this.options.onUnauthorised?.(error);
          return;
        }
        await delay(reconnectDelays[attempt] ?? 15_000);
      }
    }
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
    this.applyReply(change, "page", applyPageChanged);
  }

  /** Viewer: ask a question. Shown at once; the QuestionAsked broadcast is then recognised by id. */
  async askQuestion(text: string): Promise<QuestionView> {
    const question = await this.invoke(HubMethods.AskQuestion, text);
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

  /** The highest count seen per question, also for questions this state does not have yet. */
  private readonly highestCounts = new Map<number, number>();

  private applyCounts(counts: readonly VoteCount[]): void {
    for (const { questionId, votes } of counts) {
      this.highestCounts.set(questionId, Math.max(this.highestCounts.get(questionId) ?? 0, votes));
    }
    if (this.state && this.raiseCounts(this.state)) this.emit("votes");
  }

  /** Lifts every question's count to the highest seen; true when something changed. */
  private raiseCounts(state: SessionSnapshot): boolean {
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

  private acceptSnapshot(snapshot: SessionSnapshot, pushed: boolean): void {
    // A snapshot the server pushes (on connect) always wins, even over a higher version (a server
    // restarted on a fresh database). One we asked for may be older than events applied meanwhile.
    if (!pushed && this.state && snapshot.version < this.version) return;
    if (pushed) this.awaitingPushed = false;
    this.state = {
      ...snapshot,
      questions: [...(snapshot.questions ?? [])].sort(compareQuestions),
      myVotes: [...(snapshot.myVotes ?? [])],
    };
    this.version = snapshot.version;
    this.raiseCounts(this.state);
    if (pushed) this.wantedVersion = 0;
    this.emit("snapshot");
    if (pushed && this.seenWhileAwaiting > snapshot.version) {
      this.wantedVersion = this.seenWhileAwaiting;
      void this.resync();
    }
  }

  private awaitSnapshot(): void {
    this.awaitingPushed = true;
    this.seenWhileAwaiting = 0;
  }

  private receive<T extends { version: number }>(message: T, kind: ChangeKind, apply: (state: SessionSnapshot, message: T) => boolean): void {
    if (!this.state || this.awaitingPushed) {
      this.seenWhileAwaiting = Math.max(this.seenWhileAwaiting, message.version);
      return;
    }
    if (message.version <= this.version) return;
    if (message.version > this.version + 1) {
      this.wantedVersion = Math.max(this.wantedVersion, message.version);
      void this.resync();
      return;
    }
    this.applyNext(message, kind, apply);
  }

  /** A method's reply is applied only when it is exactly next; otherwise its broadcast will follow. */
  private applyReply<T extends { version: number }>(message: T, kind: ChangeKind, apply: (state: SessionSnapshot, message: T) => boolean): void {
    if (this.state && message.version === this.version + 1) this.applyNext(message, kind, apply);
  }

  private applyNext<T extends { version: number }>(message: T, kind: ChangeKind, apply: (state: SessionSnapshot, message: T) => boolean): void {
    const state = this.state!;
    if (!apply(state, message)) {
      // The event refers to something this state doesn't have: it is out of step.
      this.wantedVersion = Math.max(this.wantedVersion, message.version);
      void this.resync();
      return;
    }
    this.version = message.version;
    state.version = message.version;
    this.raiseCounts(state); // A question may arrive after votes for it did.
    this.emit(kind);
  }

  /** Replaces the state with GetSnapshot. One at a time; repeats (a few times) while still behind a gap. */
  async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const snapshot = await this.invoke(HubMethods.GetSnapshot);
        this.acceptSnapshot(snapshot, false);
        if (this.version >= this.wantedVersion) break;
      }
      this.wantedVersion = Math.min(this.wantedVersion, this.version);
    } catch (error) {
      // Reconnecting will resync again; a failure here is only worth a note.
      if (!(error instanceof NotConnectedError)) this.options.onError?.(error);
    } finally {
      this.resyncing = false;
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

function applyPageChanged(state: SessionSnapshot, change: PageChanged): boolean {
  state.currentPage = change.page;
  if (state.deck) state.deck = { ...state.deck, pageCount: change.pageCount };
  return true;
}

function applyDeckChanged(state: SessionSnapshot, change: DeckChanged): boolean {
  state.deck = change.deck;
  state.currentPage = change.currentPage;
  return true;
}

function applyQuestionAsked(state: SessionSnapshot, asked: QuestionAsked): boolean {
  const existing = state.questions.findIndex((q) => q.id === asked.question.id);
  if (existing >= 0) state.questions[existing] = asked.question;
  else state.questions.push(asked.question);
  state.questions.sort(compareQuestions);
  return true;
}


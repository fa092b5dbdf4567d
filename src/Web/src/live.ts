import { HttpTransportType, HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection } from "@microsoft/signalr";
import {
  ClientEvents,
  HubMethods,
  HubPath,
  LiveStreams,
  type DeckChanged,
  type DeckDownloadChanged,
  type DeckView,
  type HandsState,
  type ClientEventName,
  type HubMethodName,
  type HubMethodResults,
  type LiveStream,
  type ModerationQuestionChanged,
  type ModerationState,
  type MyStage,
  type PageChanged,
  type QuestionAsked,
  type QuestionUpdated,
  type QuestionView,
  type QuestionsState,
  type ReceptionSummary,
  type SessionEnded,
  type SessionOutline,
  type StreamVersions,
  type SessionSnapshot,
  type StageState,
  type VideoSettings,
  type VoteCount,
  type VotesChanged,
} from "./contract";
import { applyPollResults, applyPollsChanged, pollsFrom, type PollsView } from "./polls-state";
import type { MyPollAnswer, PollAnswerInput, PollResults, PollsState } from "./contract";
import { getMySession } from "./api";
import { ConnectionLostError, errorCode, NotConnectedError, parseCodedMessage } from "./errors";
import { setText } from "./i18n";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";
export type ChangeKind = "snapshot" | "page" | "deck" | "question" | "votes" | "stage" | "hands" | "me" | "reception" | "outline" | "mine" | "moderation" | "polls";

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
  /** Title, times, state and agenda; replaced whole by SessionChanged. */
  outline: SessionOutline;
  // --- Q&A moderation ---
  /** The question pinned as "now answering", shown highlighted on every screen. */
  pinnedQuestionId: number | null;
  /** This screen's own questions in full (pending ones included), kept by MyQuestionChanged. */
  mine: QuestionView[];
  questionsNeedApproval: boolean;
  /** Every question, any status: moderators only (null for viewers). */
  moderation: ModerationState | null;
  /** Polls: the open one with its newest results (where this screen may see them), the closed ones, my answer. */
  polls: PollsView;
  // --- Presenter view ---
  /** The host offers viewers the deck as a download (slides stream). */
  deckDownloadable: boolean;
}

const allStreams: LiveStream[] = [LiveStreams.Slides, LiveStreams.Questions, LiveStreams.Stage, LiveStreams.Hands, LiveStreams.Moderation, LiveStreams.Polls];
const zeroVersions = (): Record<LiveStream, number> => ({ slides: 0, questions: 0, stage: 0, hands: 0, moderation: 0, polls: 0 });

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
  /** The connection status changed (also shown in `#connection-status`). */
  onStatus?: (status: ConnectionStatus) => void;
}

/** Most upvoted first; among equals, the earliest asked first (then by id, so the order is stable). */
export function compareQuestions(a: QuestionView, b: QuestionView): number {
  return b.votes - a.votes || Date.parse(a.askedAt) - Date.parse(b.askedAt) || a.id - b.id;
}

// These go in pairs with the hub's HubOptions (src/Hub/Live/RealtimeExtensions.cs). The hub pings every
// 3 s, so 8 s without any message means at least two pings were lost: the link is dead, and a stalled link
// (the socket open, nothing flowing) is noticed within 8 s instead of SignalR's default 30. Our own pings
// every 3 s keep the hub's ClientTimeoutInterval far off, and NATs and proxies from closing an idle socket.
const serverTimeoutMs = 8_000;
const keepAliveIntervalMs = 3_000;
// A connection attempt that neither succeeds nor fails (a socket opened into a dead network) is given up;
// a working one takes a few round trips, about a second even at 500 kbit/s.
const attemptTimeoutMs = 8_000;
// After an attempt failed without a reason: how long the question "is this link's token still accepted?" may
// take, and on which attempts it is asked (the first, then every fifth: a dead link shows at once, and a
// hub that is down for everyone is not asked a second question by every screen at every attempt).
const tokenCheckTimeoutMs = 5_000;
const tokenCheckEvery = 5;

function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * How long to wait before attempt `attempt + 1`: at once, then briefly, then every 3–3.5 s for as long as it
 * takes (a weak line may be down for minutes). The cap keeps the wait after the network comes back short;
 * the jitter keeps a room of viewers from all knocking in the same instant after a hub restart.
 */
function reconnectDelay(attempt: number): number {
  return [0, 1_000, 2_000][attempt] ?? 3_000 + Math.round(Math.random() * 500);
}

/**
 * One screen's live view of a session over the exchange hub. The state is split into streams (slides,
 * questions, stage, hands), each with its own version: an event applies only when it is exactly that
 * stream's version + 1, is dropped when old, and a gap reloads that stream alone. A Snapshot (on
 * connect) replaces everything.
 */
export class LiveSession {
  private connection: HubConnection;
  private readonly statusElement: HTMLElement | null;
  private state: LiveState | null = null;
  private versions = zeroVersions();
  private stopped = false;
  private readonly retryButton: HTMLButtonElement | null;
  /** The connect loop, while one runs. */
  private connecting: Promise<void> | null = null;
  /** The current attempt's start (or its abandonment): what a read made on a pushed snapshot waits for. */
  private starting: Promise<unknown> | null = null;
  /** Ends the wait between two attempts early. */
  private wakeUp: (() => void) | null = null;
  /** The next attempt goes without waiting (an attempt was abandoned by retryNow). */
  private hurry = false;
  /** Gives up the attempt in flight, if any. */
  private abandonAttempt: (() => void) | null = null;
  /** Gives up the token check in flight, if any (see tokenRefusal). */
  private abandonTokenCheck: (() => void) | null = null;
  private readonly resyncing = new Set<LiveStream>();
  private readonly resyncAgain = new Set<LiveStream>();
  /**
   * From connecting until the server's pushed Snapshot arrives, events are not applied (the state is
   * missing or stale) but each stream's highest version is kept: the hub joins the session's groups before
   * it reads the snapshot, so an event may overtake it, and then that stream is reloaded.
   */
  private awaitingPushed = true;
  private seenWhileAwaiting = zeroVersions();

  constructor(private readonly options: LiveOptions) {
    this.statusElement = document.getElementById("connection-status");
    this.retryButton = document.getElementById("retry-now") as HTMLButtonElement | null;
    this.connection = this.createConnection();
    window.addEventListener("online", () => this.retryNow());
    this.retryButton?.addEventListener("click", () => this.retryNow());
    this.setStatus("disconnected");
  }

  private createConnection(): HubConnection {
    // No withAutomaticReconnect: this class reconnects by itself, so that the browser's `online` event and
    // the "retry now" button can cut a wait short, which SignalR's own reconnect loop does not allow.
    const connection = new HubConnectionBuilder()
      // The hub speaks WebSockets only, so SignalR's negotiate request would only say so: without it a
      // connect is one request and one round trip shorter (on a mobile line, the longest part of it), and
      // the socket need not reach the instance that answered a negotiate. What it costs (a browser never
      // says why a socket was refused) is made up in connectLoop. (SignalR's `timeout` option was the
      // negotiate's; the attempt's watchdog below bounds the socket.)
      .withUrl(HubPath, {
        accessTokenFactory: () => this.options.token,
        transport: HttpTransportType.WebSockets,
        skipNegotiation: true,
      })
      .withServerTimeout(serverTimeoutMs)
      .withKeepAliveInterval(keepAliveIntervalMs)
      .configureLogging(LogLevel.Warning)
      .build();
    // Events of a connection left behind by a hung attempt (see connectLoop) are not this session's.
    const on = <T>(event: string, handler: (message: T) => void) =>
      connection.on(event, (message: T) => {
        if (connection === this.connection) handler(message);
      });

    on(ClientEvents.Snapshot, (snapshot: SessionSnapshot) => this.acceptSnapshot(snapshot));
    on(ClientEvents.PageChanged, (change: PageChanged) => this.receive(LiveStreams.Slides, change, "page", applyPageChanged));
    on(ClientEvents.DeckChanged, (change: DeckChanged) => this.receive(LiveStreams.Slides, change, "deck", applyDeckChanged));
    on(ClientEvents.QuestionAsked, (asked: QuestionAsked) => this.receive(LiveStreams.Questions, asked, "question", applyQuestionAsked));
    // Stage and hands come whole: any newer version replaces what is there.
    on(ClientEvents.StageChanged, (stage: StageState) => this.replace(LiveStreams.Stage, stage, "stage", (s) => (s.stage = stage)));
    on(ClientEvents.HandsChanged, (hands: HandsState) => this.replace(LiveStreams.Hands, hands, "hands", (s) => (s.hands = hands)));
    on(ClientEvents.MyStageChanged, (me: MyStage) => {
      if (!this.state) return;
      this.state.me = me;
      this.emit("me");
    });
    on(ClientEvents.ReceptionChanged, (reception: ReceptionSummary) => {
      if (!this.state) return;
      this.state.reception = reception;
      this.emit("reception");
    });
    // Questions removed (the organiser removed a participant): the whole list, replacing what is here.
    // Its counts come with their vote sequence, like any others.
    on(ClientEvents.QuestionsChanged, (questions: QuestionsState) =>
      this.replace(LiveStreams.Questions, questions, "question", (s) => {
        s.questions = [...questions.questions];
        const present = new Set(s.questions.map((q) => q.id));
        s.myVotes = s.myVotes.filter((id) => present.has(id));
        s.pinnedQuestionId = questions.pinnedQuestionId;
        this.takeCounts(s, questions.voteSequence);
      }));
    // The organiser edited the session: the newest outline wins (sequence only grows).
    on(ClientEvents.SessionChanged, (outline: SessionOutline) => {
      if (!this.state || outline.sequence < this.state.outline.sequence) return;
      this.state.outline = outline;
      this.state.title = outline.title;
      this.emit("outline");
    });
    on(ClientEvents.SessionEnded, (ended: SessionEnded) => {
      // Over for this screen: stop for good (no reconnecting into a session that refuses us).
      this.stopped = true;
      void connection.stop();
      this.setStatus("disconnected");
      this.options.onEnded?.(ended);
    });
    // After a backplane outage: reload whichever stream this page is behind on (it missed events).
    on(ClientEvents.StreamVersionsChanged, (latest: StreamVersions) => {
      if (!this.state || this.awaitingPushed) return;
      for (const stream of allStreams) {
        if (stream === LiveStreams.Moderation && !this.state.moderation) continue; // not this screen's stream
        // Questions always: vote counts carry no version, and some may have been missed too.
        if ((latest[stream] ?? 0) > this.versions[stream] || stream === LiveStreams.Questions) void this.resync(stream);
      }
    });
    // Vote counts carry the vote sequence they were read at: keep the newest, in whatever order they come.
    on(ClientEvents.VotesChanged, (votes: VotesChanged) => this.applyCounts(votes.counts));
    for (const [event, handler] of this.featureHandlers) on(event, handler);
    // --- Q&A moderation ---
    on(ClientEvents.QuestionUpdated, (update: QuestionUpdated) => this.receive(LiveStreams.Questions, update, "question", applyQuestionUpdated));
    // The moderators' queue: whole on a snapshot, a reload or a setting change; otherwise one question at a
    // time, applied in version order (a gap reloads it whole).
    on(ClientEvents.ModerationChanged, (moderation: ModerationState) =>
      this.replace(LiveStreams.Moderation, moderation, "moderation", (s) => (s.moderation = moderation)));
    on(ClientEvents.ModerationQuestionChanged, (change: ModerationQuestionChanged) =>
      this.receive(LiveStreams.Moderation, change, "moderation", applyModerationQuestionChanged));
    on(ClientEvents.MyQuestionChanged, (question: QuestionView) => {
      if (!this.state) return;
      this.rememberMine(question);
    });

    // Polls: launched or closed (whole stream); the open poll's results come coalesced, newest sequence wins.
    on(ClientEvents.PollsChanged, (polls: PollsState) =>
      this.replace(LiveStreams.Polls, polls, "polls", (s) => applyPollsChanged(s.polls, polls)));
    on(ClientEvents.PollResultsChanged, (results: PollResults) => {
      if (this.state && applyPollResults(this.state.polls, results)) this.emit("polls");
    });
    // --- Presenter view ---
    on(ClientEvents.DeckDownloadChanged, (change: DeckDownloadChanged) =>
      this.receive(LiveStreams.Slides, change, "deck", (s, m) => ((s.deckDownloadable = m.downloadable), true)));

    // The link died (server timeout, socket closed, hub gone). Calls in flight were failed by SignalR.
    connection.onclose((error) => {
      if (connection !== this.connection) return;
      // Closed on connect because the session is over (or this screen was removed): say so, don't retry.
      if (this.stopped || this.endedBy(error)) {
        this.setStatus("disconnected");
        return;
      }
      this.awaitSnapshot();
      this.setStatus("reconnecting");
      void this.start();
    });
    return connection;
  }

  /**
   * After an attempt that failed without a reason: whether the server still accepts this link's token,
   * asked over HTTP, which does give one. The refusal ("unauthorised" or "forbidden"), or undefined when
   * the token is accepted or the question fails too (then it is the network, not the token).
   */
  private async tokenRefusal(): Promise<unknown> {
    // An AbortController rather than AbortSignal.timeout, which Safari has only since 16.
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), tokenCheckTimeoutMs);
    this.abandonTokenCheck = () => controller.abort();
    try {
      await getMySession(this.options.token, controller.signal);
      return undefined;
    } catch (error) {
      const code = errorCode(error);
      return code === "unauthorised" || code === "forbidden" ? error : undefined;
    } finally {
      window.clearTimeout(timer);
      this.abandonTokenCheck = null;
    }
  }

  /** The current state, or null until the first snapshot. */
  get snapshot(): Readonly<LiveState> | null {
    return this.state;
  }

  get connected(): boolean {
    return this.connection.state === HubConnectionState.Connected;
  }

  /** Connects, retrying until it works; gives up only when the token is refused. */
  start(): Promise<void> {
    this.stopped = false;
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 0; !this.stopped && this.connection.state === HubConnectionState.Disconnected; attempt++) {
      // Once the page has had a session, every attempt is a reconnection, and says so until it works.
      const returning = this.state !== null || attempt > 0;
      this.setStatus(this.state !== null ? "reconnecting" : "connecting");
      const connection = this.connection;
      let abandon = () => {};
      const abandoned = new Promise<"abandoned">((resolve) => (abandon = () => resolve("abandoned")));
      const watchdog = window.setTimeout(abandon, attemptTimeoutMs);
      this.abandonAttempt = abandon;
      let gaveUp = false;
      try {
        this.awaitSnapshot();
        const started = connection.start();
        this.starting = Promise.race([started, abandoned]).catch(() => undefined);
        if ((await Promise.race([started.then(() => "started" as const), abandoned])) === "abandoned") {
          // A socket opened into a dead network can hang for minutes, and stop() waits for it too: leave
          // this connection behind (stopped if it ever gets through) and go on with a fresh one.
          started.then(() => connection.stop(), () => undefined);
          this.connection = this.createConnection();
          gaveUp = true;
          throw new Error("Connection attempt abandoned");
        }
        this.setStatus("connected");
        if (returning) this.options.onReconnected?.();
        return;
      } catch (error) {
        if (this.endedBy(error)) return;
        // A refusal on connect (an ended session, too many screens) comes with its code in the close
        // message; a refused token stops the socket's handshake, which the browser reports without a
        // status. An attempt that hung (gaveUp) or a browser that knows it is offline is the network.
        const askToken = errorCode(error) === undefined && !gaveUp && navigator.onLine !== false && attempt % tokenCheckEvery === 0;
        const refusal = askToken ? ((await this.tokenRefusal()) ?? error) : error;
        if (this.stopped) return;
        const code = errorCode(refusal);
        if (code === "unauthorised" || code === "forbidden") {
          this.stopped = true;
          this.setStatus("disconnected");
          this.options.onUnauthorised?.(refusal);
          return;
        }
        this.setStatus(this.state !== null ? "reconnecting" : "disconnected");
        const wait = this.hurry ? 0 : reconnectDelay(attempt);
        this.hurry = false;
        await this.pause(wait);
      } finally {
        window.clearTimeout(watchdog);
        this.abandonAttempt = null;
      }
    }
  }

  /** True (and the page told) when `error` says the session is over for this screen. */
  private endedBy(error: unknown): boolean {
    const code = error === undefined ? null : errorCode(error);
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

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        window.clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = window.setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /**
   * Tries to connect now rather than after the current wait: the network is back (`online`), or the user
   * asked. An attempt still hanging on the old network is abandoned for a fresh one.
   */
  retryNow(): void {
    if (this.stopped) return;
    switch (this.connection.state) {
      case HubConnectionState.Connected:
        return;
      case HubConnectionState.Connecting:
        this.hurry = true;
        this.abandonAttempt?.(); // The loop goes again at once, on a fresh connection.
        return;
      default:
        if (this.abandonTokenCheck) {
          // Between an attempt and its wait, asking about the token: no wait after it.
          this.hurry = true;
          this.abandonTokenCheck();
        } else if (this.wakeUp) this.wakeUp();
        else void this.start();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abandonTokenCheck?.();
    this.wakeUp?.();
    this.abandonAttempt?.();
    await this.connection.stop();
  }

  /**
   * Calls a hub method; fails at once with NotConnectedError while the connection is down, and with
   * ConnectionLostError when the link dies before the answer comes (the call may or may not have run).
   */
  async invoke<M extends HubMethodName>(method: M, ...args: unknown[]): Promise<HubMethodResults[M]> {
    const connection = this.connection;
    if (connection.state !== HubConnectionState.Connected) throw new NotConnectedError();
    try {
      return await connection.invoke<HubMethodResults[M]>(method, ...args);
    } catch (error) {
      // The server's own refusals carry a code; anything else after the link went down is the link.
      const coded = error instanceof Error && parseCodedMessage(error.message).code !== undefined;
      if (!coded && connection.state !== HubConnectionState.Connected) throw new ConnectionLostError(error);
      throw error;
    }
  }

  /**
   * Calls a hub method once this connection's start has finished: for reads made when a snapshot arrives.
   * The server pushes the snapshot from OnConnected, so it can reach the page before the client counts
   * the connection as started, and invoke() would then fail at once with NotConnectedError (the room
   * roster and the speaker notes were left unread that way, now and then under load: StreamGapInBrowserTests).
   */
  async invokeOnceStarted<M extends HubMethodName>(method: M, ...args: unknown[]): Promise<HubMethodResults[M]> {
    if (this.connection.state === HubConnectionState.Connecting && this.starting) await this.starting;
    return this.invoke(method, ...args);
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
  async askQuestion(text: string, anonymous = false): Promise<QuestionView> {
    if (this.pendingAsk?.text !== text) this.pendingAsk = { text, key: newKey() };
    const question = await this.invoke(HubMethods.AskQuestion, text, this.pendingAsk.key, anonymous);
    this.pendingAsk = null;
    // Mine at once (a pending one is shown as waiting); the public list gets it from its event.
    this.rememberMine(question);
    return question;
  }

  /** Viewer: upvote. The hub's events don't say who voted, so my own vote is recorded here. Again is no error. */
  async upvote(questionId: number): Promise<void> {
    try {
      const count = await this.invoke(HubMethods.Upvote, questionId);
      this.rememberMyVote(questionId);
      this.applyCounts([count]);
    } catch (error) {
      // An older hub still says so: the button should say the vote counts too.
      if (errorCode(error) === "already_voted") this.rememberMyVote(questionId);
      throw error;
    }
  }

  // --- Q&A moderation ---

  /** Viewer: take my vote back. */
  async unvote(questionId: number): Promise<void> {
    const count = await this.invoke(HubMethods.Unvote, questionId);
    if (this.state) {
      this.state.myVotes = this.state.myVotes.filter((id) => id !== questionId);
      this.emit("votes");
    }
    this.applyCounts([count]);
  }

  /** Viewer, the asker: change the text (until answered). */
  async editQuestion(questionId: number, text: string): Promise<void> {
    this.rememberMine(await this.invoke(HubMethods.EditQuestion, questionId, text));
  }

  private rememberMine(question: QuestionView): void {
    if (!this.state) return;
    const mine = this.state.mine;
    const at = mine.findIndex((q) => q.id === question.id);
    if (at >= 0) mine[at] = question;
    else mine.push(question);
    this.emit("mine");
  }

  /** Viewer: raise or lower this screen's hand. */
  async raiseHand(raised: boolean): Promise<void> {
    const me = await this.invoke(HubMethods.RaiseHand, raised);
    if (this.state) {
      this.state.me = me;
      this.emit("me");
    }
  }

  /**
   * Per question, the count read at the highest vote sequence seen, also for questions this state does not
   * have yet. A vote can be taken back, so "the highest count" is not the newest; the sequence is.
   */
  private readonly counts = new Map<number, { sequence: number; votes: number }>();
  /** The poll answer being sent and its key: sending the same answer again (a retry) reuses the key. */
  private pendingPollAnswer: { pollId: number; body: string; key: string } | null = null;

  /** Viewer: answer the open poll (or change the answer). A retry of the same answer is stored once. */
  async answerPoll(pollId: number, answer: PollAnswerInput): Promise<MyPollAnswer> {
    const body = JSON.stringify(answer);
    if (this.pendingPollAnswer?.pollId !== pollId || this.pendingPollAnswer.body !== body) this.pendingPollAnswer = { pollId, body, key: newKey() };
    const mine = await this.invoke(HubMethods.AnswerPoll, pollId, answer, this.pendingPollAnswer.key);
    this.pendingPollAnswer = null;
    if (this.state && this.state.polls.state.open?.id === pollId) {
      this.state.polls.state.myAnswer = mine;
      this.emit("polls");
    }
    return mine;
  }

  /** Host: launch or close a poll; the reply (as this screen may see it) is applied when it is not older. */
  async runPoll(method: typeof HubMethods.LaunchPoll | typeof HubMethods.ClosePoll, pollId: number): Promise<void> {
    const polls = await this.invoke(method, pollId);
    if (this.state && polls.version >= this.versions.polls) {
      this.state.polls = pollsFrom(polls, this.state.polls);
      this.versions.polls = polls.version;
      this.emit("polls");
    }
  }

  private applyCounts(counts: readonly VoteCount[]): void {
    for (const { questionId, votes, sequence } of counts) this.noteCount(questionId, votes, sequence ?? 0);
    if (this.state && this.raiseCounts(this.state)) this.emit("votes");
  }

  private noteCount(questionId: number, votes: number, sequence: number): void {
    const known = this.counts.get(questionId);
    if (!known || sequence >= known.sequence) this.counts.set(questionId, { sequence, votes });
  }

  /** A whole question list read at `sequence`: its counts are noted, then the newest known applied. */
  private takeCounts(state: LiveState, sequence: number): void {
    for (const q of state.questions) this.noteCount(q.id, q.votes, sequence);
    this.raiseCounts(state);
    state.questions.sort(compareQuestions);
  }

  /** Sets every question's count to the newest known; true when something changed. */
  private raiseCounts(state: LiveState): boolean {
    let changed = false;
    for (const question of state.questions) {
      const known = this.counts.get(question.id);
      if (known && known.votes !== question.votes) {
        question.votes = known.votes;
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
      outline: snapshot.outline,
      pinnedQuestionId: snapshot.questions.pinnedQuestionId ?? null,
      mine: [...(snapshot.questions.mine ?? [])],
      questionsNeedApproval: snapshot.questions.questionsNeedApproval ?? false,
      moderation: snapshot.moderation ?? null,
      polls: pollsFrom(snapshot.polls, this.state?.polls ?? null),
      deckDownloadable: snapshot.slides.deckDownloadable ?? false,
    };
    this.versions = {
      slides: snapshot.slides.version,
      questions: snapshot.questions.version,
      stage: snapshot.stage.version,
      hands: snapshot.hands?.version ?? 0,
      moderation: snapshot.moderation?.version ?? 0,
      polls: snapshot.polls?.version ?? 0,
    };
    this.takeCounts(this.state, snapshot.questions.voteSequence ?? 0);
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
    if (this.resyncing.has(stream)) {
      // A newer gap while this stream is reloading: the reload under way may predate it, so go again after.
      this.resyncAgain.add(stream);
      return;
    }
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
          state.deckDownloadable = slides.deckDownloadable ?? false;
          this.versions.slides = slides.version;
          this.emit("deck");
          break;
        }
        case LiveStreams.Questions: {
          const questions = await this.invoke(HubMethods.GetQuestions);
          if (questions.version < this.versions.questions) return;
          state.questions = [...questions.questions];
          state.myVotes = [...questions.myVotes];
          state.pinnedQuestionId = questions.pinnedQuestionId;
          if (questions.mine) state.mine = [...questions.mine];
          this.versions.questions = questions.version;
          this.takeCounts(state, questions.voteSequence);
          this.emit("question");
          break;
        }
        case LiveStreams.Moderation: {
          const moderation = await this.invoke(HubMethods.GetModeration);
          this.replace(LiveStreams.Moderation, moderation, "moderation", (s) => (s.moderation = moderation));
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
        case LiveStreams.Polls: {
          const polls = await this.invoke(HubMethods.GetPolls);
          if (polls.version < this.versions.polls) return;
          state.polls = pollsFrom(polls, state.polls);
          this.versions.polls = polls.version;
          this.emit("polls");
          break;
        }
      }
    } catch (error) {
      // Reconnecting brings a fresh snapshot; a failure here is only worth a note.
      if (!(error instanceof NotConnectedError)) this.options.onError?.(error);
    } finally {
      this.resyncing.delete(stream);
      if (this.resyncAgain.delete(stream)) void this.resync(stream);
    }
  }

  private emit(kind: ChangeKind): void {
    if (this.state) this.options.onChange(this.state, kind);
  }

  private status: ConnectionStatus | null = null;

  private setStatus(status: ConnectionStatus): void {
    if (this.retryButton) this.retryButton.hidden = status === "connected" || status === "connecting";
    if (this.statusElement) {
      this.statusElement.dataset.status = status;
      setText(this.statusElement, `status.${status}`);
    }
    if (status === this.status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }

  // --- Feature events ---
  private readonly featureHandlers: Array<[ClientEventName, (message: never) => void]> = [];

  /**
   * Lets a feature module (reactions) handle an event that is not part of LiveState (unversioned,
   * coalesced counts), on this connection and every one made after a reconnect.
   */
  listen<T>(event: ClientEventName, handler: (message: T) => void): void {
    this.featureHandlers.push([event, handler as (message: never) => void]);
    const connection = this.connection;
    connection.on(event, (message: T) => {
      if (connection === this.connection) handler(message);
    });
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


/** A visible question changed (kept at its newest known count) or left the list; the pinned question with it. */
function applyQuestionUpdated(state: LiveState, update: QuestionUpdated): boolean {
  const at = state.questions.findIndex((q) => q.id === update.questionId);
  if (update.question === null) {
    if (at >= 0) state.questions.splice(at, 1);
  } else if (at >= 0) {
    state.questions[at] = { ...update.question, votes: state.questions[at]!.votes };
  } else {
    state.questions.push(update.question);
  }
  state.pinnedQuestionId = update.pinnedQuestionId;
  state.questions.sort(compareQuestions);
  return true;
}

/**
 * One question of the moderators' queue changed: it replaces the one with its id, or joins the queue in id
 * order (as the server's whole state has it); the pinned question with it. The queue is a new object, so a
 * view that compares it with the one it drew knows to draw it again.
 */
export function applyModerationQuestionChanged(state: LiveState, change: ModerationQuestionChanged): boolean {
  const moderation = state.moderation;
  if (!moderation) return false; // No queue to apply it to: reload it whole.
  const questions = [...moderation.questions];
  const question = change.question;
  if (question) {
    const at = questions.findIndex((q) => q.id === question.id);
    if (at >= 0) questions[at] = question;
    else {
      const after = questions.findIndex((q) => q.id > question.id);
      questions.splice(after < 0 ? questions.length : after, 0, question);
    }
  }
  state.moderation = { ...moderation, version: change.version, questions, pinnedQuestionId: change.pinnedQuestionId };
  return true;
}

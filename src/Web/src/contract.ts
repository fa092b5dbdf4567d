// The hub contract as the browser sees it. It mirrors src/Shared (IExchangeClient, IExchangeHub,
// Messages.cs); JSON over SignalR is camelCase. A .NET test reads the quoted values of ClientEvents and
// HubMethods below and compares them with the C# interfaces, so keep both objects on one line each and
// use these constants for every event and method name.

export const ClientEvents = { Snapshot: "Snapshot", PageChanged: "PageChanged", DeckChanged: "DeckChanged", QuestionAsked: "QuestionAsked", VotesChanged: "VotesChanged", StageChanged: "StageChanged", HandsChanged: "HandsChanged", MyStageChanged: "MyStageChanged", ReceptionChanged: "ReceptionChanged", QuestionsChanged: "QuestionsChanged", SessionChanged: "SessionChanged", SessionEnded: "SessionEnded", StreamVersionsChanged: "StreamVersionsChanged", ReactionsChanged: "ReactionsChanged", /* --- Q&A moderation --- */ QuestionUpdated: "QuestionUpdated", ModerationChanged: "ModerationChanged", ModerationQuestionChanged: "ModerationQuestionChanged", MyQuestionChanged: "MyQuestionChanged", /* --- Polls --- */ PollsChanged: "PollsChanged", PollResultsChanged: "PollResultsChanged", /* --- Presenter view --- */ SlideNoteChanged: "SlideNoteChanged", DeckDownloadChanged: "DeckDownloadChanged", /* --- Room rosters --- */ RoomChanged: "RoomChanged" } as const;

export const HubMethods = { GetSnapshot: "GetSnapshot", GetSlides: "GetSlides", GetQuestions: "GetQuestions", GetStage: "GetStage", GetHands: "GetHands", GoToPage: "GoToPage", AskQuestion: "AskQuestion", Upvote: "Upvote", RaiseHand: "RaiseHand", BringOnStage: "BringOnStage", TakeOffStage: "TakeOffStage", Publish: "Publish", Unpublish: "Unpublish", Watch: "Watch", StartWatching: "StartWatching", SetQuality: "SetQuality", StopWatching: "StopWatching", SendCandidate: "SendCandidate", ReportReception: "ReportReception", React: "React", GetReactions: "GetReactions", /* --- Q&A moderation --- */ GetModeration: "GetModeration", ApproveQuestion: "ApproveQuestion", DismissQuestion: "DismissQuestion", MarkAnswered: "MarkAnswered", PinQuestion: "PinQuestion", ReplyToQuestion: "ReplyToQuestion", EditQuestion: "EditQuestion", WithdrawQuestion: "WithdrawQuestion", Unvote: "Unvote", /* --- Polls --- */ GetPolls: "GetPolls", LaunchPoll: "LaunchPoll", ClosePoll: "ClosePoll", AnswerPoll: "AnswerPoll", /* --- Presenter view --- */ GetSlideNotes: "GetSlideNotes", SetSlideNote: "SetSlideNote", SetDeckDownloadable: "SetDeckDownloadable", /* --- Room rosters --- */ GetRoom: "GetRoom", SetRoom: "SetRoom" } as const;

export const HubPath = "/hubs/exchange";

export type ClientEventName = (typeof ClientEvents)[keyof typeof ClientEvents];
export type HubMethodName = (typeof HubMethods)[keyof typeof HubMethods];

/** ParticipantRoles in src/Shared/IExchangeClient.cs. */
export const ParticipantRoles = { Host: "host", Viewer: "viewer", Moderator: "moderator" } as const;
export type ParticipantRole = (typeof ParticipantRoles)[keyof typeof ParticipantRoles];

/** DeckView(long DeckId, string FileName, int PageCount) */
export interface DeckView {
  deckId: number;
  fileName: string;
  pageCount: number;
}

/** QuestionView(long Id, long ParticipantId, string Text, string AgencyName, string DisplayName, int Votes, DateTimeOffset AskedAt) */
export interface QuestionView {
  id: number;
  participantId: number;
  text: string;
  agencyName: string;
  displayName: string;
  votes: number;
  /** ISO 8601 with offset. */
  askedAt: string;
  /** Empty for an anonymous question as other viewers get it (agency, city, name left out; participantId 0). */
  city: string;
  status: QuestionStatus | string;
  anonymous: boolean;
  reply: string | null;
  repliedAt: string | null;
  answeredAt: string | null;
  editedAt: string | null;
}

/** Stream names (LiveStreams in Messages.cs): each is versioned on its own. */
export const LiveStreams = { Slides: "slides", Questions: "questions", Stage: "stage", Hands: "hands", Moderation: "moderation", Polls: "polls" } as const;
export type LiveStream = (typeof LiveStreams)[keyof typeof LiveStreams];

export interface SlidesState {
  version: number;
  deck: DeckView | null;
  currentPage: number;
  /** Presenting: viewers are offered the deck as a download (absent from an older server: no). */
  deckDownloadable?: boolean;
}

export interface QuestionsState {
  version: number;
  questions: QuestionView[];
  myVotes: number[];
  /** This participant's own questions in full, pending ones included (null in QuestionsChanged: keep yours). */
  mine: QuestionView[] | null;
  pinnedQuestionId: number | null;
  /** The vote sequence the counts were read at. */
  voteSequence: number;
  questionsNeedApproval: boolean;
}

export const FeedKinds = { Camera: "camera", Screen: "screen" } as const;
export const FeedStatuses = { Live: "live", Interrupted: "interrupted" } as const;

/** StageFeed: one stream published through the media server. */
export interface StageFeed {
  feedId: number;
  participantId: number;
  agencyName: string;
  displayName: string;
  kind: string;
  status: string;
  hasAudio: boolean;
  hasVideo: boolean;
}

export interface StageMember {
  participantId: number;
  agencyName: string;
  city: string;
  displayName: string;
}

export interface StageState {
  version: number;
  feeds: StageFeed[];
  onStage: StageMember[];
}

export interface RaisedHand {
  participantId: number;
  agencyName: string;
  city: string;
  displayName: string;
  raisedAt: string;
}

export interface HandsState {
  version: number;
  raised: RaisedHand[];
}

export interface MyStage {
  handRaised: boolean;
  onStage: boolean;
}

export interface IceServerInfo {
  urls: string[];
  username: string | null;
  credential: string | null;
}

export interface VideoSettings {
  configured: boolean;
  iceServers: IceServerInfo[];
  maxOnStage: number;
}

/** StreamVersions: every stream's version, sent after a backplane outage so clients behind reload. */
export interface StreamVersions {
  sessionId: number;
  slides: number;
  questions: number;
  stage: number;
  hands: number;
  moderation: number;
  polls?: number;
}

/** SessionEnded: the session is over for this screen ("ended"), or the organiser removed it ("removed"). */
export interface SessionEnded {
  sessionId: number;
  reason: "ended" | "cancelled" | "removed" | string;
  at: string;
}

/** SessionSnapshot: the whole state a screen needs, sent on connect and returned by GetSnapshot. */
export interface SessionSnapshot {
  sessionId: number;
  code: string;
  title: string;
  role: ParticipantRole | string;
  myParticipantId: number;
  slides: SlidesState;
  questions: QuestionsState;
  stage: StageState;
  hands: HandsState | null;
  me: MyStage;
  video: VideoSettings;
  outline: SessionOutline;
  /** Moderators (host, moderator link) only. */
  moderation: ModerationState | null;
  /** Polls (null from a server without them). */
  polls?: PollsState | null;
}

/** AgendaSegment(string Title, long? AgencyId, string? AgencyName, DateTimeOffset StartsAt, DateTimeOffset EndsAt) */
export interface AgendaSegment {
  title: string;
  agencyId: number | null;
  agencyName: string | null;
  startsAt: string;
  endsAt: string;
}

/** SessionOutline: what every page shows; the SessionChanged event carries a new one after an edit. */
export interface SessionOutline {
  sessionId: number;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  /** scheduled | open | live | ended | cancelled */
  state: string;
  sequence: number;
  agenda: AgendaSegment[];
}

export interface PublishAnswer {
  feedId: number;
  handleId: number;
  sdp: string;
}

export const WatchQualities = { Auto: "auto", Low: "low", AudioOnly: "audio" } as const;
export type WatchQuality = (typeof WatchQualities)[keyof typeof WatchQualities];

export interface WatchOffer {
  handleId: number;
  feedId: number;
  quality: string;
  sdp: string;
}

export const ReceptionStates = { Playing: "playing", Buffering: "buffering", Failed: "failed", AudioOnly: "audio", Idle: "idle" } as const;
export type ReceptionState = (typeof ReceptionStates)[keyof typeof ReceptionStates];

export interface AgencyReception {
  agencyName: string;
  screens: number;
  playing: number;
  audioOnly: number;
  buffering: number;
  failed: number;
}

export interface ReceptionSummary {
  agenciesReceiving: number;
  agenciesWatching: number;
  agencies: AgencyReception[];
}

/** PageChanged(long Version, int Page, int PageCount) */
export interface PageChanged {
  version: number;
  page: number;
  pageCount: number;
}

/** DeckChanged(long Version, DeckView Deck, int CurrentPage) */
export interface DeckChanged {
  version: number;
  deck: DeckView;
  currentPage: number;
}

/** QuestionAsked(long Version, QuestionView Question) */
export interface QuestionAsked {
  version: number;
  question: QuestionView;
}

/** VoteCount(long QuestionId, int Votes, long Sequence): the count as read at vote sequence `sequence`. */
export interface VoteCount {
  questionId: number;
  votes: number;
  sequence: number;
}

/**
 * VotesChanged(IReadOnlyList<VoteCount> Counts, long Sequence): votes can be taken back, so counts go down as
 * well as up; keep per question the count with the highest sequence.
 */
export interface VotesChanged {
  counts: VoteCount[];
  sequence: number;
}

/** What each hub method returns (IExchangeHub). */
export interface HubMethodResults {
  GetSnapshot: SessionSnapshot;
  GetSlides: SlidesState;
  GetQuestions: QuestionsState;
  GetStage: StageState;
  GetHands: HandsState;
  GoToPage: PageChanged;
  AskQuestion: QuestionView;
  Upvote: VoteCount;
  RaiseHand: MyStage;
  BringOnStage: void;
  TakeOffStage: void;
  Publish: PublishAnswer;
  Unpublish: void;
  Watch: WatchOffer;
  StartWatching: void;
  SetQuality: void;
  StopWatching: void;
  SendCandidate: void;
  ReportReception: void;
  // --- Reactions ---
  React: void;
  GetReactions: ReactionTotals;
  // --- Q&A moderation ---
  GetModeration: ModerationState;
  ApproveQuestion: void;
  DismissQuestion: void;
  MarkAnswered: void;
  PinQuestion: void;
  ReplyToQuestion: void;
  EditQuestion: QuestionView;
  WithdrawQuestion: void;
  Unvote: VoteCount;
  // --- Polls ---
  GetPolls: PollsState;
  LaunchPoll: PollsState;
  ClosePoll: PollsState;
  AnswerPoll: MyPollAnswer;
  // --- Presenter view ---
  GetSlideNotes: SlideNotesState;
  SetSlideNote: SlideNoteChanged;
  SetDeckDownloadable: DeckDownloadChanged;
  // --- Room rosters ---
  GetRoom: RoomState;
  SetRoom: RoomState;
}

// --- Q&A moderation ---

/** QuestionStatuses in src/Shared/Moderation.cs. Viewers see live and answered ones. */
export const QuestionStatuses = { Pending: "pending", Live: "live", Answered: "answered", Dismissed: "dismissed", Withdrawn: "withdrawn" } as const;
export type QuestionStatus = (typeof QuestionStatuses)[keyof typeof QuestionStatuses];

/** QuestionUpdated: a visible question changed or (question null) left the list; the pinned question. */
export interface QuestionUpdated {
  version: number;
  questionId: number;
  question: QuestionView | null;
  pinnedQuestionId: number | null;
}

/**
 * ModerationQuestionChanged: moderators only, the moderation stream: one question changed (in full, any
 * status; null when none was touched, e.g. unpinning) and the pinned question. Applied on top of the whole
 * state when its version is the next one; a gap reloads the whole state with GetModeration.
 */
export interface ModerationQuestionChanged {
  version: number;
  questionId: number;
  question: QuestionView | null;
  pinnedQuestionId: number | null;
}

/** ModerationState: moderators only, whole (snapshot, GetModeration, the approval setting), on its own versioned stream. */
export interface ModerationState {
  version: number;
  questionsNeedApproval: boolean;
  questions: QuestionView[];
  pinnedQuestionId: number | null;
}

// --- Reactions ---

/** ReactionKinds in src/Shared/Reactions.cs. */
export const ReactionKinds = { Like: "like", Clap: "clap", Love: "love", Idea: "idea", Question: "question" } as const;
export type ReactionKind = (typeof ReactionKinds)[keyof typeof ReactionKinds];

export interface ReactionCount {
  kind: string;
  count: number;
}

/** One window's reactions from one hub instance (only kinds sent) and the session's running totals. */
export interface ReactionsChanged {
  burst: ReactionCount[];
  totals: ReactionCount[];
}

export interface ReactionTotals {
  totals: ReactionCount[];
}

// --- Polls --- (src/Shared/Polls.cs)

export const PollKinds = { Single: "single", Multiple: "multiple", Rating: "rating", Words: "words" } as const;
export type PollKind = (typeof PollKinds)[keyof typeof PollKinds];
export const PollResultModes = { Live: "live", Hidden: "hidden" } as const;
export const PollCountings = { Screens: "screens", People: "people" } as const;
export const PollStates = { Draft: "draft", Open: "open", Closed: "closed" } as const;

/** An option's position ("0".."9"), a rating ("1".."5") or a word, with the screens and people that chose it. */
export interface PollItemCount {
  item: string;
  screens: number;
  people: number;
}

/** A poll's results: exact both ways; `counting` says which the poll shows. Keep the highest `sequence`. */
export interface PollResults {
  pollId: number;
  sequence: number;
  counting: string;
  screens: number;
  people: number;
  items: PollItemCount[];
  final: boolean;
}

export interface PollView {
  id: number;
  kind: PollKind | string;
  question: string;
  options: string[];
  /** live | hidden */
  results: string;
  /** screens | people */
  counting: string;
  /** draft | open | closed */
  state: string;
  openedAt: string | null;
  closedAt: string | null;
  /** Null where the receiver may not see the results (hidden, not a host), and in PollsChanged for the open poll. */
  tally: PollResults | null;
}

export interface MyPollAnswer {
  pollId: number;
  options: number[];
  rating: number | null;
  words: string[];
  answeredAt: string;
}

export interface PollAnswerInput {
  options: number[] | null;
  rating: number | null;
  words: string[] | null;
}

/** The polls stream: the open poll, the closed ones (newest first) with final results, my answer to the open one. */
export interface PollsState {
  version: number;
  open: PollView | null;
  closed: PollView[];
  myAnswer: MyPollAnswer | null;
}

// --- Presenter view --- (src/Shared/Presenting.cs)

/** PresentingStreams.Notes: speaker notes, hosts only, versioned on its own. */
export const NotesStream = "notes";

/** SlideNote(long DeckId, int Page, string Text, string Source, DateTimeOffset UpdatedAt); Source: "typed" | "deck". */
export interface SlideNote {
  deckId: number;
  page: number;
  text: string;
  source: "typed" | "deck" | string;
  updatedAt: string;
}

export interface SlideNotesState {
  version: number;
  deckId: number | null;
  notes: SlideNote[];
  maxChars: number;
}

export interface SlideNoteChanged {
  version: number;
  note: SlideNote;
}

/** Slides stream: viewers may (or may no longer) download the deck. */
export interface DeckDownloadChanged {
  version: number;
  downloadable: boolean;
}

// --- Room rosters --- (src/Shared/RoomRosters.cs)

export interface RoomMemberInput {
  name: string;
  jobTitle: string | null;
}

export interface RoomMember {
  id: number;
  name: string;
  jobTitle: string | null;
  addedAt: string;
}

/** A screen's roster and headcount; RoomChanged carries the whole state: keep the highest version. */
export interface RoomState {
  version: number;
  members: RoomMember[];
  headcount: number;
}

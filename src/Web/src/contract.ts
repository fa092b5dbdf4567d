// The hub contract as the browser sees it. It mirrors src/Shared (IExchangeClient, IExchangeHub,
// Messages.cs); JSON over SignalR is camelCase. A .NET test reads the quoted values of ClientEvents and
// HubMethods below and compares them with the C# interfaces, so keep both objects on one line each and
// use these constants for every event and method name.

export const ClientEvents = { Snapshot: "Snapshot", PageChanged: "PageChanged", DeckChanged: "DeckChanged", QuestionAsked: "QuestionAsked", VotesChanged: "VotesChanged" } as const;

export const HubMethods = { GetSnapshot: "GetSnapshot", GoToPage: "GoToPage", AskQuestion: "AskQuestion", Upvote: "Upvote" } as const;

export const HubPath = "/hubs/exchange";

export type ClientEventName = (typeof ClientEvents)[keyof typeof ClientEvents];
export type HubMethodName = (typeof HubMethods)[keyof typeof HubMethods];

/** ParticipantRoles in src/Shared/IExchangeClient.cs. */
export const ParticipantRoles = { Host: "host", Viewer: "viewer" } as const;
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
}

/** SessionSnapshot: the whole state a screen needs, sent on connect and returned by GetSnapshot. */
export interface SessionSnapshot {
  version: number;
  sessionId: number;
  code: string;
  title: string;
  role: ParticipantRole | string;
  deck: DeckView | null;
  currentPage: number;
  questions: QuestionView[];
  myVotes: number[];
  myParticipantId: number | null;
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

/** VoteCount(long QuestionId, int Votes) */
export interface VoteCount {
  questionId: number;
  votes: number;
}

/** VotesChanged(IReadOnlyList<VoteCount> Counts): counts only grow, so they carry no version. */
export interface VotesChanged {
  counts: VoteCount[];
}

/** What each hub method returns (IExchangeHub). */
export interface HubMethodResults {
  GetSnapshot: SessionSnapshot;
  GoToPage: PageChanged;
  AskQuestion: QuestionView;
  Upvote: VoteCount;
}

namespace LiveExchange.Shared;

/// <summary>
/// What the exchange hub pushes to browsers and .NET clients. The TypeScript side names the same
/// events in src/Web/src/contract.ts; a test keeps the two lists equal. Each event goes to an
/// audience: the whole session, its hosts, or one participant (all its connections, any instance).
/// </summary>
public interface IExchangeClient
{
    /// <summary>The whole state a screen needs, sent on connect and on request.</summary>
    Task Snapshot(SessionSnapshot snapshot);

    /// <summary>Session; slides stream.</summary>
    Task PageChanged(PageChanged change);

    /// <summary>Session; slides stream.</summary>
    Task DeckChanged(DeckChanged change);

    /// <summary>Session; questions stream.</summary>
    Task QuestionAsked(QuestionAsked asked);

    /// <summary>
    /// Session. Vote counts, sent at most once per <c>VoteFanout.Window</c> per session and instance: a
    /// storm of votes reaches each viewer as a bounded number of messages, not one per vote.
    /// </summary>
    Task VotesChanged(VotesChanged votes);

    /// <summary>Session; stage stream (whole state).</summary>
    Task StageChanged(StageState stage);

    /// <summary>Hosts only; hands stream (whole state).</summary>
    Task HandsChanged(HandsState hands);

    /// <summary>One participant: its own hand and stage place changed.</summary>
    Task MyStageChanged(MyStage me);

    /// <summary>Hosts only: who is receiving the video, coalesced.</summary>
    Task ReceptionChanged(ReceptionSummary reception);

    /// <summary>Session; questions stream (whole state): questions were removed (the organiser removed a participant).</summary>
    Task QuestionsChanged(QuestionsState questions);

    /// <summary>Session: every stream's current version, after a backplane outage; a client behind on one reloads it.</summary>
    Task StreamVersionsChanged(StreamVersions versions);

    /// <summary>Session: the organiser edited the session (title, times, agenda); pages show the new outline.</summary>
    Task SessionChanged(SessionOutline outline);

    /// <summary>Session, or one participant: the session has ended (or this participant was removed); stop and say so.</summary>
    Task SessionEnded(SessionEnded ended);

    // --- Reactions ---

    /// <summary>
    /// Session. One window's reactions and the running totals, sent at most once per
    /// <c>ReactionFanout.Window</c> per session and instance, however many reactions arrived.
    /// </summary>
    Task ReactionsChanged(ReactionsChanged reactions);

    // --- Q&A moderation ---

    /// <summary>Session; questions stream: a visible question changed or left the list; the pinned question.</summary>
    Task QuestionUpdated(QuestionUpdated update);

    /// <summary>Moderators only; moderation stream (whole state): the approval setting changed, or questions were removed.</summary>
    Task ModerationChanged(ModerationState moderation);

    /// <summary>Moderators only; moderation stream: one question changed (its full view), and the pinned question.</summary>
    Task ModerationQuestionChanged(ModerationQuestionChanged change);

    /// <summary>One participant: one of its own questions changed (asked, pending, approved, answered, replied...).</summary>
    Task MyQuestionChanged(QuestionView question);
    // --- Polls ---

    /// <summary>Session; polls stream (whole state, no results of the open poll): launched or closed.</summary>
    Task PollsChanged(PollsState polls);

    /// <summary>
    /// Session (results live) or hosts (hidden): the open poll's results, coalesced: at most once per
    /// <c>PollFanout.Window</c> per session and instance. Clients keep the highest Sequence.
    /// </summary>
    Task PollResultsChanged(PollResults results);

    // --- Presenter view ---

    /// <summary>Hosts only (the host page and its presenter views); notes stream: one page's speaker note.</summary>
    Task SlideNoteChanged(SlideNoteChanged change);

    /// <summary>Session; slides stream: viewers may, or may no longer, download the deck.</summary>
    Task DeckDownloadChanged(DeckDownloadChanged change);
    // --- Room rosters ---

    /// <summary>One participant (all its tabs): its room roster changed (whole state; keep the highest Version).</summary>
    Task RoomChanged(RoomState room);
}

/// <summary>What clients may call on the exchange hub. Roles are checked by the hub on every call.</summary>
public interface IExchangeHub
{
    /// <summary>Any participant: the current state, read from the database.</summary>
    Task<SessionSnapshot> GetSnapshot();

    /// <summary>Any participant: reload one stream after a gap in it.</summary>
    Task<SlidesState> GetSlides();

    Task<QuestionsState> GetQuestions();

    Task<StageState> GetStage();

    /// <summary>Host only.</summary>
    Task<HandsState> GetHands();

    /// <summary>Host only: show page <paramref name="page"/> (1-based) to everyone.</summary>
    Task<PageChanged> GoToPage(int page);

    /// <summary>
    /// Viewer only: ask a question, anonymously (to other viewers) or not. A retry with the same client key
    /// returns the question stored the first time.
    /// </summary>
    Task<QuestionView> AskQuestion(string text, string? clientKey, bool anonymous);

    /// <summary>Viewer only: upvote someone else's question, once (again: the same count, no error). Returns its count after this vote.</summary>
    Task<VoteCount> Upvote(long questionId);

    /// <summary>Viewer only: raise or lower this screen's hand; only hosts see it.</summary>
    Task<MyStage> RaiseHand(bool raised);

    /// <summary>Host only: bring a participant on stage (it may then publish its camera).</summary>
    Task BringOnStage(long participantId);

    /// <summary>Host only: take a participant off stage; its feed stops.</summary>
    Task TakeOffStage(long participantId);

    /// <summary>Host, or a viewer on stage: publish camera or screen. Returns the media server's answer.</summary>
    Task<PublishAnswer> Publish(PublishOffer offer);

    /// <summary>Stop publishing <paramref name="kind"/>.</summary>
    Task Unpublish(string kind);

    /// <summary>Signalling: subscribe to a feed; returns the media server's offer.</summary>
    Task<WatchOffer> Watch(long feedId, string quality);

    /// <summary>Signalling: the browser's answer to a <see cref="WatchOffer"/>.</summary>
    Task StartWatching(long handleId, string sdp);

    /// <summary>Signalling: switch quality (auto / low) on a subscription.</summary>
    Task SetQuality(long handleId, string quality);

    Task StopWatching(long handleId);

    /// <summary>Signalling: a local ICE candidate for one of this connection's handles (null candidate: gathering done).</summary>
    Task SendCandidate(long handleId, IceCandidate candidate);

    /// <summary>Signalling: what this screen receives (ReceptionStates).</summary>
    Task ReportReception(string state);

    // --- Reactions ---

    /// <summary>Viewer only: send a reaction (<see cref="ReactionKinds"/>); it reaches screens coalesced. Own rate budget.</summary>
    Task React(string kind);

    /// <summary>Any participant: the session's reaction totals per kind.</summary>
    Task<ReactionTotals> GetReactions();

    // --- Q&A moderation ---

    /// <summary>Moderator (or host): every question, after a gap in the moderation stream.</summary>
    Task<ModerationState> GetModeration();

    /// <summary>Moderator: a pending question becomes visible to everyone.</summary>
    Task ApproveQuestion(long questionId);

    /// <summary>Moderator: keep a question off the screens.</summary>
    Task DismissQuestion(long questionId);

    /// <summary>Moderator: the question was answered (it stays visible, marked; unpinned if pinned).</summary>
    Task MarkAnswered(long questionId);

    /// <summary>Moderator: pin one question as "now answering" on every screen; null or 0 unpins.</summary>
    Task PinQuestion(long? questionId);

    /// <summary>Moderator: a written reply (again: replaces it; empty removes it).</summary>
    Task ReplyToQuestion(long questionId, string text);

    /// <summary>Viewer, the asker: change the text until the question is answered.</summary>
    Task<QuestionView> EditQuestion(long questionId, string text);

    /// <summary>Viewer, the asker: take the question back until it is answered.</summary>
    Task WithdrawQuestion(long questionId);

    /// <summary>Viewer: take an upvote back (no vote: the same count, no error).</summary>
    Task<VoteCount> Unvote(long questionId);
    // --- Polls ---

    /// <summary>Any participant: reload the polls stream (results as the caller may see them).</summary>
    Task<PollsState> GetPolls();

    /// <summary>Poll manager (host): open a prepared poll; refused while another is open.</summary>
    Task<PollsState> LaunchPoll(long pollId);

    /// <summary>Poll manager (host): close the open poll; its final results go to everyone.</summary>
    Task<PollsState> ClosePoll(long pollId);

    /// <summary>Viewer only: answer the open poll, or change the answer. The same client key again stores nothing.</summary>
    Task<MyPollAnswer> AnswerPoll(long pollId, PollAnswerInput answer, string? clientKey);

    // --- Presenter view ---

    /// <summary>Host only: the speaker notes of the current deck (after a gap in the notes stream, or on connect).</summary>
    Task<SlideNotesState> GetSlideNotes();

    /// <summary>Host only: type page <paramref name="page"/>'s note of deck <paramref name="deckId"/>; empty text clears it.</summary>
    Task<SlideNoteChanged> SetSlideNote(long deckId, int page, string text);

    /// <summary>Host only: offer viewers the deck as a download, or stop offering it.</summary>
    Task<DeckDownloadChanged> SetDeckDownloadable(bool downloadable);
    // --- Room rosters ---

    /// <summary>Viewer only: its own screen's room roster.</summary>
    Task<RoomState> GetRoom();

    /// <summary>
    /// Viewer only, its own screen: the whole roster as it is now. People no longer listed are closed,
    /// new ones added; the headcount follows the roster's size from this moment (an empty list keeps it).
    /// </summary>
    Task<RoomState> SetRoom(RoomMemberInput[] members);
}

public static class ExchangeHubRoute
{
    public const string Path = "/hubs/exchange";
}

public static class ParticipantRoles
{
    public const string Host = "host";
    public const string Viewer = "viewer";

    /// <summary>Runs the Q&A with the moderator link: no page turning, no camera.</summary>
    public const string Moderator = "moderator";
}

using LiveExchange.Hub.Access;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Questions;
using LiveExchange.Hub.Slides;
using LiveExchange.Hub.Stage;
using LiveExchange.Hub.Video;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Live;

/// <summary>
/// The one hub. It only says who is calling and hands the call to its feature; the state lives in
/// the database, so whichever instance a client reconnects to can serve it.
/// </summary>
[Authorize(Policy = ExchangePolicies.Participant)]
public sealed class ExchangeHub(
    AttendanceLedger attendance,
    SessionSnapshots snapshots,
    SlideState slides,
    QuestionBoard questions,
    StageBoard stage,
    MediaRelay media,
    ReceptionBoard reception,
    LocalSessions local,
    Reactions.ReactionFanout reactions,
    Polls.PollBoard polls,
    SlideNotes notes,
    Decks.DeckDownloads downloads,
    Rooms.RoomRoster rooms) : Hub<IExchangeClient>, IExchangeHub
{
    internal const string CallerKey = "lx:caller";

    public override async Task OnConnectedAsync()
    {
        var caller = await attendance.OpenAsync(Context.User!, Context.ConnectionId, Context.ConnectionAborted);
        Context.Items[CallerKey] = caller;
        local.Add(caller.SessionId);
        try
        {
            // Join the groups before reading the snapshot: a change committed in between reaches this
            // client as an event with a version above the snapshot's, never falls in a gap unseen.
            await Groups.AddToGroupAsync(Context.ConnectionId, Audience.Session(caller.SessionId).Group!, Context.ConnectionAborted);
            if (caller.IsHost)
            {
                await Groups.AddToGroupAsync(Context.ConnectionId, Audience.Hosts(caller.SessionId).Group!, Context.ConnectionAborted);
            }

            if (caller.CanModerate)
            {
                await Groups.AddToGroupAsync(Context.ConnectionId, Audience.Moderators(caller.SessionId).Group!, Context.ConnectionAborted);
            }

            await Clients.Caller.Snapshot(await snapshots.LoadAsync(caller, Context.ConnectionAborted));
            reception.Touch(caller.SessionId);
        }
        catch
        {
            // SignalR does not call OnDisconnectedAsync after a failed OnConnectedAsync: close the interval here.
            local.Remove(caller.SessionId);
            await attendance.CloseAsync(Context.ConnectionId);
            throw;
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        try
        {
            await media.ConnectionClosedAsync(Context.ConnectionId);
        }
        finally
        {
            await attendance.CloseAsync(Context.ConnectionId);
            if (Context.Items[CallerKey] is ExchangeCaller caller)
            {
                local.Remove(caller.SessionId);
                reception.Touch(caller.SessionId);
            }
        }
    }

    public Task<SessionSnapshot> GetSnapshot() => snapshots.LoadAsync(Caller, Context.ConnectionAborted);

    public Task<SlidesState> GetSlides() => snapshots.LoadSlidesAsync(Caller, Context.ConnectionAborted);

    public Task<QuestionsState> GetQuestions() => snapshots.LoadQuestionsAsync(Caller, Context.ConnectionAborted);

    public Task<StageState> GetStage() => snapshots.LoadStageAsync(Caller, Context.ConnectionAborted);

    public Task<HandsState> GetHands() => snapshots.LoadHandsAsync(Caller.RequireHost(), Context.ConnectionAborted);

    public Task<PageChanged> GoToPage(int page) => slides.GoToPageAsync(Caller.RequireHost(), page);

    public Task<QuestionView> AskQuestion(string text, string? clientKey, bool anonymous) =>
        questions.AskAsync(Caller.RequireViewer(), text, clientKey, anonymous);

    public Task<VoteCount> Upvote(long questionId) => questions.UpvoteAsync(Caller.RequireViewer(), questionId);

    public Task<MyStage> RaiseHand(bool raised) => stage.RaiseHandAsync(Caller.RequireViewer(), raised);

    public Task BringOnStage(long participantId) => stage.BringOnStageAsync(Caller.RequireHost(), participantId);

    public async Task TakeOffStage(long participantId)
    {
        var host = Caller.RequireHost();
        await media.KickAsync(host.SessionId, await stage.TakeOffStageAsync(host, participantId));
    }

    public Task<PublishAnswer> Publish(PublishOffer offer) => media.PublishAsync(Caller, Context.ConnectionId, offer);

    public Task Unpublish(string kind) => media.UnpublishAsync(Caller, Context.ConnectionId, kind);

    [Signalling]
    public Task<WatchOffer> Watch(long feedId, string quality) => media.WatchAsync(Caller, Context.ConnectionId, feedId, quality);

    [Signalling]
    public Task StartWatching(long handleId, string sdp) => media.StartWatchingAsync(Context.ConnectionId, handleId, sdp);

    [Signalling]
    public Task SetQuality(long handleId, string quality) => media.SetQualityAsync(Context.ConnectionId, handleId, quality);

    [Signalling]
    public Task StopWatching(long handleId) => media.StopWatchingAsync(Context.ConnectionId, handleId);

    [Signalling]
    public Task SendCandidate(long handleId, IceCandidate candidate) => media.TrickleAsync(Context.ConnectionId, handleId, candidate);

    [Signalling]
    public Task ReportReception(string state) => reception.ReportAsync(Caller, state);

    // --- Reactions ---

    // Viewers only: reactions are the audience's voice to the presenter; a host clapping its own talk
    // would only inflate the room's response (and the host's page has no reaction bar).
    [OwnBudget(Reactions.ReactionFanout.Burst, Reactions.ReactionFanout.PerSecond)]
    public Task React(string kind)
    {
        reactions.React(Caller.RequireViewer(), kind);
        return Task.CompletedTask;
    }

    public Task<ReactionTotals> GetReactions() => reactions.TotalsAsync(Caller.SessionId, Context.ConnectionAborted);

    // --- Q&A moderation ---

    public Task<ModerationState> GetModeration() => snapshots.LoadModerationAsync(Caller.RequireModerator(), Context.ConnectionAborted);

    public Task ApproveQuestion(long questionId) => questions.ApproveAsync(Caller.RequireModerator(), questionId);

    public Task DismissQuestion(long questionId) => questions.DismissAsync(Caller.RequireModerator(), questionId);

    public Task MarkAnswered(long questionId) => questions.MarkAnsweredAsync(Caller.RequireModerator(), questionId);

    public Task PinQuestion(long? questionId) => questions.PinAsync(Caller.RequireModerator(), questionId);

    public Task ReplyToQuestion(long questionId, string text) => questions.ReplyAsync(Caller.RequireModerator(), questionId, text);

    public Task<QuestionView> EditQuestion(long questionId, string text) => questions.EditAsync(Caller.RequireViewer(), questionId, text);

    public Task WithdrawQuestion(long questionId) => questions.WithdrawAsync(Caller.RequireViewer(), questionId);

    public Task<VoteCount> Unvote(long questionId) => questions.UnvoteAsync(Caller.RequireViewer(), questionId);
    // --- Polls ---

    public Task<PollsState> GetPolls() => polls.LoadAsync(Caller, Context.ConnectionAborted);

    public Task<PollsState> LaunchPoll(long pollId) => polls.LaunchAsync(Caller.RequirePollManager(), pollId);

    public Task<PollsState> ClosePoll(long pollId) => polls.CloseAsync(Caller.RequirePollManager(), pollId);

    public Task<MyPollAnswer> AnswerPoll(long pollId, PollAnswerInput answer, string? clientKey) =>
        polls.AnswerAsync(Caller.RequireViewer(), pollId, answer, clientKey);
    // --- Room rosters ---

    // Viewers only, and only their own screen: the caller's participant is the only one these touch.
    public Task<RoomState> GetRoom() => rooms.GetAsync(Caller.RequireViewer(), Context.ConnectionAborted);

    public Task<RoomState> SetRoom(RoomMemberInput[] members) => rooms.SetAsync(Caller.RequireViewer(), members);

    // --- Presenter view ---

    // Notes are for the presenter alone: the host token (its page and presenter views), never moderators.
    public Task<SlideNotesState> GetSlideNotes() => notes.LoadAsync(Caller.RequireHost(), Context.ConnectionAborted);

    public Task<SlideNoteChanged> SetSlideNote(long deckId, int page, string text) => notes.SetTypedAsync(Caller.RequireHost(), deckId, page, text);

    public Task<DeckDownloadChanged> SetDeckDownloadable(bool downloadable) => downloads.SetAsync(Caller.RequireHost(), downloadable);

    private ExchangeCaller Caller => (ExchangeCaller)Context.Items[CallerKey]!;
}

/// <summary>Who holds a hub connection: resolved once, on connect.</summary>
public sealed record ExchangeCaller(long SessionId, long ParticipantId, string Role, long AgencyId)
{
    public bool IsHost => Role == ParticipantRoles.Host;

    public ExchangeCaller RequireHost() => IsHost
        ? this
        : throw ExchangeProblem.Forbidden("host_only", "Only the host can do this.");

    public ExchangeCaller RequireViewer() => Role == ParticipantRoles.Viewer
        ? this
        : throw ExchangeProblem.Forbidden("viewer_only", "Only viewers can do this.");

    /// <summary>The host runs the Q&A itself, or hands it to the moderator link.</summary>
    public bool CanModerate => IsHost || Role == ParticipantRoles.Moderator;

    public ExchangeCaller RequireModerator() => CanModerate
        ? this
        : throw ExchangeProblem.Forbidden("moderator_only", "Only the host or a moderator can do this.");
    // --- Polls ---

    /// <summary>Who prepares, launches and closes polls, and sees hidden results: the host today (one place to widen).</summary>
    public bool ManagesPolls => IsHost;

    public ExchangeCaller RequirePollManager() => ManagesPolls
        ? this
        : throw ExchangeProblem.Forbidden("host_only", "Only the host can do this.");
}

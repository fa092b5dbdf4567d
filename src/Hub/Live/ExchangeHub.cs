using LiveExchange.Hub.Access;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Questions;
using LiveExchange.Hub.Slides;
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
    QuestionBoard questions) : Hub<IExchangeClient>, IExchangeHub
{
    private const string CallerKey = "lx:caller";

    public override async Task OnConnectedAsync()
    {
        var caller = await attendance.OpenAsync(Context.User!, Context.ConnectionId, Context.ConnectionAborted);
        Context.Items[CallerKey] = caller;
        try
        {
            // Join the group before reading the snapshot: a change committed in between reaches this
            // client as an event with a version above the snapshot's, never falls in a gap unseen.
            await Groups.AddToGroupAsync(Context.ConnectionId, SessionGroups.Of(caller.SessionId), Context.ConnectionAborted);
            await Clients.Caller.Snapshot(await snapshots.LoadAsync(caller, Context.ConnectionAborted));
        }
        catch
        {
            // SignalR does not call OnDisconnectedAsync after a failed OnConnectedAsync: close the interval here.
            await attendance.CloseAsync(Context.ConnectionId);
            throw;
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception) => attendance.CloseAsync(Context.ConnectionId);

    public Task<SessionSnapshot> GetSnapshot() => snapshots.LoadAsync(Caller, Context.ConnectionAborted);

    public Task<PageChanged> GoToPage(int page) => slides.GoToPageAsync(Caller.RequireHost(), page);

    public Task<QuestionView> AskQuestion(string text) => questions.AskAsync(Caller.RequireViewer(), text);

    public Task<VoteCount> Upvote(long questionId) => questions.UpvoteAsync(Caller.RequireViewer(), questionId);

    private ExchangeCaller Caller => (ExchangeCaller)Context.Items[CallerKey]!;
}

/// <summary>Who holds a hub connection: resolved once, on connect.</summary>
public sealed record ExchangeCaller(long SessionId, long ParticipantId, string Role)
{
    public ExchangeCaller RequireHost() => Role == ParticipantRoles.Host
        ? this
        : throw ExchangeProblem.Forbidden("host_only", "Only the host can do this.");

    public ExchangeCaller RequireViewer() => Role == ParticipantRoles.Viewer
        ? this
        : throw ExchangeProblem.Forbidden("viewer_only", "Only viewers can do this.");
}

public static class SessionGroups
{
    public static string Of(long sessionId) => $"session:{sessionId}";
}

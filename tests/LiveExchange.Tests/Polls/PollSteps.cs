using System.Net.Http.Json;
using LiveExchange.Hub.Polls;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Polls;

/// <summary>What a host's and a viewer's program do with polls, as the pages do it.</summary>
internal static class PollSteps
{
    public static async Task<PollView> PrepareAsync(Api api, Hub.Sessions.SessionScheduled session, string kind, string question,
        string[]? options = null, string results = PollResultModes.Live, string counting = PollCountings.Screens)
    {
        using var host = api.Client(session.HostToken);
        return await Api.PostAsync<PollView>(host, $"/api/sessions/{session.Id}/polls",
            new PollDraftInput(kind, question, options, results, counting));
    }

    public static Task<MyPollAnswer> ChooseAsync(LiveClient viewer, long pollId, string? key, params int[] options) =>
        viewer.InvokeAsync<MyPollAnswer>(nameof(IExchangeHub.AnswerPoll), pollId, new PollAnswerInput(options, null, null), key);

    public static Task<MyPollAnswer> RateAsync(LiveClient viewer, long pollId, int rating, string? key = null) =>
        viewer.InvokeAsync<MyPollAnswer>(nameof(IExchangeHub.AnswerPoll), pollId, new PollAnswerInput(null, rating, null), key);

    public static Task<MyPollAnswer> SayAsync(LiveClient viewer, long pollId, params string[] words) =>
        viewer.InvokeAsync<MyPollAnswer>(nameof(IExchangeHub.AnswerPoll), pollId, new PollAnswerInput(null, null, words), (string?)null);

    public static Task<PollsState> LaunchAsync(LiveClient host, long pollId) => host.InvokeAsync<PollsState>(nameof(IExchangeHub.LaunchPoll), pollId);

    public static Task<PollsState> CloseAsync(LiveClient host, long pollId) => host.InvokeAsync<PollsState>(nameof(IExchangeHub.ClosePoll), pollId);

    /// <summary>The items as (item, screens, people), to compare whole.</summary>
    public static (string, int, int)[] Items(PollResults results) => results.Items.Select(i => (i.Item, i.Screens, i.People)).ToArray();

    /// <summary>Waits for results of <paramref name="pollId"/> whose counts are <paramref name="expected"/>, and returns them.</summary>
    public static Task<PollResults> ResultsAsync(LiveClient client, long pollId, params (string, int, int)[] expected) =>
        client.WaitForAsync<PollResults>(r => r.PollId == pollId && Items(r).SequenceEqual(expected));
}

using System.Collections.Concurrent;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR.Client;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>A hub connection as a .NET client makes it, recording every event it receives.</summary>
public sealed class LiveClient : IAsyncDisposable
{
    private readonly ConcurrentQueue<object> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private LiveClient(HubConnection connection) => Connection = connection;

    public HubConnection Connection { get; }

    public IReadOnlyCollection<object> Received => _received;

    public static async Task<LiveClient> ConnectAsync(Uri baseAddress, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, ExchangeHubRoute.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        var client = new LiveClient(connection);
        client.Record<SessionSnapshot>(nameof(IExchangeClient.Snapshot));
        client.Record<PageChanged>(nameof(IExchangeClient.PageChanged));
        client.Record<DeckChanged>(nameof(IExchangeClient.DeckChanged));
        client.Record<QuestionAsked>(nameof(IExchangeClient.QuestionAsked));
        client.Record<VotesChanged>(nameof(IExchangeClient.VotesChanged));
        client.Record<StageState>(nameof(IExchangeClient.StageChanged));
        client.Record<HandsState>(nameof(IExchangeClient.HandsChanged));
        client.Record<MyStage>(nameof(IExchangeClient.MyStageChanged));
        client.Record<ReceptionSummary>(nameof(IExchangeClient.ReceptionChanged));
        client.Record<QuestionsState>(nameof(IExchangeClient.QuestionsChanged));
        client.Record<SessionEnded>(nameof(IExchangeClient.SessionEnded));
        client.Record<SessionOutline>(nameof(IExchangeClient.SessionChanged));
        // --- Reactions ---
        client.Record<ReactionsChanged>(nameof(IExchangeClient.ReactionsChanged));
        client.Record<QuestionUpdated>(nameof(IExchangeClient.QuestionUpdated));
        client.Record<ModerationState>(nameof(IExchangeClient.ModerationChanged));
        client.Record<ModerationQuestionChanged>(nameof(IExchangeClient.ModerationQuestionChanged));
        client.Record<QuestionView>(nameof(IExchangeClient.MyQuestionChanged));
        // --- Polls ---
        client.Record<PollsState>(nameof(IExchangeClient.PollsChanged));
        client.Record<PollResults>(nameof(IExchangeClient.PollResultsChanged));
        // --- Presenter view ---
        client.Record<SlideNoteChanged>(nameof(IExchangeClient.SlideNoteChanged));
        client.Record<DeckDownloadChanged>(nameof(IExchangeClient.DeckDownloadChanged));
        // --- Room rosters ---
        client.Record<RoomState>(nameof(IExchangeClient.RoomChanged));
        await connection.StartAsync();
        await client.WaitForAsync<SessionSnapshot>(_ => true);
        return client;
    }

    /// <summary>
    /// Connects with <paramref name="token"/> expecting the hub to refuse: returns the message the
    /// connection was closed with (the refusal comes after the handshake, as a close with an error).
    /// </summary>
    public static async Task<string?> RefusalAsync(Uri baseAddress, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, ExchangeHubRoute.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };
        try
        {
            await connection.StartAsync();
        }
        catch (Exception e)
        {
            closed.TrySetResult(e);
        }

        try
        {
            return (await closed.Task.WaitAsync(TimeSpan.FromSeconds(10)))?.Message;
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    public Task<T> InvokeAsync<T>(string method, params object?[] args) => Connection.InvokeCoreAsync<T>(method, args);

    /// <summary>Waits for an event of type <typeparamref name="T"/> that matches, received at any time so far or within the timeout.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var found = _received.OfType<T>().FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No {typeof(T).Name} matching within {timeoutMs} ms; received: {string.Join(", ", _received)}");
            }

            await _arrived.WaitAsync(left);
        }
    }

    /// <summary>
    /// The moderators' queue as live.ts keeps it from what this connection received, in arrival order: the
    /// snapshot's whole state, a newer whole state replacing it, a one-question change applied when it is the
    /// next version (the question replaced by id, or added in id order). Null when a version is missing (the
    /// page would reload it whole) or this screen has no queue.
    /// </summary>
    public ModerationState? ModerationQueue()
    {
        ModerationState? queue = null;
        foreach (var message in _received)
        {
            switch (message)
            {
                case SessionSnapshot snapshot:
                    queue = snapshot.Moderation;
                    break;
                case ModerationState whole when queue is null || whole.Version > queue.Version:
                    queue = whole;
                    break;
                case ModerationQuestionChanged change when queue is not null && change.Version > queue.Version:
                    if (change.Version != queue.Version + 1)
                    {
                        return null;
                    }

                    queue = Apply(queue, change);
                    break;
            }
        }

        return queue;
    }

    /// <summary>
    /// The moderation queue from the last snapshot and every change received after it, applied in version
    /// order whatever order they arrived in (null when a version is missing).
    /// </summary>
    public ModerationState? ModerationQueueInVersionOrder()
    {
        var queue = _received.OfType<SessionSnapshot>().LastOrDefault()?.Moderation;
        if (queue is null)
        {
            return null;
        }

        foreach (var change in _received.OfType<ModerationQuestionChanged>().Where(c => c.Version > queue!.Version).OrderBy(c => c.Version))
        {
            if (change.Version != queue!.Version + 1)
            {
                return null;
            }

            queue = Apply(queue, change);
        }

        return queue;
    }

    /// <summary>One change on top of the queue, as live.ts applies it: the question replaced or added, in id order.</summary>
    private static ModerationState Apply(ModerationState queue, ModerationQuestionChanged change)
    {
        var questions = queue.Questions.Where(q => q.Id != change.QuestionId || change.Question is null).ToList();
        if (change.Question is { } question)
        {
            questions.Add(question);
        }

        return queue with { Version = change.Version, Questions = [.. questions.OrderBy(q => q.Id)], PinnedQuestionId = change.PinnedQuestionId };
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        _arrived.Dispose();
    }

    private void Record<T>(string name) => Connection.On<T>(name, message =>
    {
        _received.Enqueue(message!);
        _arrived.Release();
    });
}

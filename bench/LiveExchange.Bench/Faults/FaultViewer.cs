using System.Diagnostics;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace LiveExchange.Bench.Faults;

/// <summary>
/// A scripted screen that behaves as the browser page does (src/Web/src/live.ts): it applies each
/// stream's next version, reloads a stream on a gap or when told the versions after an outage, takes
/// the pushed snapshot on every (re)connect, and reconnects by itself, quickly and for ever. It
/// records what it was told succeeded (question keys, votes), so a checker can compare with the database.
/// </summary>
public sealed class FaultViewer : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Uri _hub;
    private readonly string _token;
    private readonly Stopwatch _clock;
    private HubConnection _connection;
    private bool _stopped;
    private long _slidesVersion;
    private long _questionsVersion;
    private TaskCompletionSource _snapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FaultViewer(Uri frontDoor, string token, Stopwatch clock)
    {
        _hub = new Uri(frontDoor, ExchangeHubRoute.Path);
        _token = token;
        _clock = clock;
        _connection = Create();
    }

    public int Page { get; private set; }

    public long ParticipantId { get; private set; }

    public Dictionary<long, QuestionView> Questions { get; } = [];

    public Dictionary<long, int> Counts { get; } = [];

    /// <summary>Question keys the hub acknowledged, with the id it gave.</summary>
    public Dictionary<string, long> AcknowledgedQuestions { get; } = [];

    public HashSet<long> AcknowledgedVotes { get; } = [];

    /// <summary>When the link last dropped, and when the snapshot after it arrived (ms on the drill's clock).</summary>
    public double? DroppedAtMs { get; private set; }

    public double? BackAtMs { get; private set; }

    public string? ConnectionId => _connection.ConnectionId;

    public Task StartAsync() => ConnectLoopAsync();

    private HubConnection Create()
    {
        // WebSockets straight away: no negotiate request, so any instance behind the front door can take it.
        var connection = new HubConnectionBuilder()
            .WithUrl(_hub, HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                o.AccessTokenProvider = () => Task.FromResult<string?>(_token);
            })
            .WithServerTimeout(TimeSpan.FromSeconds(8))
            .WithKeepAliveInterval(TimeSpan.FromSeconds(3))
            .Build();
        connection.On<SessionSnapshot>(nameof(IExchangeClient.Snapshot), OnSnapshot);
        connection.On<PageChanged>(nameof(IExchangeClient.PageChanged), c => Apply(LiveStreams.Slides, c.Version, () => Page = c.Page));
        connection.On<DeckChanged>(nameof(IExchangeClient.DeckChanged), c => Apply(LiveStreams.Slides, c.Version, () => Page = c.CurrentPage));
        connection.On<QuestionAsked>(nameof(IExchangeClient.QuestionAsked), q => Apply(LiveStreams.Questions, q.Version, () => Questions[q.Question.Id] = q.Question));
        connection.On<VotesChanged>(nameof(IExchangeClient.VotesChanged), v =>
        {
            lock (_lock)
            {
                foreach (var c in v.Counts)
                {
                    Counts[c.QuestionId] = Math.Max(Counts.GetValueOrDefault(c.QuestionId), c.Votes);
                }
            }
        });
        connection.On<QuestionsState>(nameof(IExchangeClient.QuestionsChanged), q => ReplaceQuestions(q));
        connection.On<StreamVersions>(nameof(IExchangeClient.StreamVersionsChanged), v =>
        {
            if (v.Slides > _slidesVersion)
            {
                _ = ResyncAsync(LiveStreams.Slides);
            }

            _ = ResyncAsync(LiveStreams.Questions);
        });
        connection.Closed += error =>
        {
            lock (_lock)
            {
                DroppedAtMs ??= _clock.Elapsed.TotalMilliseconds;
                BackAtMs = null;
                _snapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (!_stopped)
            {
                _ = ConnectLoopAsync();
            }

            return Task.CompletedTask;
        };
        return connection;
    }

    private async Task ConnectLoopAsync()
    {
        for (var attempt = 0; !_stopped; attempt++)
        {
            try
            {
                if (_connection.State != HubConnectionState.Disconnected)
                {
                    return;
                }

                await _connection.StartAsync();
                return;
            }
            catch (Exception) when (!_stopped)
            {
                // The browser's schedule: at once, then briefly, then every 1-1.5 s here (3-3.5 s in the page).
                await Task.Delay(attempt switch { 0 => 0, 1 => 250, 2 => 500, _ => 1000 + Random.Shared.Next(500) });
            }
        }
    }

    /// <summary>Waits until the snapshot of the current connection has arrived.</summary>
    public Task ConnectedAsync(TimeSpan timeout)
    {
        Task wait;
        lock (_lock)
        {
            wait = _snapshot.Task;
        }

        return wait.WaitAsync(timeout);
    }

    public Task ForgetDropAsync()
    {
        lock (_lock)
        {
            DroppedAtMs = null;
            BackAtMs = null;
        }

        return Task.CompletedTask;
    }

    private void OnSnapshot(SessionSnapshot s)
    {
        lock (_lock)
        {
            Page = s.Slides.CurrentPage;
            ParticipantId = s.MyParticipantId;
            _slidesVersion = s.Slides.Version;
            SetQuestions(s.Questions);
            if (DroppedAtMs is not null)
            {
                BackAtMs ??= _clock.Elapsed.TotalMilliseconds;
            }

            _snapshot.TrySetResult();
        }
    }

    private void Apply(string stream, long version, Action apply)
    {
        bool gap;
        lock (_lock)
        {
            ref var current = ref stream == LiveStreams.Slides ? ref _slidesVersion : ref _questionsVersion;
            if (version <= current)
            {
                return;
            }

            gap = version > current + 1;
            if (!gap)
            {
                apply();
                current = version;
            }
        }

        if (gap)
        {
            _ = ResyncAsync(stream);
        }
    }

    private async Task ResyncAsync(string stream)
    {
        try
        {
            if (stream == LiveStreams.Slides)
            {
                var slides = await _connection.InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides));
                lock (_lock)
                {
                    if (slides.Version >= _slidesVersion)
                    {
                        Page = slides.CurrentPage;
                        _slidesVersion = slides.Version;
                    }
                }
            }
            else
            {
                ReplaceQuestions(await _connection.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions)));
            }
        }
        catch (Exception)
        {
            // The connection dropped meanwhile: the snapshot on reconnect brings it all.
        }
    }

    private void ReplaceQuestions(QuestionsState q)
    {
        lock (_lock)
        {
            if (q.Version >= _questionsVersion)
            {
                SetQuestions(q);
            }
        }
    }

    private void SetQuestions(QuestionsState q)
    {
        Questions.Clear();
        Counts.Clear();
        foreach (var question in q.Questions)
        {
            Questions[question.Id] = question;
            Counts[question.Id] = question.Votes;
        }

        _questionsVersion = q.Version;
    }

    /// <summary>Asks with a key, retrying (same key) through whatever fault is on, until the hub says it is stored.</summary>
    public async Task<long> AskUntilStoredAsync(string text, TimeSpan patience)
    {
        var key = Guid.NewGuid().ToString("N");
        var deadline = _clock.Elapsed + patience;
        while (true)
        {
            try
            {
                var q = await _connection.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), text, key, false);
                lock (_lock)
                {
                    AcknowledgedQuestions[key] = q.Id;
                }

                return q.Id;
            }
            catch (Exception) when (_clock.Elapsed < deadline)
            {
                await Task.Delay(300);
            }
        }
    }

    /// <summary>One attempt; true when the hub acknowledged (already_voted after a lost answer counts too).</summary>
    public async Task<bool> VoteAsync(long questionId)
    {
        try
        {
            await _connection.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), questionId);
        }
        catch (HubException e) when (e.Message.Contains("[already_voted]", StringComparison.Ordinal))
        {
        }
        catch (Exception)
        {
            return false;
        }

        lock (_lock)
        {
            AcknowledgedVotes.Add(questionId);
        }

        return true;
    }

    public Task<T> InvokeAsync<T>(string method, params object?[] args) => _connection.InvokeCoreAsync<T>(method, args);

    public (int Page, Dictionary<long, string> Questions, Dictionary<long, int> Counts) View()
    {
        lock (_lock)
        {
            return (Page, Questions.ToDictionary(q => q.Key, q => q.Value.Text), new Dictionary<long, int>(Counts));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        await _connection.DisposeAsync();
    }
}

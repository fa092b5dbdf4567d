using System.Diagnostics;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace LiveExchange.Bench;

/// <summary>One simulated screen: a WebSocket hub connection that timestamps what it receives.</summary>
public sealed class BenchViewer : IAsyncDisposable
{
    private readonly TaskCompletionSource<SessionSnapshot> _snapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Per question, the count read at the highest vote sequence seen (as live.ts keeps it: votes can be taken back).
    private readonly Dictionary<long, (long Sequence, int Votes)> _highestCounts = [];
    private int _votesMessages;

    private BenchViewer(HubConnection connection, int changes)
    {
        Connection = connection;
        Receipts = new long[changes];
    }

    public HubConnection Connection { get; }

    /// <summary>fanout: Stopwatch timestamp at which page (index + 2) arrived; 0 if it never did.</summary>
    public long[] Receipts { get; }

    public int VotesMessages => Volatile.Read(ref _votesMessages);

    public Task<SessionSnapshot> Snapshot => _snapshot.Task;

    /// <param name="onDelivery">Called once per page first received, from the connection's thread.</param>
    public static BenchViewer Create(Uri hub, string? token, int changes, Action? onDelivery = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(hub, o =>
            {
                // Straight to a WebSocket, as browsers end up: no negotiate round trip, no sticky session needed.
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(2); // A saturated generator must not drop its own viewers.
        var viewer = new BenchViewer(connection, changes);
        connection.On<SessionSnapshot>(nameof(IExchangeClient.Snapshot), s => viewer._snapshot.TrySetResult(s));
        connection.On<PageChanged>(nameof(IExchangeClient.PageChanged), p =>
        {
            var now = Stopwatch.GetTimestamp();
            var index = p.Page - 2;
            if (index >= 0 && index < viewer.Receipts.Length && viewer.Receipts[index] == 0)
            {
                viewer.Receipts[index] = now;
                onDelivery?.Invoke();
            }
        });
        connection.On<VotesChanged>(nameof(IExchangeClient.VotesChanged), v =>
        {
            Interlocked.Increment(ref viewer._votesMessages);
            lock (viewer._highestCounts)
            {
                foreach (var c in v.Counts)
                {
                    if (!viewer._highestCounts.TryGetValue(c.QuestionId, out var kept) || c.Sequence >= kept.Sequence)
                    {
                        viewer._highestCounts[c.QuestionId] = (c.Sequence, c.Votes);
                    }
                }
            }
        });
        return viewer;
    }

    public void ResetVotes() => Interlocked.Exchange(ref _votesMessages, 0);

    /// <summary>The count this screen shows: the one read at the highest vote sequence it received.</summary>
    public int HighestCount(long questionId)
    {
        lock (_highestCounts)
        {
            return _highestCounts.GetValueOrDefault(questionId).Votes;
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    /// <summary>Starts work(i) for 0..count-1 evenly over <paramref name="seconds"/> (a storm) and waits for all.</summary>
    public static Task SpreadAsync(int count, double seconds, Func<int, Task> work, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        return Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * seconds / count * Stopwatch.Frequency));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            await work(i);
        }));
    }

    /// <summary>Closes every viewer that was made, a few dozen at a time.</summary>
    public static Task DisposeAllAsync(IReadOnlyList<BenchViewer?> viewers) =>
        ForAllAsync(viewers.Count, 64, async i =>
        {
            if (viewers[i] is { } v)
            {
                await v.DisposeAsync();
            }
        }, CancellationToken.None);

    /// <summary>Runs <paramref name="work"/> for 0..count-1, at most <paramref name="parallel"/> at once.</summary>
    public static Task ForAllAsync(int count, int parallel, Func<int, Task> work, CancellationToken ct) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (i, _) => await work(i));
}

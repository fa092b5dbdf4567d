using System.Collections.Concurrent;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Reactions;

/// <summary>
/// Coalesces reactions. A room clapping sends thousands of calls in a few seconds; broadcasting each
/// would cost N² messages. Instead each instance counts what it received per session and kind, and once
/// per <see cref="Window"/> (a) adds those counts to <c>session_reactions</c> in one transaction (one
/// upsert per session and kind) and (b) sends the session ONE <see cref="ReactionsChanged"/> with the
/// window's counts and the totals read back. The bound: a viewer receives at most
/// (instances × 1 s / <see cref="Window"/>) reaction messages a second, however large the burst: with
/// two instances, 4 a second.
/// <para>
/// Only the counts of the current window live in memory: the totals are in the database, so any
/// instance serves them (<see cref="TotalsAsync"/>). A crash loses at most one window of one instance's
/// reactions; a normal stop flushes the last window first.
/// </para>
/// </summary>
public sealed class ReactionFanout(Database database, LiveChanges changes, ILogger<ReactionFanout> logger)
    : BackgroundService
{
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    /// <summary>React's own budget per participant: a burst, then this many a second (HubCallRateFilter).</summary>
    public const int Burst = 10;

    public const int PerSecond = 5;

    private const string AddWindow = """
        insert into session_reactions (session_id, kind, total) values (@sessionId, @kind, @count)
        on conflict (session_id, kind) do update set total = session_reactions.total + excluded.total
        """;

    private const string SelectTotals = """
        select kind as Kind, total as Total from session_reactions where session_id = @sessionId order by kind
        """;

    // One flat map of (session, kind) → count: a flush removes each key with the count it takes, so a
    // reaction added while a flush runs starts a fresh entry and goes with the next window.
    private readonly ConcurrentDictionary<(long SessionId, string Kind), long> _window = new();

    public void React(ExchangeCaller viewer, string? kind)
    {
        if (kind is null || !ReactionKinds.All.Contains(kind))
        {
            throw ExchangeProblem.BadRequest("unknown_reaction", $"Reactions are {string.Join(", ", ReactionKinds.All)}.");
        }

        _window.AddOrUpdate((viewer.SessionId, kind), 1, (_, n) => n + 1);
    }

    public async Task<ReactionTotals> TotalsAsync(long sessionId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return new ReactionTotals(await ReadTotalsAsync(connection, null, sessionId));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Window);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushLoggedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the last window still goes to the database and the screens.
            await FlushLoggedAsync(CancellationToken.None);
        }
    }

    private async Task FlushLoggedAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Reactions could not be stored; they are kept for the next window.");
        }
    }

    internal async Task FlushAsync(CancellationToken ct)
    {
        var taken = new List<(long SessionId, string Kind, long Count)>();
        foreach (var key in _window.Keys)
        {
            if (_window.TryRemove(key, out var count))
            {
                taken.Add((key.SessionId, key.Kind, count));
            }
        }

        // Each session on its own: a session whose store fails keeps its counts for the next window and
        // must not take the other sessions' counts (already taken out of the window) down with it.
        List<Exception>? failures = null;
        foreach (var session in taken.GroupBy(t => t.SessionId))
        {
            IReadOnlyList<ReactionCount> totals;
            try
            {
                await using var connection = await database.OpenAsync(ct);
                await using var tx = await database.BeginWriteAsync(connection, ct);
                foreach (var (sessionId, kind, count) in session)
                {
                    await connection.ExecuteAsync(AddWindow, new { sessionId, kind, count }, tx);
                }

                totals = await ReadTotalsAsync(connection, tx, session.Key);
                await tx.CommitAsync(ct);
            }
            catch (Exception e)
            {
                // Not stored: put them back so the next window adds them (nothing was sent for them).
                foreach (var (sessionId, kind, count) in session)
                {
                    _window.AddOrUpdate((sessionId, kind), count, (_, n) => n + count);
                }

                (failures ??= []).Add(e);
                continue;
            }

            var burst = session.OrderBy(t => t.Kind, StringComparer.Ordinal).Select(t => new ReactionCount(t.Kind, t.Count)).ToArray();
            await changes.PublishAsync(Audience.Session(session.Key), client => client.ReactionsChanged(new ReactionsChanged(burst, totals)));
        }

        if (failures is not null)
        {
            throw new AggregateException("Reactions of some sessions could not be stored; they are kept for the next window.", failures);
        }
    }

    internal static async Task<IReadOnlyList<ReactionCount>> ReadTotalsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, long sessionId) =>
        (await connection.QueryAsync<TotalRow>(SelectTotals, new { sessionId }, tx))
            .Select(r => new ReactionCount(r.Kind, r.Total))
            .ToArray();

    // Setters rather than a positional record: see QuestionRow (SQLite's column types).
    private sealed class TotalRow
    {
        public string Kind { get; init; } = "";

        public long Total { get; init; }
    }
}

using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Sessions;

/// <summary>
/// Carries out the end of a session, once, whichever instance gets there first: its open attendance
/// intervals close at the end time, and every screen still connected (on any instance) is told and
/// stops. Each instance looks every Sessions:CloseCheckSeconds; ending by hand does it at once.
/// </summary>
public sealed class SessionCloser(
    Database database,
    LiveChanges changes,
    TimeProvider clock,
    IOptions<SessionOptions> options,
    ILogger<SessionCloser> logger) : BackgroundService
{
    private const string SelectDue = """
        select id, coalesce(ended_at_ms, ends_at_ms + @overrunMs) as EndAtMs, cancelled_at_ms as CancelledAtMs from sessions
        where closed_at_ms is null and (ended_at_ms is not null or ends_at_ms + @overrunMs <= @now)
        """;

    // The claim: exactly one instance's update finds it still unclosed.
    private const string Claim = "update sessions set closed_at_ms = @now where id = @id and closed_at_ms is null";

    private const string CloseIntervals = """
        update attendance_intervals set left_at_ms = case when joined_at_ms > @endAtMs then joined_at_ms else @endAtMs end
        where session_id = @id and left_at_ms is null
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CloseCheckSeconds));
        do
        {
            try
            {
                await CloseDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Looking for ended sessions failed; trying again shortly.");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task CloseDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        List<(long Id, long EndAtMs, long? CancelledAtMs)> due;
        await using (var connection = await database.OpenAsync(ct))
        {
            due = (await connection.QueryAsync<(long, long, long?)>(SelectDue, new { now, overrunMs = options.Value.OverrunMinutes * 60_000L })).ToList();
        }

        foreach (var (id, endAtMs, cancelledAtMs) in due)
        {
            await CloseAsync(id, endAtMs, cancelledAtMs is null ? "ended" : "cancelled", ct);
        }
    }

    private async Task CloseAsync(long id, long endAtMs, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        int closedIntervals;
        await using (var connection = await database.OpenAsync(ct))
        {
            await using var tx = await database.BeginWriteAsync(connection, ct);
            if (await connection.ExecuteAsync(Claim, new { id, now }, tx) == 0)
            {
                return; // Another instance has done it.
            }

            closedIntervals = await connection.ExecuteAsync(CloseIntervals, new { id, endAtMs }, tx);
            await tx.CommitAsync(ct);
        }

        logger.LogInformation("Session {SessionId} has {Reason}: closed {Intervals} attendance intervals and told its screens.", id, reason, closedIntervals);
        await changes.PublishAsync(Audience.Session(id),
            client => client.SessionEnded(new SessionEnded(id, reason, DateTimeOffset.FromUnixTimeMilliseconds(endAtMs))));
    }
}

using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Storage;

namespace LiveExchange.Hub.Attendance;

public sealed class AttendanceOptions
{
    /// <summary>
    /// Attendance:InstanceTimeoutSeconds. An instance not heard from for this long is taken to be gone,
    /// and its open intervals to have ended at its last heartbeat. It beats four times as often.
    /// </summary>
    public int InstanceTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Attendance:ConnectionsPerParticipant. Hub connections one link may hold at once, over all
    /// instances: a few screens (the host page and its presenter window, a projector and a phone).
    /// </summary>
    public int ConnectionsPerParticipant { get; set; } = 6;
}

/// <summary>
/// Keeps hub_instances.seen_at_ms fresh for this instance. On start it first closes whatever this
/// instance id left open in an earlier life (a crash leaves no disconnects behind).
/// </summary>
internal sealed class InstanceHeartbeat(Database database, HubInstance instance, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<AttendanceOptions> options, ILogger<InstanceHeartbeat> logger,
    Stage.StageBoard stage, Live.BackplaneResync? resync = null) : BackgroundService
{
    private const string SessionsOf = "select distinct session_id from attendance_intervals where instance_id = @instanceId and left_at_ms is null";

    // Instances not heard from for the timeout: gone. Their open intervals end at their last heartbeat
    // (the report already counts them so; this makes the rows say it too, for exports and for the
    // connection cap), and the feeds they carried are interrupted for everyone.
    private const string SelectGone = """
        select distinct h.instance_id from hub_instances h
        where h.seen_at_ms < @staleBeforeMs and h.instance_id <> @instanceId
          and (exists (select 1 from attendance_intervals i where i.instance_id = h.instance_id and i.left_at_ms is null)
               or exists (select 1 from stage_feeds f where f.instance_id = h.instance_id and f.status = 'live'))
        """;

    private const string CloseLeftovers = """
        update attendance_intervals
        set left_at_ms = coalesce((select h.seen_at_ms from hub_instances h where h.instance_id = @instanceId), joined_at_ms)
        where instance_id = @instanceId and left_at_ms is null
        """;

    private const string Beat = """
        insert into hub_instances (instance_id, started_at_ms, seen_at_ms) values (@instanceId, @now, @now)
        on conflict (instance_id) do update set seen_at_ms = excluded.seen_at_ms
        """;

    private const string Restart = "update hub_instances set started_at_ms = @now, seen_at_ms = @now where instance_id = @instanceId";

    public override async Task StartAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var closed = await connection.ExecuteAsync(CloseLeftovers, new { instanceId = instance.Id });
        if (closed > 0)
        {
            logger.LogWarning("Closed {Count} attendance intervals that {Instance} left open when it last stopped.", closed, instance.Id);
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(Beat, new { instanceId = instance.Id, now });
        await connection.ExecuteAsync(Restart, new { instanceId = instance.Id, now });
        // Feeds this instance id carried before a crash are not live any more.
        await stage.InterruptInstanceAsync(instance.Id);
        await base.StartAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.InstanceTimeoutSeconds / 4.0)));
        // Others are judged gone only after this instance itself has beaten without a break for longer
        // than the timeout: when the database was away, nobody could beat, and everyone looks overdue.
        long? beatingSinceMs = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var connection = await database.OpenAsync(stoppingToken);
                var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                await connection.ExecuteAsync(Beat, new { instanceId = instance.Id, now });
                beatingSinceMs ??= now;
                if (now - beatingSinceMs.Value <= options.Value.InstanceTimeoutSeconds * 1000L)
                {
                    continue;
                }

                var gone = await connection.QueryAsync<string>(SelectGone,
                    new { instanceId = instance.Id, staleBeforeMs = now - options.Value.InstanceTimeoutSeconds * 1000L });
                foreach (var dead in gone)
                {
                    var sessions = (await connection.QueryAsync<long>(SessionsOf, new { instanceId = dead })).ToArray();
                    var closed = await connection.ExecuteAsync(CloseLeftovers, new { instanceId = dead });
                    // Events the dead instance had yet to send (coalesced vote counts) are lost: its sessions' screens catch up.
                    await (resync?.ResyncAsync(sessions) ?? Task.CompletedTask);
                    await stage.InterruptInstanceAsync(dead);
                    logger.LogWarning("Instance {Instance} has not been heard from for {Seconds} s: closed its {Count} open attendance intervals at its last heartbeat.",
                        dead, options.Value.InstanceTimeoutSeconds, closed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                beatingSinceMs = null;
                logger.LogWarning("Heartbeat failed ({Reason}); attendance may count this instance as gone.", e.Message);
            }
        }
    }
}

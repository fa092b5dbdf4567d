using Dapper;
using LiveExchange.Hub.Storage;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Retention;

/// <summary>
/// Removes personal data from sessions whose retention period is over (<see cref="PersonalData.Removals"/>),
/// ONE transaction per session, and marks the session (personal_data_removed_at_ms). Every instance runs
/// it; that is safe: the mark is written first and only where it is still null, so an instance that comes
/// second waits on the first one's row lock (PostgreSQL) or write lock (SQLite), then finds the mark set
/// and rolls back without touching anything. The statements themselves are idempotent too.
/// </summary>
public sealed class RetentionSweep(Database database, TimeProvider clock, IOptions<RetentionOptions> options, ILogger<RetentionSweep> logger)
    : BackgroundService
{
    private const long DayMs = 86_400_000;

    // A session ends when it was ended (or cancelled), else at its scheduled end.
    private const string SelectDue = """
        select id from sessions
        where personal_data_removed_at_ms is null
          and coalesce(ended_at_ms, cancelled_at_ms, ends_at_ms) + coalesce(retention_days, @defaultDays) * @dayMs <= @now
        order by id
        """;

    private const string Mark = """
        update sessions set personal_data_removed_at_ms = @now where id = @sessionId and personal_data_removed_at_ms is null
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds), clock);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("The retention sweep failed ({Reason}); it runs again in {Seconds} s.", e.Message, options.Value.SweepIntervalSeconds);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: every session past its retention period, each in its own transaction. Returns how many this pass anonymised.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        var due = (await connection.QueryAsync<long>(SelectDue, new { defaultDays = (long)options.Value.Days, dayMs = DayMs, now })).ToArray();
        var done = 0;
        foreach (var sessionId in due)
        {
            await using var tx = await database.BeginWriteAsync(connection, ct);
            if (await connection.ExecuteAsync(Mark, new { sessionId, now }, tx) == 0)
            {
                await tx.RollbackAsync(ct);
                continue;
            }

            foreach (var statement in PersonalData.Removals)
            {
                await connection.ExecuteAsync(statement, new { sessionId, now }, tx);
            }

            await tx.CommitAsync(ct);
            done++;
            logger.LogInformation("Removed the personal data of session {SessionId}: its retention period is over.", sessionId);
        }

        return done;
    }
}

public static class RetentionExtensions
{
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>()
            .BindConfiguration("Retention")
            .Validate(o => o.Days is >= RetentionOptions.DaysMin and <= RetentionOptions.DaysMax,
                $"Retention:Days must be between {RetentionOptions.DaysMin} and {RetentionOptions.DaysMax}.")
            .Validate(o => o.SweepIntervalSeconds is >= 1 and <= 86_400, "Retention:SweepIntervalSeconds must be between 1 and 86400.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RetentionSweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RetentionSweep>());
        return builder;
    }
}

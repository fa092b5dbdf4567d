using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Sessions;

public sealed class SessionOptions
{
    /// <summary>Sessions:JoinOpensMinutesBefore. Viewers may join this long before the start (to test sound, find seats).</summary>
    public int JoinOpensMinutesBefore { get; set; } = 60;

    /// <summary>
    /// Sessions:OverrunMinutes. A session not ended by hand ends this long after its planned end: live
    /// exchanges overrun, and cutting a presenter off at the minute would be worse than a late end.
    /// </summary>
    public int OverrunMinutes { get; set; } = 60;

    /// <summary>Sessions:CloseCheckSeconds. How often each instance looks for sessions that have ended.</summary>
    public int CloseCheckSeconds { get; set; } = 5;
}

public static class SessionStates
{
    public const string Scheduled = "scheduled";
    public const string Open = "open";
    public const string Live = "live";
    public const string Ended = "ended";
    public const string Cancelled = "cancelled";
}

/// <summary>A session's times, from which its state follows.</summary>
/// <remarks>A cancelled session also has an end (the moment it was cancelled), so everything that stops at the end stops.</remarks>
public sealed record SessionTimes(long StartsAtMs, long EndsAtMs, long? OpenedAtMs, long? EndedAtMs, long? CancelledAtMs)
{
    public const string Columns =
        "starts_at_ms as StartsAtMs, ends_at_ms as EndsAtMs, opened_at_ms as OpenedAtMs, ended_at_ms as EndedAtMs, cancelled_at_ms as CancelledAtMs";

    public long JoinOpensAtMs(SessionOptions o) =>
        Math.Min(StartsAtMs - o.JoinOpensMinutesBefore * 60_000L, OpenedAtMs ?? long.MaxValue);

    /// <summary>When it ended or will end: by hand, or the planned end plus the overrun.</summary>
    public long EndAtMs(SessionOptions o) => EndedAtMs ?? EndsAtMs + o.OverrunMinutes * 60_000L;

    public string State(long nowMs, SessionOptions o) =>
        CancelledAtMs is not null ? SessionStates.Cancelled
        : nowMs >= EndAtMs(o) ? SessionStates.Ended
        : nowMs >= StartsAtMs ? SessionStates.Live
        : nowMs >= JoinOpensAtMs(o) ? SessionStates.Open
        : SessionStates.Scheduled;
}

/// <summary>
/// Answers "may this still happen?" for a session. Joins and connects read the database; hub calls,
/// which come many a second, read a copy at most <see cref="CacheFor"/> old (an ended session is also
/// announced to every connection and its intervals closed, by <see cref="SessionCloser"/>).
/// </summary>
public sealed class SessionGate(Database database, TimeProvider clock, IOptions<SessionOptions> options)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private const string SelectTimes = "select " + SessionTimes.Columns + " from sessions where id = @sessionId";

    private readonly MemoryCache _cache = new(new MemoryCacheOptions());

    public SessionOptions Options => options.Value;

    public long NowMs => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public static async Task<SessionTimes> LoadAsync(DbConnection connection, long sessionId, DbTransaction? tx = null) =>
        await connection.QuerySingleOrDefaultAsync<SessionTimes>(SelectTimes, new { sessionId }, tx)
        ?? throw ExchangeProblem.NotFound("session_not_found", "Session not found.");

    public string StateOf(SessionTimes times) => times.State(NowMs, options.Value);

    /// <summary>Refuses anything live once the session has ended or was cancelled.</summary>
    public void RequireNotEnded(SessionTimes times)
    {
        switch (StateOf(times))
        {
            case SessionStates.Cancelled:
                throw Cancelled();
            case SessionStates.Ended:
                throw Ended();
        }
    }

    public static ExchangeProblem Removed() =>
        new(StatusCodes.Status403Forbidden, "participant_removed", "The organiser has removed this screen from the session.");

    private const string SelectCallerState = """
        select s.starts_at_ms as StartsAtMs, s.ends_at_ms as EndsAtMs, s.opened_at_ms as OpenedAtMs, s.ended_at_ms as EndedAtMs,
               s.cancelled_at_ms as CancelledAtMs, p.removed_at_ms as RemovedAtMs
        from participants p join sessions s on s.id = p.session_id
        where p.id = @participantId
        """;

    /// <summary>
    /// For hub calls: refuses a caller whose session has ended or who was removed, from a copy at most
    /// <see cref="CacheFor"/> old (one query per participant every two seconds, however busy it is).
    /// </summary>
    public async ValueTask RequireActiveAsync(long participantId, CancellationToken ct)
    {
        if (!_cache.TryGetValue(participantId, out CallerState? state))
        {
            await using var connection = await database.OpenAsync(ct);
            state = await connection.QuerySingleAsync<CallerState>(SelectCallerState, new { participantId });
            _cache.Set(participantId, state, CacheFor);
        }

        if (state!.RemovedAtMs is not null)
        {
            throw Removed();
        }

        RequireNotEnded(new SessionTimes(state.StartsAtMs, state.EndsAtMs, state.OpenedAtMs, state.EndedAtMs, state.CancelledAtMs));
    }

    /// <summary>Forget the copies (this instance just ended a session or removed someone).</summary>
    public void Forget(long participantId) => _cache.Remove(participantId);

    /// <summary>Forget every copy (this instance just ended a session; others catch up within <see cref="CacheFor"/>).</summary>
    public void ForgetAll() => _cache.Clear();

    private sealed record CallerState(long StartsAtMs, long EndsAtMs, long? OpenedAtMs, long? EndedAtMs, long? CancelledAtMs, long? RemovedAtMs);

    public static ExchangeProblem Ended() =>
        new(StatusCodes.Status410Gone, "session_ended", "This session has ended.");

    public static ExchangeProblem Cancelled() =>
        new(StatusCodes.Status410Gone, "session_cancelled", "This session has been cancelled.");
}

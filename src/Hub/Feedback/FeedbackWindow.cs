using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Feedback;

public sealed class FeedbackOptions
{
    /// <summary>Feedback:OpenDays. Feedback closes this many days after the session ends, unless the organiser sets another time.</summary>
    public int OpenDays { get; set; } = 7;
}

public static class FeedbackWindowStates
{
    /// <summary>The session has not ended yet.</summary>
    public const string NotOpen = "not_open";
    public const string Open = "open";
    public const string Closed = "closed";

    /// <summary>The session was cancelled: there is nothing to give feedback on.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>
/// When feedback may be given: from the session's end (by hand, or its planned end plus the overrun)
/// until <see cref="ClosesAt"/>; never for a cancelled session (state cancelled). Times are in the session's time zone. <see cref="ClosesAtSet"/>: the
/// organiser chose the closing time (else it is the end plus Feedback:OpenDays).
/// </summary>
public sealed record FeedbackWindow(string State, DateTimeOffset OpensAt, DateTimeOffset ClosesAt, bool ClosesAtSet);

/// <summary>What the feedback endpoints need of a session.</summary>
internal sealed record FeedbackSession(
    long Id,
    string Code,
    string Title,
    string TimeZone,
    long StartsAtMs,
    long EndsAtMs,
    long? OpenedAtMs,
    long? EndedAtMs,
    long? CancelledAtMs,
    long? ClosesAtMs,
    long? FormSavedAtMs,
    long? PersonalDataRemovedAtMs)
{
    public SessionTimes Times => new(StartsAtMs, EndsAtMs, OpenedAtMs, EndedAtMs, CancelledAtMs);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

/// <summary>Loads a session with its feedback settings and works out its feedback window.</summary>
public sealed class FeedbackWindows(SessionGate gate, IOptions<FeedbackOptions> options)
{
    private const string SelectSession = """
        select s.id, s.code, s.title, s.time_zone as TimeZone, s.starts_at_ms as StartsAtMs, s.ends_at_ms as EndsAtMs,
               s.opened_at_ms as OpenedAtMs, s.ended_at_ms as EndedAtMs, s.cancelled_at_ms as CancelledAtMs,
               f.closes_at_ms as ClosesAtMs, f.form_saved_at_ms as FormSavedAtMs,
               s.personal_data_removed_at_ms as PersonalDataRemovedAtMs
        from sessions s left join feedback_settings f on f.session_id = s.id
        where s.id = @sessionId
        """;

    private const string TouchSettings = """
        insert into feedback_settings (session_id, changed_at_ms) values (@sessionId, @now)
        on conflict (session_id) do update set changed_at_ms = excluded.changed_at_ms
        """;

    public long NowMs => gate.NowMs;

    internal async Task<FeedbackSession> LoadSessionAsync(DbConnection connection, long sessionId, DbTransaction? tx = null) =>
        await connection.QuerySingleOrDefaultAsync<FeedbackSession>(SelectSession, new { sessionId }, tx)
        ?? throw ExchangeProblem.NotFound("session_not_found", "Session not found.");

    /// <summary>The session's feedback window now.</summary>
    public async Task<FeedbackWindow> LoadAsync(DbConnection connection, long sessionId, DbTransaction? tx = null) =>
        WindowOf(await LoadSessionAsync(connection, sessionId, tx));

    internal FeedbackWindow WindowOf(FeedbackSession session)
    {
        var opensAtMs = session.Times.EndAtMs(gate.Options);
        var closesAtMs = ClosesAtMs(session);
        var now = gate.NowMs;
        var state = session.CancelledAtMs is not null ? FeedbackWindowStates.Cancelled
            : now < opensAtMs ? FeedbackWindowStates.NotOpen
            : now >= closesAtMs ? FeedbackWindowStates.Closed
            : FeedbackWindowStates.Open;
        var zone = session.Zone;
        return new FeedbackWindow(state, SessionEndpoints.InZone(opensAtMs, zone), SessionEndpoints.InZone(closesAtMs, zone),
            session.ClosesAtMs is not null);
    }

    // Retention ends feedback too: a response written after the sweep would keep its text (and a
    // feedback-link respondent's name) past the period the consent notice promised, as the sweep runs
    // once per session. So the window closes when the personal data was removed, if that came first.
    internal long ClosesAtMs(FeedbackSession session) =>
        Math.Min(session.ClosesAtMs ?? session.Times.EndAtMs(gate.Options) + options.Value.OpenDays * 86_400_000L,
            session.PersonalDataRemovedAtMs ?? long.MaxValue);

    /// <summary>Refuses answers outside the window: 409 feedback_not_open before the end, feedback_closed after.</summary>
    internal static void RequireOpen(FeedbackWindow window)
    {
        switch (window.State)
        {
            case FeedbackWindowStates.NotOpen:
                throw ExchangeProblem.Conflict("feedback_not_open", "Feedback opens when the session ends.");
            case FeedbackWindowStates.Cancelled:
                throw SessionGate.Cancelled();
            case FeedbackWindowStates.Closed:
                throw ExchangeProblem.Conflict("feedback_closed",
                    $"Feedback for this session closed at {window.ClosesAt:yyyy-MM-dd HH:mm}.");
        }
    }

    /// <summary>
    /// The first statement of every feedback write: it makes the session's settings row and locks it, so
    /// two writes to one session's feedback (a form saved as the first response arrives) run one after the other.
    /// </summary>
    internal async Task TouchAsync(DbConnection connection, long sessionId, DbTransaction tx) =>
        await connection.ExecuteAsync(TouchSettings, new { sessionId, now = gate.NowMs }, tx);
}

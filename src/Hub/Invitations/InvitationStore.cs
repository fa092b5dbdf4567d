using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;

namespace LiveExchange.Hub.Invitations;

/// <summary>
/// A session as invitations describe it: its times, what calendars need (sequence, cancellation,
/// reminder) and its host agency. Read by the invitation, registration and roster endpoints alike.
/// </summary>
public sealed record InvitedSession(
    long Id,
    string Code,
    string Title,
    string Description,
    long HostAgencyId,
    string HostName,
    string HostCity,
    string HostProvince,
    long StartsAtMs,
    long EndsAtMs,
    string TimeZone,
    long? OpenedAtMs,
    long? EndedAtMs,
    long? CancelledAtMs,
    long Sequence,
    long ReminderMinutes)
{
    public Agency HostAgency => new(HostAgencyId, HostName, HostCity, HostProvince);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public bool IsCancelled => CancelledAtMs is not null;

    public SessionTimes Times => new(StartsAtMs, EndsAtMs, OpenedAtMs, EndedAtMs, CancelledAtMs);

    /// <summary>scheduled | open | live | ended | cancelled.</summary>
    public string State(SessionGate gate) => gate.StateOf(Times);

    public long ReminderAtMs => StartsAtMs - ReminderMinutes * 60_000L;

    public DateTimeOffset InZone(long unixMs) => SessionEndpoints.InZone(unixMs, Zone);

    /// <summary>Registration closes when the session starts, or earlier if it was ended or cancelled.</summary>
    public bool RegistrationOpen(SessionGate gate) => !IsCancelled && EndedAtMs is null && gate.NowMs < StartsAtMs;
}

/// <summary>One invitation: which session, which agency, and the token of its link.</summary>
public sealed record InvitationKey(long SessionId, long AgencyId, string Token);

internal static class InvitationStore
{
    private const string SelectSession = """
        select s.id, s.code, s.title, s.description, s.host_agency_id as HostAgencyId, a.name as HostName,
               a.city as HostCity, a.province as HostProvince, s.starts_at_ms as StartsAtMs, s.ends_at_ms as EndsAtMs,
               s.time_zone as TimeZone, s.opened_at_ms as OpenedAtMs, s.ended_at_ms as EndedAtMs,
               s.cancelled_at_ms as CancelledAtMs, s.sequence, s.reminder_minutes as ReminderMinutes
        from sessions s join agencies a on a.id = s.host_agency_id
        where s.id = @id
        """;

    private const string SelectByToken = """
        select session_id as SessionId, agency_id as AgencyId, token from session_invitations where token = @token
        """;

    private const string SelectOne = """
        select session_id as SessionId, agency_id as AgencyId, token from session_invitations
        where session_id = @sessionId and agency_id = @agencyId
        """;

    private const string SelectWithoutToken = """
        select agency_id from session_invitations where session_id = @sessionId and token is null
        """;

    private const string SetToken = """
        update session_invitations set token = @token where session_id = @sessionId and agency_id = @agencyId and token is null
        """;

    private const string SelectAgency = "select id, name, city, province from agencies where id = @id";

    public static async Task<InvitedSession> LoadSessionAsync(DbConnection connection, long id) =>
        await connection.QuerySingleOrDefaultAsync<InvitedSession>(SelectSession, new { id })
        ?? throw ExchangeProblem.NotFound("session_not_found", "Session not found.");

    public static Task<Agency> LoadAgencyAsync(DbConnection connection, long id) =>
        connection.QuerySingleAsync<Agency>(SelectAgency, new { id });

    /// <summary>The invitation a link's token names; an unknown or malformed token is a 404.</summary>
    public static async Task<InvitationKey> FindAsync(DbConnection connection, string? token)
    {
        var found = token is { Length: > 0 and <= 64 }
            ? await connection.QuerySingleOrDefaultAsync<InvitationKey>(SelectByToken, new { token })
            : null;
        return found ?? throw UnknownInvitation();
    }

    public static ExchangeProblem UnknownInvitation() =>
        ExchangeProblem.NotFound("unknown_invitation", "This invitation link is not valid. Ask the organiser for the link again.");

    /// <summary>
    /// The invitation of one agency to a session, its token made first if it has none yet;
    /// an agency that is not invited is a 404.
    /// </summary>
    public static async Task<InvitationKey> FindAsync(DbConnection connection, long sessionId, long agencyId)
    {
        await EnsureTokensAsync(connection, sessionId);
        return await connection.QuerySingleOrDefaultAsync<InvitationKey>(SelectOne, new { sessionId, agencyId })
            ?? throw ExchangeProblem.NotFound("not_invited", "This agency is not invited to this session.");
    }

    /// <summary>
    /// Gives every invitation of the session a token. Invitations are made by scheduling and editing
    /// sessions, which need not know about links; the first look at them fills the gaps. Two
    /// organisers looking at once both try; the first update wins and the other changes nothing.
    /// </summary>
    public static async Task EnsureTokensAsync(DbConnection connection, long sessionId)
    {
        foreach (var agencyId in await connection.QueryAsync<long>(SelectWithoutToken, new { sessionId }))
        {
            await connection.ExecuteAsync(SetToken, new { sessionId, agencyId, token = Tokens.New() });
        }
    }
}

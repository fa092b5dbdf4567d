using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;

namespace LiveExchange.Hub.Exports;

/// <summary>A session as its files describe it: title, local start, zone, state, host and invited agencies.</summary>
public sealed record ExportedSession(
    long Id, string Code, string Title, DateTimeOffset StartsAt, string TimeZoneId, string State, Agency Host, Agency[] Invited)
{
    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId);

    /// <summary>The session's date where it happens: "2026-03-16".</summary>
    public string LocalDate => TimeZoneInfo.ConvertTime(StartsAt, Zone).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public HeadingLine[] Heading => ExportWords.SessionHeading(Title, StartsAt, Zone, TimeZoneId);
}

/// <summary>Reads sessions for exports and reports: one, or all with their agencies.</summary>
internal static class ExportedSessions
{
    // sessionId 0 reads them all (one query either way, and no null parameter PostgreSQL cannot type).
    private const string SelectSessions = """
        select s.id, s.code, s.title, s.starts_at_ms as StartsAtMs, s.ends_at_ms as EndsAtMs, s.time_zone as TimeZone,
               s.opened_at_ms as OpenedAtMs, s.ended_at_ms as EndedAtMs, s.cancelled_at_ms as CancelledAtMs,
               a.id as HostId, a.name as HostName, a.city as HostCity, a.province as HostProvince
        from sessions s join agencies a on a.id = s.host_agency_id
        where @sessionId = 0 or s.id = @sessionId
        order by s.starts_at_ms desc, s.id desc
        """;

    private const string SelectInvited = """
        select i.session_id as SessionId, a.id, a.name, a.city, a.province
        from session_invitations i join agencies a on a.id = i.agency_id
        where @sessionId = 0 or i.session_id = @sessionId
        order by a.id
        """;

    public static async Task<ExportedSession> LoadOneAsync(DbConnection connection, long sessionId, SessionGate gate) =>
        (await LoadAsync(connection, sessionId, gate)).SingleOrDefault()
            ?? throw ExchangeProblem.NotFound("session_not_found", "Session not found.");

    public static async Task<ExportedSession[]> LoadAllAsync(DbConnection connection, SessionGate gate) =>
        await LoadAsync(connection, 0, gate);

    private static async Task<ExportedSession[]> LoadAsync(DbConnection connection, long sessionId, SessionGate gate)
    {
        var rows = await connection.QueryAsync<Row>(SelectSessions, new { sessionId });
        var invited = (await connection.QueryAsync<InvitedRow>(SelectInvited, new { sessionId }))
            .ToLookup(i => i.SessionId, i => new Agency(i.Id, i.Name, i.City, i.Province));
        return rows.Select(r => new ExportedSession(
                r.Id, r.Code, r.Title,
                DateTimeOffset.FromUnixTimeMilliseconds(r.StartsAtMs), r.TimeZone,
                gate.StateOf(new SessionTimes(r.StartsAtMs, r.EndsAtMs, r.OpenedAtMs, r.EndedAtMs, r.CancelledAtMs)),
                new Agency(r.HostId, r.HostName, r.HostCity, r.HostProvince),
                invited[r.Id].ToArray()))
            .ToArray();
    }

    private sealed record Row(
        long Id, string Code, string Title, long StartsAtMs, long EndsAtMs, string TimeZone, long? OpenedAtMs, long? EndedAtMs, long? CancelledAtMs,
        long HostId, string HostName, string HostCity, string HostProvince);

    private sealed record InvitedRow(long SessionId, long Id, string Name, string City, string Province);
}

using System.Data.Common;
using Dapper;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Sessions;

/// <summary>
/// The outline every page shows (title, times, state, agenda): read here for the organiser's list, the
/// join page, the snapshot a screen gets on connect and the <c>SessionChanged</c> event alike.
/// </summary>
internal static class SessionOutlines
{
    private const string SelectSession = """
        select id as SessionId, title, description, time_zone as TimeZone, sequence,
               starts_at_ms as StartsAtMs, ends_at_ms as EndsAtMs, opened_at_ms as OpenedAtMs, ended_at_ms as EndedAtMs,
               cancelled_at_ms as CancelledAtMs
        from sessions where id = @sessionId
        """;

    private const string SelectAgenda = """
        select s.title, s.agency_id as AgencyId, a.name as AgencyName, s.starts_at_ms as StartsAtMs, s.ends_at_ms as EndsAtMs
        from session_segments s left join agencies a on a.id = s.agency_id
        where s.session_id = @sessionId
        order by s.position
        """;

    public static async Task<SessionOutline> LoadAsync(DbConnection connection, long sessionId, SessionGate gate, DbTransaction? tx = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<OutlineRow>(SelectSession, new { sessionId }, tx)
            ?? throw Problems.ExchangeProblem.NotFound("session_not_found", "Session not found.");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(row.TimeZone);
        var agenda = await AgendaAsync(connection, sessionId, zone, tx);
        var times = new SessionTimes(row.StartsAtMs, row.EndsAtMs, row.OpenedAtMs, row.EndedAtMs, row.CancelledAtMs);
        return new SessionOutline(row.SessionId, row.Title, row.Description,
            SessionEndpoints.InZone(row.StartsAtMs, zone), SessionEndpoints.InZone(row.EndsAtMs, zone), row.TimeZone,
            gate.StateOf(times), row.Sequence, agenda);
    }

    public static async Task<AgendaSegment[]> AgendaAsync(DbConnection connection, long sessionId, TimeZoneInfo zone, DbTransaction? tx = null) =>
        (await connection.QueryAsync<SegmentRow>(SelectAgenda, new { sessionId }, tx))
            .Select(s => new AgendaSegment(s.Title, s.AgencyId, s.AgencyName,
                SessionEndpoints.InZone(s.StartsAtMs, zone), SessionEndpoints.InZone(s.EndsAtMs, zone)))
            .ToArray();

    private sealed record OutlineRow(
        long SessionId, string Title, string Description, string TimeZone, long Sequence,
        long StartsAtMs, long EndsAtMs, long? OpenedAtMs, long? EndedAtMs, long? CancelledAtMs);

    private sealed record SegmentRow(string Title, long? AgencyId, string? AgencyName, long StartsAtMs, long EndsAtMs);
}

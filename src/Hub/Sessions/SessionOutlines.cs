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

    /// <summary>The outline's reads for a snapshot's batch (parameter @sessionId), read back by <see cref="ReadAsync"/>.</summary>
    public const string Batch = SelectSession + ";\n" + SelectAgenda + ";";

    public static async Task<SessionOutline> LoadAsync(DbConnection connection, long sessionId, SessionGate gate, DbTransaction? tx = null)
    {
        await using var grid = await connection.QueryMultipleAsync(Batch, new { sessionId }, tx);
        return await ReadAsync(grid, gate);
    }

    public static async Task<SessionOutline> ReadAsync(SqlMapper.GridReader grid, SessionGate gate)
    {
        var row = await grid.ReadSingleOrDefaultAsync<OutlineRow>()
            ?? throw Problems.ExchangeProblem.NotFound("session_not_found", "Session not found.");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(row.TimeZone);
        var agenda = (await grid.ReadAsync<SegmentRow>()).Select(s => Segment(s, zone)).ToArray();
        var times = new SessionTimes(row.StartsAtMs, row.EndsAtMs, row.OpenedAtMs, row.EndedAtMs, row.CancelledAtMs);
        return new SessionOutline(row.SessionId, row.Title, row.Description,
            SessionEndpoints.InZone(row.StartsAtMs, zone), SessionEndpoints.InZone(row.EndsAtMs, zone), row.TimeZone,
            gate.StateOf(times), row.Sequence, agenda);
    }

    public static async Task<AgendaSegment[]> AgendaAsync(DbConnection connection, long sessionId, TimeZoneInfo zone, DbTransaction? tx = null) =>
        (await connection.QueryAsync<SegmentRow>(SelectAgenda, new { sessionId }, tx)).Select(s => Segment(s, zone)).ToArray();

    private static AgendaSegment Segment(SegmentRow s, TimeZoneInfo zone) =>
        new(s.Title, s.AgencyId, s.AgencyName, SessionEndpoints.InZone(s.StartsAtMs, zone), SessionEndpoints.InZone(s.EndsAtMs, zone));

    private sealed record OutlineRow(
        long SessionId, string Title, string Description, string TimeZone, long Sequence,
        long StartsAtMs, long EndsAtMs, long? OpenedAtMs, long? EndedAtMs, long? CancelledAtMs);

    private sealed record SegmentRow(string Title, long? AgencyId, string? AgencyName, long StartsAtMs, long EndsAtMs);
}

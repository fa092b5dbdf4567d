using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Sessions;

namespace LiveExchange.Hub.Registration;

/// <summary>What an invited agency said beforehand.</summary>
public sealed record AgencyRegistration(
    string ContactName,
    string? ContactPhone,
    int ExpectedHeadcount,
    int Screens,
    DateTimeOffset RegisteredAt,
    DateTimeOffset UpdatedAt);

/// <summary>
/// One invited agency in the organiser's roster. Status: "attended" (a screen of it was connected),
/// else "absent" once the session is live or over, else "registered" or "invited" (not yet).
/// Screens, headcount and minutes are what it had: its screens that connected (removed ones not
/// counted), their headcounts added up, and the whole minutes at least one of them was connected.
/// </summary>
public sealed record RosterAgency(
    Agency Agency,
    string Status,
    bool Registered,
    bool Attended,
    bool Absent,
    AgencyRegistration? Registration,
    int Screens,
    int Headcount,
    int Minutes);

public sealed record RosterTotals(int Invited, int Registered, int Attended, int Absent, int ExpectedHeadcount, int Headcount);

public sealed record SessionRoster(long SessionId, string State, RosterAgency[] Agencies, RosterTotals Totals);

public static class AgencyStatuses
{
    public const string Invited = "invited";
    public const string Registered = "registered";
    public const string Attended = "attended";
    public const string Absent = "absent";
}

/// <summary>
/// The read model of who was invited, who registered and who came, per agency. The invitation and
/// roster endpoints use it, and so can exports (the absentee list): one place computes the figures,
/// so the page and the files agree.
/// </summary>
public static class AgencyRoster
{
    private const string SelectInvited = """
        select a.id, a.name, a.city, a.province
        from session_invitations i join agencies a on a.id = i.agency_id
        where i.session_id = @sessionId
        order by a.id
        """;

    private const string SelectRegistrations = """
        select agency_id as AgencyId, contact_name as ContactName, contact_phone as ContactPhone,
               expected_headcount as ExpectedHeadcount, screens, registered_at_ms as RegisteredAtMs, updated_at_ms as UpdatedAtMs
        from session_registrations
        where session_id = @sessionId
        """;

    // The same intervals as the attendance report, viewers only: an agency attends through its viewers.
    private const string SelectIntervals = """
        select p.agency_id as AgencyId, p.id as ParticipantId, i.headcount, i.joined_at_ms as JoinedAtMs,
               i.left_at_ms as LeftAtMs, h.seen_at_ms as InstanceSeenAtMs
        from attendance_intervals i
        join participants p on p.id = i.participant_id
        left join hub_instances h on h.instance_id = i.instance_id
        where i.session_id = @sessionId and p.removed_at_ms is null and p.role = 'viewer'
        """;

    /// <summary>Whole minutes as every screen and file shows them.</summary>
    public static int Minutes(long presentMs) => (int)Math.Round(presentMs / 1000 / 60.0, MidpointRounding.AwayFromZero);

    /// <param name="state">The session's state now (scheduled, open, live, ended, cancelled).</param>
    /// <param name="instanceTimeout">Attendance:InstanceTimeoutSeconds: an open interval on an instance
    /// silent this long ended at its last heartbeat, as in the attendance report.</param>
    public static async Task<SessionRoster> LoadAsync(DbConnection connection, long sessionId, string state, TimeZoneInfo zone,
        DateTimeOffset now, TimeSpan instanceTimeout, DbTransaction? tx = null)
    {
        var invited = await connection.QueryAsync<Agency>(SelectInvited, new { sessionId }, tx);
        var registrations = (await connection.QueryAsync<RegistrationRow>(SelectRegistrations, new { sessionId }, tx))
            .ToDictionary(r => r.AgencyId);
        var nowMs = now.ToUnixTimeMilliseconds();
        var staleBeforeMs = nowMs - (long)instanceTimeout.TotalMilliseconds;
        var intervals = (await connection.QueryAsync<IntervalRow>(SelectIntervals, new { sessionId }, tx))
            .Select(i => i.LeftAtMs is not null || i.InstanceSeenAtMs is not { } seen || seen >= staleBeforeMs
                ? i
                : i with { LeftAtMs = Math.Max(seen, i.JoinedAtMs) })
            .ToLookup(i => i.AgencyId);
        var overOrUnderWay = state is SessionStates.Live or SessionStates.Ended;

        var agencies = invited.Select(agency =>
        {
            var registration = registrations.TryGetValue(agency.Id, out var r)
                ? new AgencyRegistration(r.ContactName, r.ContactPhone, (int)r.ExpectedHeadcount, (int)r.Screens,
                    SessionEndpoints.InZone(r.RegisteredAtMs, zone), SessionEndpoints.InZone(r.UpdatedAtMs, zone))
                : null;
            var own = intervals[agency.Id].ToArray();
            var attended = own.Length > 0;
            var absent = !attended && overOrUnderWay;
            var status = attended ? AgencyStatuses.Attended
                : absent ? AgencyStatuses.Absent
                : registration is not null ? AgencyStatuses.Registered
                : AgencyStatuses.Invited;
            return new RosterAgency(
                agency, status, registration is not null, attended, absent, registration,
                own.Select(i => i.ParticipantId).Distinct().Count(),
                (int)own.GroupBy(i => i.ParticipantId).Sum(p => p.Max(i => i.Headcount)),
                Minutes(AttendanceReport.UnionMs(own.Select(i => (i.JoinedAtMs, i.LeftAtMs ?? nowMs)))));
        }).ToArray();

        var totals = new RosterTotals(
            agencies.Length,
            agencies.Count(a => a.Registered),
            agencies.Count(a => a.Attended),
            agencies.Count(a => a.Absent),
            agencies.Sum(a => a.Registration?.ExpectedHeadcount ?? 0),
            agencies.Sum(a => a.Headcount));
        return new SessionRoster(sessionId, state, agencies, totals);
    }

    private sealed record RegistrationRow(
        long AgencyId, string ContactName, string? ContactPhone, long ExpectedHeadcount, long Screens, long RegisteredAtMs, long UpdatedAtMs);

    private sealed record IntervalRow(long AgencyId, long ParticipantId, long Headcount, long JoinedAtMs, long? LeftAtMs, long? InstanceSeenAtMs);
}

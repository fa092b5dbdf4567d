using System.Data.Common;
using Dapper;

namespace LiveExchange.Hub.Attendance;

/// <summary>One row per participant, as the organiser reports it.</summary>
/// <param name="MinutesPresent">
/// Whole minutes (<see cref="AttendanceReport.Minutes"/>): the organiser page and every file show this
/// same number, never a fraction of their own.
/// </param>
/// <param name="Connections">Its connections open now (tabs, screens on one link), as the connection cap counts them.</param>
public sealed record ParticipantAttendance(
    long ParticipantId,
    long AgencyId,
    string AgencyName,
    string City,
    string DisplayName,
    string Role,
    int Headcount,
    DateTimeOffset FirstJoinedAt,
    DateTimeOffset? LastLeftAt,
    int MinutesPresent,
    long SecondsPresent,
    int Joins,
    bool Connected,
    int Connections,
    IReadOnlyList<string>? Room = null);

/// <summary>
/// One connection interval, with its end as the report counts it: an interval still open on an
/// instance that has gone quiet ended when the instance was last heard from; one open on a live
/// instance has no end yet (<see cref="LeftAtMs"/> null) and counts up to now.
/// </summary>
public sealed record AttendanceInterval(
    long ParticipantId, long AgencyId, string AgencyName, string City, string DisplayName, string Role,
    long Headcount, long JoinedAtMs, long? LeftAtMs, bool Continued = false);

/// <summary>A session's attendance, read once: its intervals and the participants made of them.</summary>
public sealed record SessionAttendance(AttendanceInterval[] Intervals, ParticipantAttendance[] Participants, long NowMs)
{
    /// <summary>Time an agency was present: the union of all its participants' intervals.</summary>
    public long AgencyPresentMs(long agencyId) =>
        AttendanceReport.UnionMs(Intervals.Where(i => i.AgencyId == agencyId).Select(i => (i.JoinedAtMs, i.LeftAtMs ?? NowMs)));
}

internal static class AttendanceReport
{
    private const string SelectIntervals = """
        select p.id as ParticipantId, p.agency_id as AgencyId, a.name as AgencyName, a.city, p.display_name as DisplayName, p.role,
               i.headcount, i.joined_at_ms as JoinedAtMs, i.left_at_ms as LeftAtMs, h.seen_at_ms as InstanceSeenAtMs,
               i.continued as Continued
        from attendance_intervals i
        join participants p on p.id = i.participant_id
        join agencies a on a.id = p.agency_id
        left join hub_instances h on h.instance_id = i.instance_id
        where i.session_id = @sessionId and p.removed_at_ms is null
        order by p.id, i.joined_at_ms
        """;

    /// <summary>
    /// Whole minutes from seconds, the one rounding every screen and file uses: half a minute and more
    /// counts as a minute.
    /// </summary>
    public static int Minutes(long seconds) => (int)Math.Round(seconds / 60.0, MidpointRounding.AwayFromZero);

    /// <summary>Whole minutes from milliseconds: whole seconds first, as <see cref="ParticipantAttendance.SecondsPresent"/>.</summary>
    public static int MinutesOfMs(long ms) => Minutes(ms / 1000);

    public static async Task<ParticipantAttendance[]> LoadAsync(DbConnection connection, long sessionId, DateTimeOffset now, TimeSpan instanceTimeout) =>
        (await LoadSessionAsync(connection, sessionId, now, instanceTimeout)).Participants;

    public static async Task<SessionAttendance> LoadSessionAsync(DbConnection connection, long sessionId, DateTimeOffset now, TimeSpan instanceTimeout)
    {
        var rows = await connection.QueryAsync<IntervalRow>(SelectIntervals, new { sessionId });
        var nowMs = now.ToUnixTimeMilliseconds();
        var staleBeforeMs = nowMs - (long)instanceTimeout.TotalMilliseconds;

        // An open interval on an instance that has gone quiet ended when the instance was last heard from.
        var intervals = rows.Select(i => new AttendanceInterval(
                i.ParticipantId, i.AgencyId, i.AgencyName, i.City, i.DisplayName, i.Role, i.Headcount, i.JoinedAtMs,
                i.LeftAtMs is not null || i.InstanceSeenAtMs is not { } seen || seen >= staleBeforeMs
                    ? i.LeftAtMs
                    : Math.Max(seen, i.JoinedAtMs),
                i.Continued != 0))
            .ToArray();
        var participants = intervals.GroupBy(i => i.ParticipantId).Select(g =>
        {
            var first = g.First();
            var stillOpen = g.Any(i => i.LeftAtMs is null);
            var secondsPresent = UnionMs(g.Select(i => (i.JoinedAtMs, i.LeftAtMs ?? nowMs))) / 1000;
            return new ParticipantAttendance(
                g.Key, first.AgencyId, first.AgencyName, first.City, first.DisplayName, first.Role,
                (int)g.Max(i => i.Headcount),
                DateTimeOffset.FromUnixTimeMilliseconds(g.Min(i => i.JoinedAtMs)),
                stillOpen ? null : DateTimeOffset.FromUnixTimeMilliseconds(g.Max(i => i.LeftAtMs!.Value)),
                Minutes(secondsPresent),
                secondsPresent,
                // A headcount change mid-connection (a room roster edited) continues the interval: not a join.
                g.Count(i => !i.Continued),
                stillOpen,
                g.Count(i => i.LeftAtMs is null));
        }).ToArray();
        return new SessionAttendance(intervals, participants, nowMs);
    }

    /// <summary>
    /// Time covered by at least one interval. Two tabs open at once, or a reconnect that overlaps
    /// the old connection's close, count once, not twice.
    /// </summary>
    internal static long UnionMs(IEnumerable<(long Start, long End)> intervals)
    {
        long total = 0, runStart = 0, runEnd = long.MinValue;
        foreach (var (start, end) in intervals.Where(i => i.End > i.Start).OrderBy(i => i.Start))
        {
            if (start > runEnd)
            {
                total += runEnd > runStart ? runEnd - runStart : 0;
                (runStart, runEnd) = (start, end);
            }
            else
            {
                runEnd = Math.Max(runEnd, end);
            }
        }

        return total + (runEnd > runStart ? runEnd - runStart : 0);
    }

    private sealed record IntervalRow(
        long ParticipantId, long AgencyId, string AgencyName, string City, string DisplayName, string Role,
        long Headcount, long JoinedAtMs, long? LeftAtMs, long? InstanceSeenAtMs, long Continued);
}

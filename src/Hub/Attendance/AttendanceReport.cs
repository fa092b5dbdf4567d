using System.Data.Common;
using Dapper;

namespace LiveExchange.Hub.Attendance;

/// <summary>One row per participant, as the organiser reports it.</summary>
public sealed record ParticipantAttendance(
    long ParticipantId,
    string AgencyName,
    string City,
    string DisplayName,
    string Role,
    int Headcount,
    DateTimeOffset FirstJoinedAt,
    DateTimeOffset? LastLeftAt,
    double MinutesPresent,
    long SecondsPresent,
    int Joins,
    bool Connected);

internal static class AttendanceReport
{
    private const string SelectIntervals = """
        select p.id as ParticipantId, a.name as AgencyName, a.city, p.display_name as DisplayName, p.role,
               i.headcount, i.joined_at_ms as JoinedAtMs, i.left_at_ms as LeftAtMs, h.seen_at_ms as InstanceSeenAtMs
        from attendance_intervals i
        join participants p on p.id = i.participant_id
        join agencies a on a.id = p.agency_id
        left join hub_instances h on h.instance_id = i.instance_id
        where i.session_id = @sessionId and p.removed_at_ms is null
        order by p.id, i.joined_at_ms
        """;

    public static async Task<ParticipantAttendance[]> LoadAsync(DbConnection connection, long sessionId, DateTimeOffset now, TimeSpan instanceTimeout)
    {
        var rows = await connection.QueryAsync<IntervalRow>(SelectIntervals, new { sessionId });
        var nowMs = now.ToUnixTimeMilliseconds();
        var staleBeforeMs = nowMs - (long)instanceTimeout.TotalMilliseconds;

        // An open interval on an instance that has gone quiet ended when the instance was last heard from.
        var intervals = rows.Select(i => i.LeftAtMs is not null || i.InstanceSeenAtMs is not { } seen || seen >= staleBeforeMs
            ? i
            : i with { LeftAtMs = Math.Max(seen, i.JoinedAtMs) });
        return intervals.GroupBy(i => i.ParticipantId).Select(g =>
        {
            var first = g.First();
            var stillOpen = g.Any(i => i.LeftAtMs is null);
            var presentMs = UnionMs(g.Select(i => (i.JoinedAtMs, i.LeftAtMs ?? nowMs)));
            return new ParticipantAttendance(
                g.Key, first.AgencyName, first.City, first.DisplayName, first.Role,
                (int)g.Max(i => i.Headcount),
                DateTimeOffset.FromUnixTimeMilliseconds(g.Min(i => i.JoinedAtMs)),
                stillOpen ? null : DateTimeOffset.FromUnixTimeMilliseconds(g.Max(i => i.LeftAtMs!.Value)),
                Math.Round(presentMs / 60_000d, 1),
                presentMs / 1000,
                g.Count(),
                stillOpen);
        }).ToArray();
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
        long ParticipantId, string AgencyName, string City, string DisplayName, string Role,
        long Headcount, long JoinedAtMs, long? LeftAtMs, long? InstanceSeenAtMs);
}

using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Rooms;

/// <summary>
/// The people in front of one screen (table room_members, migration 0012). A roster is given whole (at
/// joining, or from the viewer page); people no longer listed are closed (removed_at_ms), new ones are
/// added, and the screen's headcount becomes the roster's size from that moment: its open attendance
/// intervals are closed and reopened with the new headcount, so minutes × people stay exact.
/// </summary>
public sealed class RoomRoster(Database database, LiveChanges changes, TimeProvider clock)
{
    /// <summary>People one screen may list: a meeting room, not an auditorium (a hall joins with several screens).</summary>
    public const int MembersMax = 100;

    public const int NameMax = 50;

    public const int JobTitleMax = 50;

    private const string SelectOpen = """
        select id, name, job_title as JobTitle, added_at_ms as AddedAtMs from room_members
        where participant_id = @participantId and removed_at_ms is null
        order by added_at_ms, id
        """;

    private const string CloseMember = "update room_members set removed_at_ms = @now where id = @id and removed_at_ms is null";

    private const string UpdateJobTitle = "update room_members set job_title = @jobTitle where id = @id";

    private const string InsertMember = """
        insert into room_members (session_id, participant_id, name, job_title, added_at_ms)
        values (@sessionId, @participantId, @name, @jobTitle, @now)
        """;

    private const string SelectHeadcount = "select headcount from participants where id = @participantId";

    private const string UpdateHeadcount = "update participants set headcount = @headcount where id = @participantId";

    private const string SelectOpenIntervals = """
        select id, connection_id as ConnectionId, instance_id as InstanceId from attendance_intervals
        where participant_id = @participantId and left_at_ms is null and headcount <> @headcount
        """;

    // The closed part gives its connection id up to the part that goes on (connection ids are unique, and
    // closing on disconnect finds the open interval by it).
    private const string CloseInterval = """
        update attendance_intervals set left_at_ms = @now, connection_id = connection_id || '#' || cast(id as text)
        where id = @id and left_at_ms is null
        """;

    private const string ContinueInterval = """
        insert into attendance_intervals (participant_id, session_id, connection_id, instance_id, headcount, joined_at_ms, continued)
        values (@participantId, @sessionId, @connectionId, @instanceId, @headcount, @now, 1)
        """;

    public async Task<RoomState> GetAsync(ExchangeCaller viewer, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        var version = await LiveChanges.VersionAsync(connection, tx, viewer.SessionId, RoomStreams.Room);
        return await StateAsync(connection, tx, viewer.ParticipantId, version);
    }

    /// <summary>The viewer's own roster, given whole. Only the caller's own participant: there is no other to name.</summary>
    public async Task<RoomState> SetAsync(ExchangeCaller viewer, RoomMemberInput[]? members)
    {
        var wanted = Checked(members);
        return await changes.CommitAsync(viewer.SessionId, RoomStreams.Room, async (connection, tx, version) =>
            {
                await ApplyAsync(connection, tx, viewer.SessionId, viewer.ParticipantId, wanted, clock.GetUtcNow().ToUnixTimeMilliseconds());
                return await StateAsync(connection, tx, viewer.ParticipantId, version);
            },
            (client, room) => client.RoomChanged(room),
            Audience.Participant(viewer.ParticipantId));
    }

    /// <summary>
    /// A roster as typed, checked whole before anything is stored: too many people refuse it all
    /// (<c>room_roster_too_long</c>); blank entries (empty lines) are dropped; a name listed twice is refused
    /// (<c>room_name_duplicate</c>: two people of one name in one room write them apart, e.g. "王芳（社工）").
    /// </summary>
    public static RoomMemberInput[] Checked(RoomMemberInput[]? members)
    {
        var given = (members ?? []).Where(m => m is not null && !string.IsNullOrWhiteSpace(m.Name)).ToArray();
        if (given.Length > MembersMax)
        {
            throw ExchangeProblem.BadRequest("room_roster_too_long",
                $"A screen can list at most {MembersMax} people; this list has {given.Length}. Split the room over more screens.");
        }

        var checkedMembers = given.Select(m => new RoomMemberInput(
                Check.Text(m.Name, "name", NameMax, code: "room_name_invalid"),
                string.IsNullOrWhiteSpace(m.JobTitle) ? null : Check.Text(m.JobTitle, "jobTitle", JobTitleMax, code: "room_name_invalid")))
            .ToArray();
        var twice = checkedMembers.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw ExchangeProblem.BadRequest("room_name_duplicate", $"{twice.Key} is listed twice; tell the two apart (for example by adding a job title to the name).");
        }

        return checkedMembers;
    }

    /// <summary>
    /// Makes the participant's open roster <paramref name="wanted"/> (already <see cref="Checked"/>) inside
    /// the caller's transaction, and its headcount the roster's size when it has people. Returns the headcount.
    /// </summary>
    internal static async Task<int> ApplyAsync(DbConnection connection, DbTransaction tx, long sessionId, long participantId,
        RoomMemberInput[] wanted, long now)
    {
        var open = (await connection.QueryAsync<MemberRow>(SelectOpen, new { participantId }, tx)).ToArray();
        var byName = wanted.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var row in open)
        {
            if (!byName.TryGetValue(row.Name, out var still))
            {
                await connection.ExecuteAsync(CloseMember, new { id = row.Id, now }, tx);
            }
            else if (still.JobTitle != row.JobTitle)
            {
                // A corrected job title is the same person, still here.
                await connection.ExecuteAsync(UpdateJobTitle, new { id = row.Id, jobTitle = still.JobTitle }, tx);
            }
        }

        var listed = open.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var member in wanted.Where(m => !listed.Contains(m.Name)))
        {
            await connection.ExecuteAsync(InsertMember, new { sessionId, participantId, name = member.Name, jobTitle = member.JobTitle, now }, tx);
        }

        if (wanted.Length == 0)
        {
            return (int)await connection.QuerySingleAsync<long>(SelectHeadcount, new { participantId }, tx);
        }

        // The open intervals are compared, not the participant row: a rejoin may have set the row already
        // while another tab of the same screen is still connected with the old headcount.
        await connection.ExecuteAsync(UpdateHeadcount, new { participantId, headcount = (long)wanted.Length }, tx);
        foreach (var interval in await connection.QueryAsync<IntervalRow>(SelectOpenIntervals, new { participantId, headcount = (long)wanted.Length }, tx))
        {
            if (await connection.ExecuteAsync(CloseInterval, new { id = interval.Id, now }, tx) == 1)
            {
                await connection.ExecuteAsync(ContinueInterval, new
                {
                    participantId, sessionId, connectionId = interval.ConnectionId, instanceId = interval.InstanceId,
                    headcount = (long)wanted.Length, now,
                }, tx);
            }
        }

        return wanted.Length;
    }

    private static async Task<RoomState> StateAsync(DbConnection connection, DbTransaction? tx, long participantId, long version)
    {
        var open = await connection.QueryAsync<MemberRow>(SelectOpen, new { participantId }, tx);
        var headcount = await connection.QuerySingleAsync<long>(SelectHeadcount, new { participantId }, tx);
        return new RoomState(version,
            open.Select(r => new RoomMember(r.Id, r.Name, r.JobTitle, DateTimeOffset.FromUnixTimeMilliseconds(r.AddedAtMs))).ToArray(),
            (int)headcount);
    }

    private sealed record MemberRow(long Id, string Name, string? JobTitle, long AddedAtMs);

    private sealed record IntervalRow(long Id, string ConnectionId, string InstanceId);
}

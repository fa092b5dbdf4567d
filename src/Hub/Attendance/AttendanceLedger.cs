using System.Security.Claims;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Attendance;

/// <summary>
/// Every hub connection is an attendance interval: opened on connect, closed on leave or drop.
/// A participant who drops and comes back (same browser, same token) gets a second interval, not a
/// second identity; the export merges them.
/// </summary>
public sealed class AttendanceLedger(Database database, HubInstance instance, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<AttendanceOptions> options, Sessions.SessionGate gate)
{
    // The host's own participant row is made the first time the host connects: the host token is its token.
    private const string EnsureHost = """
        insert into participants (session_id, token, role, agency_id, display_name, headcount, created_at_ms)
        select s.id, s.host_token, 'host', s.host_agency_id, a.name, 1, @now
        from sessions s join agencies a on a.id = s.host_agency_id
        where s.id = @sessionId
        on conflict (token) do nothing
        """;

    // Likewise the moderator's, from the moderator link: a participant of the host agency, so attendance counts it.
    private const string EnsureModerator = """
        insert into participants (session_id, token, role, agency_id, display_name, headcount, created_at_ms)
        select s.id, s.moderator_token, 'moderator', s.host_agency_id, a.name, 1, @now
        from sessions s join agencies a on a.id = s.host_agency_id
        where s.id = @sessionId and s.moderator_token is not null
        on conflict (token) do nothing
        """;

    private const string SelectModerator = """
        select id from participants where session_id = @sessionId and role = 'moderator'
        """;

    private const string SelectHost = """
        select id from participants where session_id = @sessionId and role = 'host'
        """;

    // Open intervals of this participant on instances still alive: a crashed instance's leftovers do not count.
    private const string OpenOnLiveInstances = """
        select count(*) from attendance_intervals i
        join hub_instances h on h.instance_id = i.instance_id
        where i.participant_id = @participantId and i.left_at_ms is null and h.seen_at_ms > @aliveSinceMs
        """;

    // The whole open in one round trip, each statement returning rows so that both databases step
    // through the same result sets. First a no-op update that takes the participant's row lock (SQLite's
    // write transaction is a lock already), so two connections opening at once are counted one after the
    // other; then what a refusal is explained from (the session's times, the participant, its open
    // intervals); then the interval itself, made only when the session has not ended or been cancelled
    // (SessionTimes.State, in SQL), the participant was not removed and it is under its connection limit.
    // The insert decides: the reads before it only say why it made nothing, so no check done in C# can
    // disagree with what was written.
    private const string Open = $"""
        update participants set headcount = headcount where id = @participantId returning id;
        select {Sessions.SessionTimes.Columns} from sessions where id = @sessionId;
        select id, headcount, agency_id as AgencyId, removed_at_ms as RemovedAtMs from participants where id = @participantId;
        {OpenOnLiveInstances};
        insert into attendance_intervals (participant_id, session_id, connection_id, instance_id, headcount, joined_at_ms)
        select p.id, p.session_id, @connectionId, @instanceId, p.headcount, @now
        from participants p join sessions s on s.id = p.session_id
        where p.id = @participantId and p.removed_at_ms is null
          and s.cancelled_at_ms is null and @now < coalesce(s.ended_at_ms, s.ends_at_ms + @overrunMs)
          and ({OpenOnLiveInstances}) < @maxConnections
        returning id;
        """;

    private const string Close = """
        update attendance_intervals set left_at_ms = @now where connection_id = @connectionId and left_at_ms is null
        """;

    public async Task<ExchangeCaller> OpenAsync(ClaimsPrincipal user, string connectionId, CancellationToken ct)
    {
        var sessionId = user.SessionId();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        // A viewer's open (all but a handful of a session's) is the one batch below, and PostgreSQL runs a
        // batch as one implicit transaction: no BEGIN and COMMIT round trips, which were a third of the
        // connect's. SQLite runs a batch's statements one by one, and the host's and moderator's opens
        // make their participant row first, so those take an explicit transaction.
        var oneBatch = database.IsPostgres && !user.IsHost() && !user.IsModerator();
        await using var tx = oneBatch ? null : await database.BeginWriteAsync(connection, ct);
        long participantId;
        string role;
        if (user.IsHost())
        {
            await connection.ExecuteAsync(EnsureHost, new { sessionId, now }, tx);
            participantId = await connection.QuerySingleAsync<long>(SelectHost, new { sessionId }, tx);
            role = ParticipantRoles.Host;
        }
        else if (user.IsModerator())
        {
            await connection.ExecuteAsync(EnsureModerator, new { sessionId, now }, tx);
            participantId = await connection.QuerySingleAsync<long>(SelectModerator, new { sessionId }, tx);
            role = ParticipantRoles.Moderator;
        }
        else
        {
            participantId = user.ParticipantId() ?? throw new InvalidOperationException("A viewer without a participant claim.");
            role = ParticipantRoles.Viewer;
        }

        var max = options.Value.ConnectionsPerParticipant;
        Sessions.SessionTimes? times;
        ParticipantRow? participant;
        long open;
        long? opened;
        try
        {
            await using (var read = await connection.QueryMultipleAsync(Open, new
            {
                participantId,
                sessionId,
                aliveSinceMs = now - options.Value.InstanceTimeoutSeconds * 1000L,
                connectionId,
                instanceId = instance.Id,
                now,
                overrunMs = gate.Options.OverrunMinutes * 60_000L,
                maxConnections = (long)max,
            }, tx))
            {
                await read.ReadSingleOrDefaultAsync<long?>();
                times = await read.ReadSingleOrDefaultAsync<Sessions.SessionTimes>();
                participant = await read.ReadSingleOrDefaultAsync<ParticipantRow>();
                open = await read.ReadSingleAsync<long>();
                opened = await read.ReadSingleOrDefaultAsync<long?>();
            }
        }
        catch (Exception) when (tx is null)
        {
            // Without an explicit transaction the batch committed at its end, whatever became of its results
            // here (a dropped connection, say): an interval it opened must not stay open, since SignalR does
            // not call OnDisconnectedAsync after a failed OnConnectedAsync.
            await CloseQuietlyAsync(connectionId);
            throw;
        }

        if (opened is null)
        {
            // Nothing was written; say why. Nothing live happens in a session that has ended: the
            // connection is refused with the reason.
            if (times is null || participant is null)
            {
                throw ExchangeProblem.NotFound("session_not_found", "Session not found.");
            }

            gate.RequireNotEnded(times);
            if (participant.RemovedAtMs is not null)
            {
                throw Sessions.SessionGate.Removed();
            }

            if (open >= max)
            {
                // A link is one screen (or a few: a projector and a phone); hundreds of connections on one
                // token inflated attendance and multiplied the hub's work.
                throw ExchangeProblem.TooMany("too_many_connections",
                    $"This link is already open on {max} screens; close one of them first.");
            }

            // The reads and the insert are separate statements: the session ended, or another screen
            // opened, between them. The client's reconnect hears the reason.
            throw ExchangeProblem.Conflict("connect_refused", "This connection could not be opened; try again.");
        }

        if (tx is not null)
        {
            await tx.CommitAsync(ct);
        }

        return new ExchangeCaller(sessionId, participant!.Id, role, participant.AgencyId);
    }

    private sealed record ParticipantRow(long Id, long Headcount, long AgencyId, long? RemovedAtMs);

    private async Task CloseQuietlyAsync(string connectionId)
    {
        try
        {
            await CloseAsync(connectionId);
        }
        catch (System.Data.Common.DbException)
        {
            // The database is away: the error the caller hears is the open's. An interval made all the same
            // stays open like any close the database missed (a disconnect during an outage), until this
            // instance restarts or is taken for gone (InstanceHeartbeat).
        }
    }

    public async Task CloseAsync(string connectionId)
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(Close, new { connectionId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
    }
}

using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Sessions;

/// <summary>One part of the agenda as the organiser enters it: local times in the session's zone.</summary>
public sealed record AgendaItem(string? Title, long? AgencyId, string? StartsAt, string? EndsAt);

public sealed record AgendaEdit(AgendaItem[]? Segments);

/// <summary>
/// Editing, cancelling and the agenda. Every change that a page or a calendar shows raises the
/// session's <c>sequence</c> (the invitation's SEQUENCE) and reaches connected screens as
/// <c>SessionChanged</c>; a cancel reaches them as <c>SessionEnded</c> with reason "cancelled".
/// </summary>
public static partial class SessionEndpoints
{
    public const int AgendaMax = 30;
    public const int SegmentTitleMax = 120;

    private const string SelectForEdit = """
        select host_agency_id as HostAgencyId, title, description, time_zone as TimeZone,
               starts_at_ms as StartsAtMs, ends_at_ms as EndsAtMs, opened_at_ms as OpenedAtMs, ended_at_ms as EndedAtMs,
               cancelled_at_ms as CancelledAtMs
        from sessions where id = @id
        """;

    private const string UpdateSession = """
        update sessions
        set title = @title, description = @description, host_agency_id = @hostAgencyId, starts_at_ms = @startsAtMs,
            ends_at_ms = @endsAtMs, time_zone = @timeZone, sequence = sequence + @bump, updated_at_ms = @now
        where id = @id
        """;

    private const string ShiftAgenda = """
        update session_segments set starts_at_ms = starts_at_ms + @deltaMs, ends_at_ms = ends_at_ms + @deltaMs
        where session_id = @id
        """;

    private const string AgendaOutside = """
        select count(*) from session_segments
        where session_id = @id and (starts_at_ms < @startsAtMs or ends_at_ms > @endsAtMs)
        """;

    private const string SelectInvitedIds = "select agency_id from session_invitations where session_id = @id";

    private const string DropInvitation = "delete from session_invitations where session_id = @id and agency_id = @agencyId";

    private const string AddInvitation = """
        insert into session_invitations (session_id, agency_id) values (@sessionId, @agencyId)
        on conflict do nothing
        """;

    private const string CancelNow = """
        update sessions
        set cancelled_at_ms = @now, ended_at_ms = coalesce(ended_at_ms, @now), sequence = sequence + 1, updated_at_ms = @now
        where id = @id and cancelled_at_ms is null
        """;

    private const string DeleteAgenda = "delete from session_segments where session_id = @id";

    private const string InsertSegment = """
        insert into session_segments (session_id, position, title, agency_id, starts_at_ms, ends_at_ms)
        values (@sessionId, @position, @title, @agencyId, @startsAtMs, @endsAtMs)
        """;

    private const string BumpSequence = "update sessions set sequence = sequence + 1, updated_at_ms = @now where id = @id";

    /// <summary>
    /// Replaces title, description, times, zone and invited agencies (the body of scheduling). The
    /// agenda moves with the start; the host agency can change only until joining opens.
    /// </summary>
    private static async Task<Ok<SessionScheduled>> EditAsync(long id, NewSession body, Database database, SessionGate gate,
        LiveChanges changes, CancellationToken ct)
    {
        var v = Validate(body);
        await using var connection = await database.OpenAsync(ct);
        await RequireAgenciesAsync(connection, v);

        await using (var tx = await database.BeginWriteAsync(connection, ct))
        {
            var current = await connection.QuerySingleOrDefaultAsync<EditRow>(SelectForEdit, new { id }, tx)
                ?? throw ExchangeProblem.NotFound("session_not_found", "Session not found.");
            var times = new SessionTimes(current.StartsAtMs, current.EndsAtMs, current.OpenedAtMs, current.EndedAtMs, current.CancelledAtMs);
            gate.RequireNotEnded(times);
            if (v.HostAgencyId != current.HostAgencyId && gate.StateOf(times) != SessionStates.Scheduled)
            {
                throw ExchangeProblem.Conflict("host_locked", "The host agency can change only until joining opens; its link may already be in use.");
            }

            var startsAtMs = v.StartsAt.ToUnixTimeMilliseconds();
            var endsAtMs = v.EndsAt.ToUnixTimeMilliseconds();
            var shown = v.Title != current.Title || v.Description != current.Description || startsAtMs != current.StartsAtMs
                || endsAtMs != current.EndsAtMs || v.Zone.Id != current.TimeZone;
            if (startsAtMs != current.StartsAtMs)
            {
                await connection.ExecuteAsync(ShiftAgenda, new { id, deltaMs = startsAtMs - current.StartsAtMs }, tx);
            }

            if (await connection.ExecuteScalarAsync<long>(AgendaOutside, new { id, startsAtMs, endsAtMs }, tx) > 0)
            {
                throw ExchangeProblem.BadRequest("agenda_outside_session",
                    "Part of the agenda would fall outside the new times; shorten the agenda first, or keep the session's length.");
            }

            await connection.ExecuteAsync(UpdateSession, new
            {
                id,
                title = v.Title,
                description = v.Description,
                hostAgencyId = v.HostAgencyId,
                startsAtMs,
                endsAtMs,
                timeZone = v.Zone.Id,
                bump = shown ? 1 : 0,
                now = gate.NowMs,
            }, tx);
            await ReplaceInvitationsAsync(connection, tx, id, v.Invited);
            await tx.CommitAsync(ct);
        }

        gate.ForgetAll();
        await PublishOutlineAsync(connection, id, gate, changes);
        return TypedResults.Ok(await DescribeOneAsync(connection, id, gate));
    }

    /// <summary>Row by row, so an agency that stays invited keeps its invitation (and its link).</summary>
    private static async Task ReplaceInvitationsAsync(DbConnection connection, DbTransaction tx, long id, long[] invited)
    {
        foreach (var agencyId in (await connection.QueryAsync<long>(SelectInvitedIds, new { id }, tx)).Except(invited))
        {
            await connection.ExecuteAsync(DropInvitation, new { id, agencyId }, tx);
        }

        foreach (var agencyId in invited)
        {
            await connection.ExecuteAsync(AddInvitation, new { sessionId = id, agencyId }, tx);
        }
    }

    /// <summary>
    /// Cancels a session that has not ended: joining is refused from now on, screens still connected
    /// are told (reason "cancelled") and their attendance closes, invitations become cancellations.
    /// Cancelling twice is the same as once.
    /// </summary>
    private static async Task<Ok<SessionScheduled>> CancelAsync(long id, Database database, SessionGate gate, SessionCloser closer,
        CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var times = await SessionGate.LoadAsync(connection, id);
        if (gate.StateOf(times) == SessionStates.Ended)
        {
            throw SessionGate.Ended();
        }

        await connection.ExecuteAsync(CancelNow, new { id, now = gate.NowMs });
        gate.ForgetAll();
        await closer.CloseDueAsync(ct);
        return TypedResults.Ok(await DescribeOneAsync(connection, id, gate));
    }

    /// <summary>Replaces the agenda: parts in order, within the session's times, not overlapping.</summary>
    private static async Task<Ok<SessionScheduled>> SetAgendaAsync(long id, AgendaEdit body, Database database, SessionGate gate,
        LiveChanges changes, CancellationToken ct)
    {
        var items = body.Segments ?? [];
        if (items.Length > AgendaMax)
        {
            throw ExchangeProblem.BadRequest("validation", $"An agenda has at most {AgendaMax} parts.");
        }

        await using var connection = await database.OpenAsync(ct);
        var session = (await DescribeAsync(connection, await connection.QueryAsync<SessionRow>(SelectSessions + " where id = @id", new { id }), gate))
            .SingleOrDefault() ?? throw ExchangeProblem.NotFound("session_not_found", "Session not found.");
        if (session.State is SessionStates.Ended or SessionStates.Cancelled)
        {
            throw session.State == SessionStates.Ended ? SessionGate.Ended() : SessionGate.Cancelled();
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(session.TimeZone);
        var agencies = session.InvitedAgencies.Select(a => a.Id).Append(session.HostAgency.Id).ToHashSet();
        var segments = items.Select((item, i) =>
        {
            var field = $"segments[{i}]";
            var title = Check.Text(item.Title, $"{field}.title", SegmentTitleMax);
            if (item.AgencyId is { } agencyId && !agencies.Contains(agencyId))
            {
                throw ExchangeProblem.BadRequest("agency_not_invited", $"{field}: the presenting agency must be the host or an invited agency.");
            }

            var startsAt = LocalTime(item.StartsAt, $"{field}.startsAt", zone);
            var endsAt = LocalTime(item.EndsAt, $"{field}.endsAt", zone);
            if (endsAt <= startsAt)
            {
                throw ExchangeProblem.BadRequest("validation", $"{field}: the end must be after the start.");
            }

            if (startsAt < session.StartsAt || endsAt > session.EndsAt)
            {
                throw ExchangeProblem.BadRequest("agenda_outside_session", $"{field}: every part must lie within the session's times.");
            }

            return (Title: title, item.AgencyId, StartsAtMs: startsAt.ToUnixTimeMilliseconds(), EndsAtMs: endsAt.ToUnixTimeMilliseconds());
        }).OrderBy(s => s.StartsAtMs).ToArray();
        for (var i = 1; i < segments.Length; i++)
        {
            if (segments[i].StartsAtMs < segments[i - 1].EndsAtMs)
            {
                throw ExchangeProblem.BadRequest("agenda_overlap", $"'{segments[i - 1].Title}' and '{segments[i].Title}' overlap.");
            }
        }

        await using (var tx = await database.BeginWriteAsync(connection, ct))
        {
            await connection.ExecuteAsync(DeleteAgenda, new { id }, tx);
            for (var i = 0; i < segments.Length; i++)
            {
                var s = segments[i];
                await connection.ExecuteAsync(InsertSegment, new
                {
                    sessionId = id, position = (long)i, title = s.Title, agencyId = s.AgencyId, startsAtMs = s.StartsAtMs, endsAtMs = s.EndsAtMs,
                }, tx);
            }

            await connection.ExecuteAsync(BumpSequence, new { id, now = gate.NowMs }, tx);
            await tx.CommitAsync(ct);
        }

        await PublishOutlineAsync(connection, id, gate, changes);
        return TypedResults.Ok(await DescribeOneAsync(connection, id, gate));
    }

    private static async Task PublishOutlineAsync(DbConnection connection, long id, SessionGate gate, LiveChanges changes)
    {
        var outline = await SessionOutlines.LoadAsync(connection, id, gate);
        await changes.PublishAsync(Audience.Session(id), client => client.SessionChanged(outline));
    }

    private sealed record EditRow(long HostAgencyId, string Title, string Description, string TimeZone,
        long StartsAtMs, long EndsAtMs, long? OpenedAtMs, long? EndedAtMs, long? CancelledAtMs);
}

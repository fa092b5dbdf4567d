using System.Data.Common;
using System.Globalization;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Sessions;

public sealed record NewSession(
    string? Title,
    string? Description,
    long HostAgencyId,
    long[]? InvitedAgencyIds,
    string? StartsAt,
    string? EndsAt,
    string? TimeZone);

public sealed record SessionScheduled(
    long Id,
    string Code,
    string Title,
    string Description,
    Agency HostAgency,
    Agency[] InvitedAgencies,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string TimeZone,
    string HostToken,
    string HostLink,
    string ViewerLink,
    string State,
    DateTimeOffset JoinOpensAt,
    /// <summary>The calendar SEQUENCE: one more with every edit an invitation shows.</summary>
    long Sequence,
    DateTimeOffset? CancelledAt,
    IReadOnlyList<AgendaSegment> Agenda,
    /// <summary>The moderator link: the host page in moderator mode (Q&A, no page turning, no camera).</summary>
    string ModeratorLink = "",
    bool QuestionsNeedApproval = false);

/// <summary>What a caller's token belongs to: the page a host or viewer opens asks this first.</summary>
public sealed record MySession(long SessionId, string Code, string Title, string Role, string State, SessionOutline Outline);

internal sealed record SessionRow(
    long Id,
    string Code,
    string Title,
    string Description,
    long HostAgencyId,
    long StartsAtMs,
    long EndsAtMs,
    string TimeZone,
    string HostToken,
    long? OpenedAtMs,
    long? EndedAtMs,
    long? CancelledAtMs,
    long Sequence,
    string? ModeratorToken = null,
    long QuestionsNeedApproval = 0);

public static partial class SessionEndpoints
{
    public const int TitleMax = 200;
    public const int DescriptionMax = 2000;
    public const int InvitedMax = 50;

    private static readonly string[] LocalTimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"];

    internal const string SelectSessions = """
        select id, code, title, description, host_agency_id as HostAgencyId, starts_at_ms as StartsAtMs,
               ends_at_ms as EndsAtMs, time_zone as TimeZone, host_token as HostToken,
               opened_at_ms as OpenedAtMs, ended_at_ms as EndedAtMs, cancelled_at_ms as CancelledAtMs, sequence,
               moderator_token as ModeratorToken, questions_need_approval as QuestionsNeedApproval
        from sessions
        """;

    private const string SelectAgencies = "select id, name, city, province from agencies";

    private const string SelectAgency = "select id, name, city, province from agencies where id = @id";

    private const string SelectInvited = """
        select a.id, a.name, a.city, a.province
        from session_invitations i join agencies a on a.id = i.agency_id
        where i.session_id = @id
        order by a.id
        """;

    private const string CodeTaken = "select count(*) from sessions where code = @code";

    private const string InsertSession = """
        insert into sessions (code, title, description, host_agency_id, starts_at_ms, ends_at_ms, time_zone,
                              host_token, created_at_ms)
        values (@code, @title, @description, @hostAgencyId, @startsAtMs, @endsAtMs, @timeZone, @hostToken, @now)
        returning id
        """;

    private const string InsertInvitation = """
        insert into session_invitations (session_id, agency_id) values (@sessionId, @agencyId)
        """;

    // Sessions made before moderator links get theirs on first read (random tokens are made here, not in SQL).
    private const string FillModeratorToken = "update sessions set moderator_token = @token where id = @id and moderator_token is null";

    private const string SelectModeratorToken = "select moderator_token from sessions where id = @id";

    private const string SelectMine = "select id as SessionId, code, title from sessions where id = @id";

    private const string OpenNow = "update sessions set opened_at_ms = @now where id = @id and opened_at_ms is null";

    private const string EndNow = "update sessions set ended_at_ms = @now where id = @id and ended_at_ms is null";

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var organiser = app.MapGroup("/api/sessions").RequireAuthorization(ExchangePolicies.Organiser);
        organiser.MapGet("/", ListAsync);
        organiser.MapPost("/", ScheduleAsync);
        organiser.MapPost("/{id:long}/open", OpenAsync);
        organiser.MapPut("/{id:long}", EditAsync);
        organiser.MapPost("/{id:long}/cancel", CancelAsync);
        organiser.MapPut("/{id:long}/agenda", SetAgendaAsync);
        app.MapPost("/api/sessions/{id:long}/end", EndAsync)
            .RequireAuthorization(p => p.RequireRole(Access.ExchangeRoles.Organiser, Shared.ParticipantRoles.Host));

        app.MapGet("/api/session", MineAsync).RequireAuthorization(ExchangePolicies.Participant);
        return app;
    }

    private static async Task<Ok<SessionScheduled[]>> ListAsync(Database database, SessionGate gate, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<SessionRow>(SelectSessions + " order by starts_at_ms desc, id desc");
        return TypedResults.Ok(await DescribeAsync(connection, rows, gate));
    }

    /// <summary>The organiser opens joining now, before the usual time.</summary>
    private static async Task<Ok<SessionScheduled>> OpenAsync(long id, Database database, SessionGate gate, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        gate.RequireNotEnded(await SessionGate.LoadAsync(connection, id));
        await connection.ExecuteAsync(OpenNow, new { id, now = gate.NowMs });
        return TypedResults.Ok(await DescribeOneAsync(connection, id, gate));
    }

    /// <summary>The organiser, or the session's host, ends it now: everyone is told, attendance closes.</summary>
    private static async Task<Ok<SessionScheduled>> EndAsync(long id, HttpContext http, Database database, SessionGate gate,
        SessionCloser closer, CancellationToken ct)
    {
        if (http.User.IsHost() && http.User.SessionId() != id)
        {
            throw ExchangeProblem.Forbidden("forbidden", "Your link is for another session.");
        }

        await using var connection = await database.OpenAsync(ct);
        await SessionGate.LoadAsync(connection, id); // session_not_found for an unknown id
        await connection.ExecuteAsync(EndNow, new { id, now = gate.NowMs });
        gate.ForgetAll();
        await closer.CloseDueAsync(ct);
        return TypedResults.Ok(await DescribeOneAsync(connection, id, gate));
    }

    private static async Task<SessionScheduled> DescribeOneAsync(DbConnection connection, long id, SessionGate gate) =>
        (await DescribeAsync(connection, await connection.QueryAsync<SessionRow>(SelectSessions + " where id = @id", new { id }), gate))[0];

    internal static async Task<Created<SessionScheduled>> ScheduleAsync(
        NewSession body, Database database, TimeProvider clock, SessionGate gate, CancellationToken ct)
    {
        var v = Validate(body);
        await using var connection = await database.OpenAsync(ct);
        await RequireAgenciesAsync(connection, v);

        await using var tx = await database.BeginWriteAsync(connection, ct);
        var code = await FreeCodeAsync(connection, tx);
        var id = await connection.QuerySingleAsync<long>(InsertSession, new
        {
            code,
            title = v.Title,
            description = v.Description,
            hostAgencyId = v.HostAgencyId,
            startsAtMs = v.StartsAt.ToUnixTimeMilliseconds(),
            endsAtMs = v.EndsAt.ToUnixTimeMilliseconds(),
            timeZone = v.Zone.Id,
            hostToken = Tokens.New(),
            now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        }, tx);
        foreach (var agencyId in v.Invited)
        {
            await connection.ExecuteAsync(InsertInvitation, new { sessionId = id, agencyId }, tx);
        }

        await tx.CommitAsync(ct);
        var scheduled = await DescribeOneAsync(connection, id, gate);
        return TypedResults.Created((string?)null, scheduled);
    }

    /// <summary>A schedule as checked: what scheduling and editing both store.</summary>
    private sealed record ValidSession(string Title, string Description, long HostAgencyId, long[] Invited,
        TimeZoneInfo Zone, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

    private static ValidSession Validate(NewSession body)
    {
        var title = Check.Text(body.Title, "title", TitleMax);
        var description = Check.Text(body.Description, "description", DescriptionMax, minLength: 0, multiline: true);
        var zone = FindZone(body.TimeZone);
        var startsAt = LocalTime(body.StartsAt, "startsAt", zone);
        var endsAt = LocalTime(body.EndsAt, "endsAt", zone);
        if (endsAt <= startsAt)
        {
            throw ExchangeProblem.BadRequest("validation", "endsAt must be after startsAt.");
        }

        var invited = (body.InvitedAgencyIds ?? []).Distinct().Where(id => id != body.HostAgencyId).ToArray();
        if (invited.Length > InvitedMax)
        {
            throw ExchangeProblem.BadRequest("validation", $"At most {InvitedMax} agencies can be invited.");
        }

        return new ValidSession(title, description, body.HostAgencyId, invited, zone, startsAt, endsAt);
    }

    private static async Task RequireAgenciesAsync(DbConnection connection, ValidSession v)
    {
        var known = (await connection.QueryAsync<Agency>(SelectAgencies)).Select(a => a.Id).ToHashSet();
        if (!known.Contains(v.HostAgencyId) || v.Invited.Any(id => !known.Contains(id)))
        {
            throw ExchangeProblem.BadRequest("unknown_agency", "The host agency or an invited agency does not exist.");
        }
    }

    private static async Task<Ok<MySession>> MineAsync(HttpContext http, Database database, SessionGate gate, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var id = http.User.SessionId();
        var row = await connection.QuerySingleAsync<(long SessionId, string Code, string Title)>(SelectMine, new { id });
        var role = http.User.IsHost() ? Shared.ParticipantRoles.Host
            : http.User.IsModerator() ? Shared.ParticipantRoles.Moderator : Shared.ParticipantRoles.Viewer;
        var outline = await SessionOutlines.LoadAsync(connection, id, gate);
        return TypedResults.Ok(new MySession(row.SessionId, row.Code, row.Title, role, outline.State, outline));
    }

    internal static async Task<SessionScheduled[]> DescribeAsync(DbConnection connection, IEnumerable<SessionRow> rows, SessionGate gate)
    {
        var described = new List<SessionScheduled>();
        foreach (var r in rows)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone);
            var times = new SessionTimes(r.StartsAtMs, r.EndsAtMs, r.OpenedAtMs, r.EndedAtMs, r.CancelledAtMs);
            var host = await connection.QuerySingleAsync<Agency>(SelectAgency, new { id = r.HostAgencyId });
            var invited = (await connection.QueryAsync<Agency>(SelectInvited, new { id = r.Id })).ToArray();
            var moderatorToken = r.ModeratorToken;
            if (moderatorToken is null)
            {
                await connection.ExecuteAsync(FillModeratorToken, new { id = r.Id, token = Tokens.New() });
                moderatorToken = await connection.QuerySingleAsync<string>(SelectModeratorToken, new { id = r.Id });
            }

            described.Add(new SessionScheduled(
                r.Id, r.Code, r.Title, r.Description, host, invited,
                InZone(r.StartsAtMs, zone), InZone(r.EndsAtMs, zone), r.TimeZone, r.HostToken,
                $"/host.html#token={r.HostToken}", $"/?code={r.Code}",
                gate.StateOf(times), InZone(times.JoinOpensAtMs(gate.Options), zone),
                r.Sequence, r.CancelledAtMs is { } cancelled ? InZone(cancelled, zone) : null,
                await SessionOutlines.AgendaAsync(connection, r.Id, zone),
                $"/host.html#token={moderatorToken}", r.QuestionsNeedApproval != 0));
        }

        return described.ToArray();
    }

    internal static DateTimeOffset InZone(long unixMs, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone);

    private static async Task<string> FreeCodeAsync(DbConnection connection, DbTransaction tx)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var code = JoinCode.New();
            if (await connection.ExecuteScalarAsync<long>(CodeTaken, new { code }, tx) == 0)
            {
                return code;
            }
        }

        throw new InvalidOperationException("No free join code after 10 tries.");
    }

    private static TimeZoneInfo FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw ExchangeProblem.BadRequest("validation", "timeZone is required, for example Asia/Shanghai.");
        }

        // Stored as an IANA id (Asia/Shanghai), which browsers understand; a Windows id is converted.
        var name = id.Trim();
        if (TimeZoneInfo.TryConvertWindowsIdToIanaId(name, out var iana))
        {
            name = iana;
        }

        // On Linux the id is a path under /usr/share/zoneinfo: "Asia" names a directory (an
        // UnauthorizedAccessException, once a 500) and "../x" something else. Only ids shaped like a
        // zone reach the lookup, and whatever the lookup throws is the caller's unknown zone.
        if (name.Length > 64 || !ZoneIdShape().IsMatch(name))
        {
            throw UnknownZone(id);
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or IOException
            or UnauthorizedAccessException or System.Security.SecurityException or ArgumentException)
        {
            throw UnknownZone(id);
        }
    }

    private static ExchangeProblem UnknownZone(string id) =>
        ExchangeProblem.BadRequest("unknown_time_zone", $"Unknown time zone '{id.Trim()[..Math.Min(id.Trim().Length, 64)]}'; use a name like Asia/Shanghai.");

    [System.Text.RegularExpressions.GeneratedRegex(@"^(UTC|[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9][A-Za-z0-9_+\-]*)+)$")]
    private static partial System.Text.RegularExpressions.Regex ZoneIdShape();

    internal static DateTimeOffset LocalTime(string? value, string field, TimeZoneInfo zone)
    {
        if (!DateTime.TryParseExact(value, LocalTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            || local.Year is < 2000 or > 2100)
        {
            throw ExchangeProblem.BadRequest("validation", $"{field} must be a local date and time like 2020-03-16T14:00.");
        }

        if (zone.IsInvalidTime(local) || zone.IsAmbiguousTime(local))
        {
            throw ExchangeProblem.BadRequest("validation", $"{field} falls in a daylight-saving change in {zone.Id}; choose another time.");
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

using System.Threading.RateLimiting;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Operations;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace LiveExchange.Hub.Joining;

public sealed record JoinInfo(
    long SessionId,
    string Code,
    string Title,
    string Description,
    Agency HostAgency,
    Agency[] InvitedAgencies,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string TimeZone,
    string State,
    DateTimeOffset JoinOpensAt,
    IReadOnlyList<AgendaSegment> Agenda);

/// <summary>
/// A join, by code and agency, or through an agency's invitation link (<see cref="InviteToken"/>): then
/// the session and the agency are the invitation's, and Code and AgencyId may be left out.
/// </summary>
/// <param name="Room">The people in front of this screen (null: keep the roster as it is); when it lists people, they are the headcount.</param>
/// <param name="ConsentVersion">The version of the consent notice (<c>/api/join/{code}/notice</c>) the viewer read and accepted.</param>
public sealed record JoinRequest(string? Code, long AgencyId, string? DisplayName, int Headcount, string? ParticipantToken, string? InviteToken = null,
    RoomMemberInput[]? Room = null, long? ConsentVersion = null);

public sealed record Joined(string ParticipantToken, long SessionId, string Code);

/// <summary>
/// The only endpoints open to anyone: look a code up, and join. A join makes a viewer participant
/// and hands back its token; the browser keeps it, so a rejoin is the same participant.
/// </summary>
public static class JoinEndpoints
{
    public const int DisplayNameMax = 40;
    public const int HeadcountMax = 500;
    public const string RateLimitPolicy = "join";
    public const string LookupRateLimitPolicy = "join-lookup";

    /// <summary>
    /// Joining:PerMinutePerAddress (default 120): enough for several rooms of phones behind one NAT
    /// (Chinese carriers put many phones behind one address), not for guessing codes (31^6 of them).
    /// Code look-ups, which every page load makes, get five times as many. The benchmark, which joins
    /// thousands from one address, raises it.
    /// </summary>
    public const int DefaultJoinsPerMinute = 120;

    private const string FindParticipant = """
        select id, agency_id from participants where token = @token and session_id = @sessionId and role = 'viewer' and removed_at_ms is null
        """;

    private const string UpdateParticipant = """
        update participants set display_name = @displayName, headcount = @headcount where id = @id
        """;

    private const string InsertParticipant = """
        insert into participants (session_id, token, role, agency_id, display_name, headcount, created_at_ms, joined_from)
        values (@sessionId, @token, 'viewer', @agencyId, @displayName, @headcount, @now, @address)
        returning id
        """;

    private const string SelectIdByToken = "select id from participants where token = @token";

    private const string CountFromAddress = """
        select count(*) from participants where session_id = @sessionId and joined_from = @address and role = 'viewer'
        """;

    /// <summary>Joining:ParticipantsPerAddress: new participants one address may make in one session.</summary>
    public const int DefaultParticipantsPerAddress = 60;

    public static IEndpointRouteBuilder MapJoin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/join").AllowAnonymous();
        group.MapGet("/{code}", LookupAsync).RequireRateLimiting(LookupRateLimitPolicy);
        group.MapPost("/", JoinAsync).RequireRateLimiting(RateLimitPolicy).CountedAsJoin();
        return app;
    }

    public static WebApplicationBuilder AddJoinRateLimit(this WebApplicationBuilder builder)
    {
        var perMinute = builder.Configuration.GetValue("Joining:PerMinutePerAddress", DefaultJoinsPerMinute);
        if (perMinute < 1)
        {
            throw new InvalidOperationException("Joining:PerMinutePerAddress must be at least 1.");
        }

        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1) }));
            options.AddPolicy(LookupRateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute * 5, Window = TimeSpan.FromMinutes(1) }));
            options.OnRejected = (context, _) => new ValueTask(ExchangeProblem.WriteAsync(context.HttpContext,
                StatusCodes.Status429TooManyRequests, "rate_limited", "Too many attempts; wait a minute and try again."));
        });
        return builder;
    }

    private static async Task<Ok<JoinInfo>> LookupAsync(string code, Database database, SessionGate gate, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var session = await FindAsync(connection, code, gate);
        return TypedResults.Ok(new JoinInfo(session.Id, session.Code, session.Title, session.Description,
            session.HostAgency, session.InvitedAgencies, session.StartsAt, session.EndsAt, session.TimeZone,
            session.State, session.JoinOpensAt, session.Agenda));
    }

    private static async Task<Ok<Joined>> JoinAsync(JoinRequest body, HttpContext http, Database database, TimeProvider clock,
        SessionGate gate, IConfiguration configuration, CancellationToken ct)
    {
        var displayName = Check.Text(body.DisplayName, "displayName", DisplayNameMax);
        var room = body.Room is null ? null : Rooms.RoomRoster.Checked(body.Room);
        // A roster is the headcount: the number typed beside it does not count.
        var headcount = room is { Length: > 0 } ? room.Length : Check.Range(body.Headcount, "headcount", 1, HeadcountMax);
        await using var connection = await database.OpenAsync(ct);
        var code = body.Code;
        var agencyId = body.AgencyId;
        if (body.InviteToken is not null)
        {
            // The agency comes from the invitation; a code or agency given beside it must be the same.
            var invitation = await Invitations.InvitationStore.FindAsync(connection, body.InviteToken);
            var invitedTo = await Invitations.InvitationStore.LoadSessionAsync(connection, invitation.SessionId);
            if ((code is { Length: > 0 } && JoinCode.Normalise(code) != invitedTo.Code) || (agencyId != 0 && agencyId != invitation.AgencyId))
            {
                throw Invitations.InvitationStore.UnknownInvitation();
            }

            (code, agencyId) = (invitedTo.Code, invitation.AgencyId);
        }

        var session = await FindAsync(connection, code, gate);
        switch (session.State)
        {
            case SessionStates.Ended:
                throw SessionGate.Ended();
            case SessionStates.Cancelled:
                throw SessionGate.Cancelled();
            case SessionStates.Scheduled:
                throw ExchangeProblem.Conflict("session_not_open",
                    $"Joining opens at {session.JoinOpensAt:yyyy-MM-dd HH:mm} ({session.TimeZone}); the session starts at {session.StartsAt:HH:mm}.");
        }

        if (agencyId != session.HostAgency.Id && session.InvitedAgencies.All(a => a.Id != agencyId))
        {
            throw ExchangeProblem.BadRequest("agency_not_invited", "Choose one of the agencies invited to this session.");
        }

        await using var tx = await database.BeginWriteAsync(connection, ct);
        var consentVersion = await Consent.ConsentNotices.RequireAcceptedAsync(connection, tx, session.Id, body.ConsentVersion);
        // The same browser coming back is the same participant; coming back for another agency is not
        // (its earlier minutes belong to the first agency's row in the attendance sheet).
        if (body.ParticipantToken is { Length: > 0 } token
            && await connection.QuerySingleOrDefaultAsync<(long Id, long AgencyId)?>(FindParticipant, new { token, sessionId = session.Id }, tx) is { } known
            && known.AgencyId == agencyId)
        {
            await connection.ExecuteAsync(UpdateParticipant, new { id = known.Id, displayName, headcount }, tx);
        }
        else
        {
            token = await NewViewerAsync(connection, tx, configuration, session.Id, agencyId, displayName, headcount,
                AddressOf(http), clock.GetUtcNow().ToUnixTimeMilliseconds());
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await Consent.ConsentNotices.RecordAsync(connection, tx, token, consentVersion, now);
        if (room is not null)
        {
            var participantId = await connection.QuerySingleAsync<long>(SelectIdByToken, new { token }, tx);
            await Live.LiveChanges.BumpAsync(connection, tx, session.Id, RoomStreams.Room);
            await Rooms.RoomRoster.ApplyAsync(connection, tx, session.Id, participantId, room, now);
        }

        await tx.CommitAsync(ct);
        return TypedResults.Ok(new Joined(token, session.Id, session.Code));
    }

    /// <summary>The caller's address as participants record it (IPv4 even when it came over IPv6).</summary>
    internal static string AddressOf(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "unknown";

    /// <summary>
    /// A new viewer participant, returning its token: at most Joining:ParticipantsPerAddress per address
    /// and session. One person scripting joins made 101 participants (votes, questions, a claimed headcount
    /// of 50,500); a room of phones behind one NAT stays well inside the default. Joining and the feedback
    /// link's respondents both come through here.
    /// </summary>
    internal static async Task<string> NewViewerAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx,
        IConfiguration configuration, long sessionId, long agencyId, string displayName, int headcount, string address, long nowMs)
    {
        var perAddress = configuration.GetValue("Joining:ParticipantsPerAddress", DefaultParticipantsPerAddress);
        if (await connection.ExecuteScalarAsync<long>(CountFromAddress, new { sessionId, address }, tx) >= perAddress)
        {
            throw ExchangeProblem.TooMany("too_many_participants",
                $"{perAddress} screens have already joined this session from your network; ask the organiser for help.");
        }

        var token = Tokens.New();
        await connection.ExecuteAsync(InsertParticipant, new
        {
            sessionId, token, agencyId, displayName, headcount = (long)headcount, address, now = nowMs,
        }, tx);
        return token;
    }

    private static async Task<SessionScheduled> FindAsync(System.Data.Common.DbConnection connection, string? typed, SessionGate gate)
    {
        var code = JoinCode.Normalise(typed);
        var rows = code is null
            ? []
            : await connection.QueryAsync<SessionRow>(SessionEndpoints.SelectSessions + " where code = @code", new { code });
        var found = await SessionEndpoints.DescribeAsync(connection, rows, gate);
        return found.Length == 1
            ? found[0]
            : throw ExchangeProblem.NotFound("unknown_code", "No session has this code. Check the code and try again.");
    }
}

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

    // What a join checks, read in one statement: the session's times (its state), host agency, consent
    // version, and whether the agency is invited. The agenda, agency names and tokens a look-up shows are
    // not needed here.
    private const string SelectForJoin = $"""
        select id as Id, code as Code, time_zone as TimeZone, host_agency_id as HostAgencyId, consent_version as ConsentVersion,
               {SessionTimes.Columns},
               (select count(*) from session_invitations i where i.session_id = sessions.id and i.agency_id = @agencyId) as Invited
        from sessions where code = @code
        """;

    // The same browser coming back, for the same agency: its row takes the new name, headcount and consent.
    // The consent is checked again here, so a notice edited since the read above is not recorded as accepted.
    private const string Rejoin = """
        update participants set display_name = @displayName, headcount = @headcount, consent_version = @consentVersion, consented_at_ms = @now
        where token = @token and session_id = @sessionId and agency_id = @agencyId and role = 'viewer' and removed_at_ms is null
          and (select consent_version from sessions where id = @sessionId) = @consentVersion
        returning id
        """;

    // A new viewer with its consent, in one statement that makes the checks a concurrent change could
    // invalidate (the notice's version, the per-address cap): no row back means one of them refused it.
    private const string Admit = """
        insert into participants (session_id, token, role, agency_id, display_name, headcount, created_at_ms, joined_from,
                                  consent_version, consented_at_ms)
        select @sessionId, @token, 'viewer', @agencyId, @displayName, @headcount, @now, @address, @consentVersion, @now
        where (select consent_version from sessions where id = @sessionId) = @consentVersion
          and (select count(*) from (select 1 from participants
                                     where session_id = @sessionId and joined_from = @address and role = 'viewer'
                                     limit @perAddress) seen) < @perAddress
        returning id
        """;

    private const string SelectConsentVersion = "select consent_version from sessions where id = @sessionId";

    private const string InsertParticipant = """
        insert into participants (session_id, token, role, agency_id, display_name, headcount, created_at_ms, joined_from)
        values (@sessionId, @token, 'viewer', @agencyId, @displayName, @headcount, @now, @address)
        returning id
        """;

    // Counted up to the cap only: a session with thousands of screens behind one address (a raised cap)
    // must not read them all at every join.
    private const string CountFromAddress = """
        select count(*) from (select 1 from participants where session_id = @sessionId and joined_from = @address and role = 'viewer'
                              limit @perAddress) seen
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

        // It is a LIMIT in the join's statement too: PostgreSQL refuses a negative one at every join.
        if (builder.Configuration.GetValue("Joining:ParticipantsPerAddress", DefaultParticipantsPerAddress) < 1)
        {
            throw new InvalidOperationException("Joining:ParticipantsPerAddress must be at least 1.");
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
        SessionGate gate, IConfiguration configuration, ViewerTokens viewerTokens, CancellationToken ct)
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

        var normalised = JoinCode.Normalise(code);
        var session = (normalised is null ? null : await connection.QuerySingleOrDefaultAsync<JoinRow>(SelectForJoin, new { code = normalised, agencyId }))
            ?? throw UnknownCode();
        var times = new SessionTimes(session.StartsAtMs, session.EndsAtMs, session.OpenedAtMs, session.EndedAtMs, session.CancelledAtMs);
        switch (gate.StateOf(times))
        {
            case SessionStates.Ended:
                throw SessionGate.Ended();
            case SessionStates.Cancelled:
                throw SessionGate.Cancelled();
            case SessionStates.Scheduled:
                var zone = TimeZoneInfo.FindSystemTimeZoneById(session.TimeZone);
                var opensAt = SessionEndpoints.InZone(times.JoinOpensAtMs(gate.Options), zone);
                var startsAt = SessionEndpoints.InZone(session.StartsAtMs, zone);
                throw ExchangeProblem.Conflict("session_not_open",
                    $"Joining opens at {opensAt:yyyy-MM-dd HH:mm} ({session.TimeZone}); the session starts at {startsAt:HH:mm}.");
        }

        if (agencyId != session.HostAgencyId && session.Invited == 0)
        {
            throw ExchangeProblem.BadRequest("agency_not_invited", "Choose one of the agencies invited to this session.");
        }

        var consentVersion = Consent.ConsentNotices.RequireAccepted(session.ConsentVersion, body.ConsentVersion);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        // One statement each when there is no roster, so no transaction; a roster goes in with the participant.
        await using var tx = room is null ? null : await database.BeginWriteAsync(connection, ct);
        var args = new
        {
            sessionId = session.Id, agencyId, displayName, headcount = (long)headcount, consentVersion, now,
            token = body.ParticipantToken ?? "",
            address = AddressOf(http),
            perAddress = (long)configuration.GetValue("Joining:ParticipantsPerAddress", DefaultParticipantsPerAddress),
        };
        // The same browser coming back is the same participant; coming back for another agency is not
        // (its earlier minutes belong to the first agency's row in the attendance sheet).
        var participantId = body.ParticipantToken is { Length: > 0 }
            ? await connection.QuerySingleOrDefaultAsync<long?>(Rejoin, args, tx)
            : null;
        var token = args.token;
        if (participantId is null)
        {
            token = Tokens.New();
            participantId = await connection.QuerySingleOrDefaultAsync<long?>(Admit, args with { token = token }, tx)
                ?? throw await RefusedAsync(connection, tx, args.sessionId, consentVersion, args.perAddress);
        }

        if (room is not null)
        {
            await Live.LiveChanges.BumpAsync(connection, tx!, session.Id, RoomStreams.Room);
            await Rooms.RoomRoster.ApplyAsync(connection, tx!, session.Id, participantId.Value, room, now);
            await tx!.CommitAsync(ct);
        }

        // The browser opens the hub's WebSocket with this token next, most often on this instance.
        viewerTokens.Remember(token, new ViewerIdentity(session.Id, participantId.Value));
        return TypedResults.Ok(new Joined(token, session.Id, session.Code));
    }

    /// <summary>Why <see cref="Admit"/> made no row: the notice changed since it was read, or the address is at its cap.</summary>
    private static async Task<ExchangeProblem> RefusedAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx,
        long sessionId, long consentVersion, long perAddress) =>
        await connection.QuerySingleAsync<long>(SelectConsentVersion, new { sessionId }, tx) != consentVersion
            ? Consent.ConsentNotices.Outdated()
            : TooManyFromAddress(perAddress);

    private static ExchangeProblem TooManyFromAddress(long perAddress) => ExchangeProblem.TooMany("too_many_participants",
        $"{perAddress} screens have already joined this session from your network; ask the organiser for help.");

    private static ExchangeProblem UnknownCode() =>
        ExchangeProblem.NotFound("unknown_code", "No session has this code. Check the code and try again.");

    /// <summary>A class with setters: SQLite gives the computed count no declared type (see QuestionRow).</summary>
    private sealed class JoinRow
    {
        public long Id { get; init; }

        public string Code { get; init; } = "";

        public string TimeZone { get; init; } = "";

        public long HostAgencyId { get; init; }

        public long ConsentVersion { get; init; }

        public long StartsAtMs { get; init; }

        public long EndsAtMs { get; init; }

        public long? OpenedAtMs { get; init; }

        public long? EndedAtMs { get; init; }

        public long? CancelledAtMs { get; init; }

        public long Invited { get; init; }
    }

    /// <summary>The caller's address as participants record it (IPv4 even when it came over IPv6).</summary>
    internal static string AddressOf(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "unknown";

    /// <summary>
    /// A new viewer participant, returning its token: at most Joining:ParticipantsPerAddress per address
    /// and session. One person scripting joins made 101 participants (votes, questions, a claimed headcount
    /// of 50,500); a room of phones behind one NAT stays well inside the default. The feedback link's
    /// respondents come through here; a join makes the same checks in its one <see cref="Admit"/> statement.
    /// </summary>
    internal static async Task<string> NewViewerAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx,
        IConfiguration configuration, long sessionId, long agencyId, string displayName, int headcount, string address, long nowMs)
    {
        var perAddress = configuration.GetValue("Joining:ParticipantsPerAddress", DefaultParticipantsPerAddress);
        if (await connection.ExecuteScalarAsync<long>(CountFromAddress, new { sessionId, address, perAddress }, tx) >= perAddress)
        {
            throw TooManyFromAddress(perAddress);
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
            : throw UnknownCode();
    }
}

using System.Data.Common;
using System.IO.Compression;
using System.Security.Cryptography;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Documents;
using LiveExchange.Hub.Exports;
using LiveExchange.Hub.Invitations;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Certificates;

/// <summary>
/// The organiser's view of a session's certificates: the rule (null until set), the window presence is
/// measured against, whether the session has ended (certificates are issued only then), and every person
/// with presence, feedback, eligibility and the certificate issued to them.
/// </summary>
public sealed record CertificateOverview(
    long SessionId,
    CertificateRule? Rule,
    PresenceWindow Window,
    bool SessionEnded,
    bool FontAvailable,
    CertificateCandidate[] People);

/// <summary>What issuing did: certificates made now, and valid ones in all.</summary>
public sealed record CertificatesIssued(int Added, int Valid, CertificateOverview Overview);

public sealed record CertificateRevocation(string? Reason);

/// <summary>A certificate of the caller's own screen (participant token).</summary>
public sealed record MyCertificate(string Code, string HolderName, decimal CeHours, string Download);

/// <summary>
/// What the public verification page says about a code, and nothing more: valid or revoked, the holder's
/// name (null once retention removed it, then <see cref="NameRemoved"/>), the session, its date and the hours.
/// </summary>
public sealed record CertificateVerification(
    string Code, string Status, string? HolderName, bool NameRemoved, string SessionTitle, string SessionDate, decimal CeHours);

public static class CertificateStatuses
{
    public const string Valid = "valid";
    public const string Revoked = "revoked";
}

/// <summary>
/// Certificates (docs/api.md, "Certificates"): the organiser sets the rule, issues after the session,
/// downloads all as a zip and revokes; participants download their screen's; anyone verifies a code.
/// </summary>
public static class CertificateEndpoints
{
    private const string SelectRule = """
        select min_percent as MinPercent, feedback_required as FeedbackRequired, ce_hours_hundredths as CeHoursHundredths
        from certificate_rules where session_id = @sessionId
        """;

    private const string UpsertRule = """
        insert into certificate_rules (session_id, min_percent, feedback_required, ce_hours_hundredths, updated_at_ms)
        values (@sessionId, @minPercent, @feedbackRequired, @ceHoursHundredths, @now)
        on conflict (session_id) do update set min_percent = excluded.min_percent, feedback_required = excluded.feedback_required,
            ce_hours_hundredths = excluded.ce_hours_hundredths, updated_at_ms = excluded.updated_at_ms
        """;

    // A second issue adds only people not there yet; a revoked certificate stays revoked.
    private const string InsertCertificate = """
        insert into certificates (session_id, participant_id, room_member_id, person_key, code, holder_name, agency_name,
                                  ce_hours_hundredths, present_hundredths, issued_at_ms)
        values (@sessionId, @participantId, @roomMemberId, @personKey, @code, @holderName, @agencyName,
                @ceHoursHundredths, @presentHundredths, @now)
        on conflict (session_id, person_key) do nothing
        """;

    private const string CertificateColumns = """
        c.code as Code, c.participant_id as ParticipantId, c.holder_name as HolderName, c.agency_name as AgencyName,
        c.ce_hours_hundredths as CeHoursHundredths, c.revoked_at_ms as RevokedAtMs, c.session_id as SessionId,
        s.title as SessionTitle, s.starts_at_ms as StartsAtMs, s.time_zone as TimeZone, h.name as HostAgency
        from certificates c join sessions s on s.id = c.session_id join agencies h on h.id = s.host_agency_id
        """;

    private const string SelectValid = "select " + CertificateColumns + " where c.session_id = @sessionId and c.revoked_at_ms is null order by c.id";

    private const string SelectMine = "select " + CertificateColumns + " where c.participant_id = @participantId and c.revoked_at_ms is null order by c.id";

    private const string SelectByCode = "select " + CertificateColumns + " where c.code = @code";

    private const string Revoke = """
        update certificates set revoked_at_ms = @now, revoke_reason = @reason
        where session_id = @sessionId and code = @code and revoked_at_ms is null
        """;

    private const string CountInSession = "select count(*) from certificates where session_id = @sessionId and code = @code";

    /// <summary>
    /// Retention (issue 10, point 7) removes holders' names but keeps verification working. The line for the
    /// retention job's list of statements (parameters @sessionId, @now):
    /// </summary>
    public const string BlankHolderNames =
        "update certificates set holder_name = null, name_removed_at_ms = @now where session_id = @sessionId and holder_name is not null";

    private static readonly Words ZipLabel = new("证书", "Certificates");

    public static WebApplicationBuilder AddCertificates(this WebApplicationBuilder builder)
    {
        builder.AddDocuments();
        return builder;
    }

    public static IEndpointRouteBuilder MapCertificates(this IEndpointRouteBuilder app)
    {
        var organiser = app.MapGroup("/api/sessions/{id:long}/certificates").RequireAuthorization(ExchangePolicies.Organiser);
        organiser.MapGet("/", OverviewAsync);
        organiser.MapPut("/rule", SetRuleAsync);
        organiser.MapPost("/issue", IssueAsync);
        organiser.MapGet("/all.zip", ZipAsync);
        organiser.MapPost("/{code}/revoke", RevokeAsync);

        var viewer = app.MapGroup("/api/sessions/{id:long}/certificates/mine").RequireAuthorization(p => p.RequireRole(ParticipantRoles.Viewer));
        viewer.MapGet("/", MineAsync);
        viewer.MapGet("/{code}.pdf", MyPdfAsync);

        app.MapGet("/api/certificates/{code}", VerifyAsync).AllowAnonymous().RequireRateLimiting(JoinEndpoints.LookupRateLimitPolicy);
        // The address in the QR code: short, and a page (the fragment keeps the code out of server logs after this hop).
        app.MapGet("/verify/{code}", (string code) => TypedResults.Redirect($"/verify.html#code={Uri.EscapeDataString(Normalise(code))}"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    // --- Organiser -------------------------------------------------------------------------------------

    private static async Task<Ok<CertificateOverview>> OverviewAsync(long id, Database database, SessionGate gate, TimeProvider clock,
        IOptions<AttendanceOptions> attendance, CjkFont font, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return TypedResults.Ok(await LoadOverviewAsync(connection, id, gate, clock, attendance.Value, font));
    }

    private static async Task<Ok<CertificateOverview>> SetRuleAsync(long id, CertificateRule body, Database database, SessionGate gate,
        TimeProvider clock, IOptions<AttendanceOptions> attendance, CjkFont font, CancellationToken ct)
    {
        var rule = CertificateEligibility.Validate(body);
        await using var connection = await database.OpenAsync(ct);
        await SessionGate.LoadAsync(connection, id);
        await connection.ExecuteAsync(UpsertRule, new
        {
            sessionId = id,
            minPercent = (long)rule.MinPercent,
            feedbackRequired = rule.FeedbackRequired ? 1L : 0L,
            ceHoursHundredths = (long)(rule.CeHours * 100),
            now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        });
        return TypedResults.Ok(await LoadOverviewAsync(connection, id, gate, clock, attendance.Value, font));
    }

    /// <summary>
    /// Issues a certificate to every eligible person who has none. Only after the session has ended
    /// (presence is final then) and with a rule set. Running it again adds people who became eligible
    /// since (a rule lowered, a roster corrected) and doubles nothing.
    /// </summary>
    private static async Task<Ok<CertificatesIssued>> IssueAsync(long id, Database database, SessionGate gate, TimeProvider clock,
        IOptions<AttendanceOptions> attendance, CjkFont font, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var overview = await LoadOverviewAsync(connection, id, gate, clock, attendance.Value, font);
        if (!overview.SessionEnded)
        {
            throw ExchangeProblem.Conflict("certificates_not_ready", "Certificates are issued after the session has ended.");
        }

        var rule = overview.Rule ?? throw ExchangeProblem.Conflict("certificate_rule_missing",
            "Set the certificate rule (minimum presence, feedback, CE hours) before issuing.");
        var added = 0;
        await using (var tx = await database.BeginWriteAsync(connection, ct))
        {
            foreach (var person in overview.People.Where(p => p.Eligible && p.Certificate is null))
            {
                added += await connection.ExecuteAsync(InsertCertificate, new
                {
                    sessionId = id,
                    participantId = person.ParticipantId,
                    roomMemberId = person.RoomMemberId,
                    personKey = CertificateEligibility.PersonKey(person.ParticipantId, person.RoomMemberId),
                    code = NewCode(),
                    holderName = person.Name,
                    agencyName = person.AgencyName,
                    ceHoursHundredths = (long)(rule.CeHours * 100),
                    presentHundredths = (long)(person.PresentPercent * 100),
                    now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                }, tx);
            }

            await tx.CommitAsync(ct);
        }

        overview = await LoadOverviewAsync(connection, id, gate, clock, attendance.Value, font);
        return TypedResults.Ok(new CertificatesIssued(added, overview.People.Count(p => p.Certificate is { RevokedAt: null }), overview));
    }

    /// <summary>Every valid certificate of the session, one PDF per person, in one zip (file names keep Chinese names).</summary>
    private static async Task<FileContentHttpResult> ZipAsync(long id, HttpContext http, Database database, SessionGate gate, PublicLinks links,
        CjkFont font, CancellationToken ct)
    {
        var typeface = font.Require();
        await using var connection = await database.OpenAsync(ct);
        var session = await ExportedSessions.LoadOneAsync(connection, id, gate);
        var rows = (await connection.QueryAsync<CertificateRow>(SelectValid, new { sessionId = id })).ToArray();
        if (rows.Length == 0)
        {
            throw ExchangeProblem.NotFound("certificate_not_found", "No certificates have been issued for this session (issue them after it ends).");
        }

        using var zipped = new MemoryStream();
        using (var zip = new ZipArchive(zipped, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var row in rows)
            {
                var name = $"{DownloadName.Safe(row.HolderName ?? "")} {DownloadName.Safe(row.AgencyName)} {row.Code}.pdf".TrimStart();
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                await using var stream = entry.Open();
                await stream.WriteAsync(CertificatePdf.Write(typeface, Content(row, links, http.Request)), ct);
            }
        }

        var zipName = DownloadName.Of(session.LocalDate, session.Title, ZipLabel, "certificates", ExportLanguage.Zh, "zip");
        http.Response.Headers.ContentDisposition = zipName.ContentDisposition();
        return TypedResults.File(zipped.ToArray(), "application/zip");
    }

    private static async Task<Ok<CertificateOverview>> RevokeAsync(long id, string code, CertificateRevocation body, Database database,
        SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> attendance, CjkFont font, CancellationToken ct)
    {
        var reason = Check.Text(body.Reason, "reason", CertificateLimits.RevokeReasonMax);
        code = Normalise(code);
        await using var connection = await database.OpenAsync(ct);
        if (await connection.ExecuteScalarAsync<long>(CountInSession, new { sessionId = id, code }) == 0)
        {
            throw NotFound();
        }

        // Revoking twice keeps the first time and reason.
        await connection.ExecuteAsync(Revoke, new { sessionId = id, code, reason, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        return TypedResults.Ok(await LoadOverviewAsync(connection, id, gate, clock, attendance.Value, font));
    }

    // --- Participants ----------------------------------------------------------------------------------

    private static async Task<Ok<MyCertificate[]>> MineAsync(long id, HttpContext http, Database database, SessionGate gate, CancellationToken ct)
    {
        var participantId = RequireOwnSession(http, id);
        await using var connection = await database.OpenAsync(ct);
        await RequireEndedAsync(connection, id, gate);
        var rows = await connection.QueryAsync<CertificateRow>(SelectMine, new { participantId });
        return TypedResults.Ok(rows.Select(r => new MyCertificate(r.Code, r.HolderName ?? "", r.CeHoursHundredths / 100m,
            $"/api/sessions/{id}/certificates/mine/{r.Code}.pdf")).ToArray());
    }

    private static async Task<FileContentHttpResult> MyPdfAsync(long id, string code, HttpContext http, Database database, SessionGate gate,
        PublicLinks links, CjkFont font, CancellationToken ct)
    {
        var participantId = RequireOwnSession(http, id);
        var typeface = font.Require();
        await using var connection = await database.OpenAsync(ct);
        await RequireEndedAsync(connection, id, gate);
        var row = (await connection.QueryAsync<CertificateRow>(SelectMine, new { participantId })).FirstOrDefault(r => r.Code == Normalise(code))
            ?? throw NotFound();
        var name = new DownloadName($"{DownloadName.Safe(row.HolderName ?? "")} {row.Code}.pdf".TrimStart(), $"certificate {row.Code}.pdf");
        http.Response.Headers.ContentDisposition = name.ContentDisposition();
        return TypedResults.File(CertificatePdf.Write(typeface, Content(row, links, http.Request)), "application/pdf");
    }

    // --- Anyone ----------------------------------------------------------------------------------------

    private static async Task<Ok<CertificateVerification>> VerifyAsync(string code, Database database, CancellationToken ct)
    {
        code = Normalise(code);
        if (code.Length != CertificateLimits.CodeLength)
        {
            throw NotFound();
        }

        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CertificateRow>(SelectByCode, new { code }) ?? throw NotFound();
        return TypedResults.Ok(new CertificateVerification(row.Code,
            row.RevokedAtMs is null ? CertificateStatuses.Valid : CertificateStatuses.Revoked,
            row.HolderName, row.HolderName is null, row.SessionTitle, row.LocalDate, row.CeHoursHundredths / 100m));
    }

    // --- Shared ----------------------------------------------------------------------------------------

    internal static async Task<CertificateOverview> LoadOverviewAsync(DbConnection connection, long id, SessionGate gate, TimeProvider clock,
        AttendanceOptions attendance, CjkFont font)
    {
        var times = await SessionGate.LoadAsync(connection, id);
        var rule = await connection.QuerySingleOrDefaultAsync<RuleRow>(SelectRule, new { sessionId = id }) is { } r
            ? new CertificateRule((int)r.MinPercent, r.FeedbackRequired == 1, r.CeHoursHundredths / 100m)
            : null;
        var people = await CertificateEligibility.LoadAsync(connection, id, times, rule, clock.GetUtcNow(),
            TimeSpan.FromSeconds(attendance.InstanceTimeoutSeconds));
        return new CertificateOverview(id, rule, CertificateEligibility.Window(times), gate.StateOf(times) == SessionStates.Ended,
            font.Available, people);
    }

    private static async Task RequireEndedAsync(DbConnection connection, long id, SessionGate gate)
    {
        if (gate.StateOf(await SessionGate.LoadAsync(connection, id)) != SessionStates.Ended)
        {
            throw ExchangeProblem.Conflict("certificates_not_ready", "Certificates are issued after the session has ended.");
        }
    }

    private static long RequireOwnSession(HttpContext http, long id) =>
        http.User.SessionId() == id && http.User.ParticipantId() is { } participantId
            ? participantId
            : throw ExchangeProblem.Forbidden("forbidden", "Your link does not allow this.");

    private static CertificateContent Content(CertificateRow row, PublicLinks links, HttpRequest request) =>
        new(row.HolderName ?? "", row.AgencyName, row.SessionTitle, row.LocalDate, row.HostAgency, row.CeHoursHundredths / 100m, row.Code,
            VerifyUrl(links, request, row.Code));

    internal static string VerifyUrl(PublicLinks links, HttpRequest request, string code) => $"{links.Base(request)}/verify/{code}";

    /// <summary>Codes as people type them: any case, with spaces or dashes.</summary>
    internal static string Normalise(string code) =>
        new string(code.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray()) is var s && s.Length <= 2 * CertificateLimits.CodeLength
            ? s
            : "";

    private static string NewCode() =>
        RandomNumberGenerator.GetString(CertificateLimits.CodeAlphabet, CertificateLimits.CodeLength);

    private static ExchangeProblem NotFound() =>
        ExchangeProblem.NotFound("certificate_not_found", "No certificate has this code: check the code as printed on the certificate.");

    private sealed record RuleRow(long MinPercent, long FeedbackRequired, long CeHoursHundredths);

    private sealed record CertificateRow(
        string Code, long ParticipantId, string? HolderName, string AgencyName, long CeHoursHundredths, long? RevokedAtMs, long SessionId,
        string SessionTitle, long StartsAtMs, string TimeZone, string HostAgency)
    {
        public string LocalDate => TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(StartsAtMs),
            TimeZoneInfo.FindSystemTimeZoneById(TimeZone)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }
}

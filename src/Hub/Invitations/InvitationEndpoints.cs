using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Registration;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using QRCoder;

namespace LiveExchange.Hub.Invitations;

/// <summary>What an invitation link shows: the session (no agenda), the agency it is for, its registration.</summary>
public sealed record Invitation(
    long SessionId,
    string Code,
    string Title,
    string Description,
    Agency HostAgency,
    Agency Agency,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string TimeZone,
    string State,
    DateTimeOffset JoinOpensAt,
    DateTimeOffset RegistrationClosesAt,
    bool RegistrationOpen,
    AgencyRegistration? Registration,
    RegistrationLimits Limits);

/// <summary>One invited agency on the organiser's page: its link, and how far it got.</summary>
public sealed record InvitationSummary(
    Agency Agency,
    string Link,
    string Status,
    AgencyRegistration? Registration,
    int Screens,
    int Headcount,
    int Minutes);

public sealed record SessionInvitations(
    long SessionId,
    string State,
    int ReminderMinutes,
    DateTimeOffset ReminderDueAt,
    InvitationSummary[] Invitations,
    ReminderLimits Limits);

public sealed record ReminderLimits(int MinutesMin, int MinutesMax);

public sealed record InvitationText(string Lang, string Kind, string Text);

public sealed record ReminderSetting(int Minutes);

public sealed record ReminderState(int Minutes, DateTimeOffset DueAt);

/// <summary>
/// Invitation links per agency, for the agency (anonymous, the link's token in the route) and for the
/// organiser (its link, QR code, calendar file and texts to paste).
/// </summary>
public static class InvitationEndpoints
{
    public const int ReminderMinutesMin = 5;
    public const int ReminderMinutesMax = 7 * 24 * 60;

    /// <summary>Pixels per QR module in the PNG: 33 modules (a short link) make a 264 px image, sharp when printed small.</summary>
    public const int QrPixelsPerModule = 8;

    private const string SetReminder = "update sessions set reminder_minutes = @minutes where id = @id";

    private const string IcsType = "text/calendar; charset=utf-8";

    public static IEndpointRouteBuilder MapInvitations(this IEndpointRouteBuilder app)
    {
        var anyone = app.MapGroup("/api/invitations/{token}").AllowAnonymous().RequireRateLimiting(JoinEndpoints.LookupRateLimitPolicy);
        anyone.MapGet("/", ShowAsync);
        anyone.MapGet("/invitation.ics", CalendarByTokenAsync);
        anyone.MapGet("/qr.png", PngByTokenAsync);
        anyone.MapGet("/qr.svg", SvgByTokenAsync);

        var organiser = app.MapGroup("/api/sessions/{id:long}").RequireAuthorization(ExchangePolicies.Organiser);
        organiser.MapGet("/invitations", ListAsync);
        organiser.MapPut("/reminder", SetReminderAsync);
        var one = organiser.MapGroup("/invitations/{agencyId:long}");
        one.MapGet("/qr.png", PngAsync);
        one.MapGet("/qr.svg", SvgAsync);
        one.MapGet("/invitation.ics", CalendarAsync);
        one.MapGet("/invitation-text", InvitationTextAsync);
        one.MapGet("/reminder-text", ReminderTextAsync);
        return app;
    }

    private static async Task<Ok<Invitation>> ShowAsync(string token, Database database, SessionGate gate, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var invitation = await InvitationStore.FindAsync(connection, token);
        var session = await InvitationStore.LoadSessionAsync(connection, invitation.SessionId);
        var agency = await InvitationStore.LoadAgencyAsync(connection, invitation.AgencyId);
        return TypedResults.Ok(new Invitation(
            session.Id, session.Code, session.Title, session.Description, session.HostAgency, agency,
            session.InZone(session.StartsAtMs), session.InZone(session.EndsAtMs), session.TimeZone, session.State(gate),
            session.InZone(session.Times.JoinOpensAtMs(gate.Options)), session.InZone(session.StartsAtMs),
            session.RegistrationOpen(gate),
            await RegistrationEndpoints.FindAsync(connection, session.Id, agency.Id, session.Zone),
            RegistrationLimits.Current));
    }

    private static async Task<Ok<SessionInvitations>> ListAsync(long id, HttpRequest request, Database database, SessionGate gate,
        PublicLinks links, TimeProvider clock, IOptions<AttendanceOptions> attendance, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var session = await InvitationStore.LoadSessionAsync(connection, id);
        await InvitationStore.EnsureTokensAsync(connection, id);
        var tokens = (await connection.QueryAsync<InvitationKey>(
                "select session_id as SessionId, agency_id as AgencyId, token from session_invitations where session_id = @id", new { id }))
            .ToDictionary(k => k.AgencyId, k => k.Token);
        var roster = await AgencyRoster.LoadAsync(connection, id, session.State(gate), session.Zone, clock.GetUtcNow(),
            TimeSpan.FromSeconds(attendance.Value.InstanceTimeoutSeconds));
        var invitations = roster.Agencies.Select(a => new InvitationSummary(
            a.Agency, links.Invitation(request, tokens[a.Agency.Id]), a.Status, a.Registration, a.Screens, a.Headcount, a.Minutes));
        return TypedResults.Ok(new SessionInvitations(id, roster.State, (int)session.ReminderMinutes,
            session.InZone(session.ReminderAtMs), invitations.ToArray(), new ReminderLimits(ReminderMinutesMin, ReminderMinutesMax)));
    }

    private static async Task<Ok<ReminderState>> SetReminderAsync(long id, ReminderSetting body, Database database, CancellationToken ct)
    {
        var minutes = Check.Range(body.Minutes, "minutes", ReminderMinutesMin, ReminderMinutesMax);
        await using var connection = await database.OpenAsync(ct);
        await InvitationStore.LoadSessionAsync(connection, id); // session_not_found
        await connection.ExecuteAsync(SetReminder, new { id, minutes });
        var session = await InvitationStore.LoadSessionAsync(connection, id);
        return TypedResults.Ok(new ReminderState((int)session.ReminderMinutes, session.InZone(session.ReminderAtMs)));
    }

    // --- The link as a QR code, the calendar file, the texts: for the organiser by agency, for the agency by its token.

    private static async Task<FileContentHttpResult> PngAsync(long id, long agencyId, HttpRequest request, Database database,
        PublicLinks links, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return Png(await LinkAsync(connection, id, agencyId, request, links), $"invitation-{id}-{agencyId}.png");
    }

    private static async Task<FileContentHttpResult> SvgAsync(long id, long agencyId, HttpRequest request, Database database,
        PublicLinks links, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return Svg(await LinkAsync(connection, id, agencyId, request, links), $"invitation-{id}-{agencyId}.svg");
    }

    private static async Task<FileContentHttpResult> PngByTokenAsync(string token, HttpRequest request, Database database,
        PublicLinks links, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var invitation = await InvitationStore.FindAsync(connection, token);
        return Png(links.Invitation(request, invitation.Token), $"invitation-{invitation.SessionId}-{invitation.AgencyId}.png");
    }

    private static async Task<FileContentHttpResult> SvgByTokenAsync(string token, HttpRequest request, Database database,
        PublicLinks links, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var invitation = await InvitationStore.FindAsync(connection, token);
        return Svg(links.Invitation(request, invitation.Token), $"invitation-{invitation.SessionId}-{invitation.AgencyId}.svg");
    }

    private static async Task<FileContentHttpResult> CalendarAsync(long id, long agencyId, string? lang, HttpRequest request,
        Database database, PublicLinks links, TimeProvider clock, CancellationToken ct)
    {
        lang = InvitationTexts.Language(lang);
        await using var connection = await database.OpenAsync(ct);
        var invitation = await InvitationStore.FindAsync(connection, id, agencyId);
        return await CalendarFileAsync(connection, invitation, links.Invitation(request, invitation.Token), lang, clock);
    }

    private static async Task<FileContentHttpResult> CalendarByTokenAsync(string token, string? lang, HttpRequest request,
        Database database, PublicLinks links, TimeProvider clock, CancellationToken ct)
    {
        lang = InvitationTexts.Language(lang);
        await using var connection = await database.OpenAsync(ct);
        var invitation = await InvitationStore.FindAsync(connection, token);
        return await CalendarFileAsync(connection, invitation, links.Invitation(request, invitation.Token), lang, clock);
    }

    private static async Task<FileContentHttpResult> CalendarFileAsync(DbConnection connection, InvitationKey invitation, string link,
        string lang, TimeProvider clock)
    {
        var session = await InvitationStore.LoadSessionAsync(connection, invitation.SessionId);
        var agency = await InvitationStore.LoadAgencyAsync(connection, invitation.AgencyId);
        var ics = InvitationCalendar.Write(session, agency, link, lang, clock.GetUtcNow().ToUnixTimeMilliseconds());
        var name = session.IsCancelled ? "cancelled" : "invitation";
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(ics), IcsType, $"{name}-{session.Code}-{agency.Id}.ics");
    }

    private static Task<Ok<InvitationText>> InvitationTextAsync(long id, long agencyId, string? lang, HttpRequest request,
        Database database, PublicLinks links, CancellationToken ct) =>
        TextAsync(id, agencyId, lang, "invitation", request, database, links, ct);

    private static Task<Ok<InvitationText>> ReminderTextAsync(long id, long agencyId, string? lang, HttpRequest request,
        Database database, PublicLinks links, CancellationToken ct) =>
        TextAsync(id, agencyId, lang, "reminder", request, database, links, ct);

    private static async Task<Ok<InvitationText>> TextAsync(long id, long agencyId, string? lang, string kind, HttpRequest request,
        Database database, PublicLinks links, CancellationToken ct)
    {
        lang = InvitationTexts.Language(lang);
        await using var connection = await database.OpenAsync(ct);
        var link = await LinkAsync(connection, id, agencyId, request, links);
        var session = await InvitationStore.LoadSessionAsync(connection, id);
        var agency = await InvitationStore.LoadAgencyAsync(connection, agencyId);
        var texts = InvitationTexts.For(lang);
        var text = kind == "reminder" ? texts.Reminder(session, agency, link) : texts.Invitation(session, agency, link);
        return TypedResults.Ok(new InvitationText(lang, kind, text));
    }

    /// <summary>The absolute link of one agency's invitation (session_not_found, then not_invited).</summary>
    private static async Task<string> LinkAsync(DbConnection connection, long id, long agencyId, HttpRequest request, PublicLinks links)
    {
        await InvitationStore.LoadSessionAsync(connection, id);
        var invitation = await InvitationStore.FindAsync(connection, id, agencyId);
        return links.Invitation(request, invitation.Token);
    }

    private static FileContentHttpResult Png(string link, string fileName)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(link, QRCodeGenerator.ECCLevel.M);
        using var png = new PngByteQRCode(data);
        return TypedResults.File(png.GetGraphic(QrPixelsPerModule), "image/png", fileName);
    }

    private static FileContentHttpResult Svg(string link, string fileName)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(link, QRCodeGenerator.ECCLevel.M);
        using var svg = new SvgQRCode(data);
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(svg.GetGraphic(QrPixelsPerModule)), "image/svg+xml", fileName);
    }
}

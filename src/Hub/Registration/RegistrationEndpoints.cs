using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Invitations;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Registration;

public sealed record RegistrationRequest(string? ContactName, string? ContactPhone, int ExpectedHeadcount, int Screens);

/// <summary>What the invitation page's forms may send, from the server so the page cannot drift.</summary>
public sealed record RegistrationLimits(
    int ContactNameMax,
    int ContactPhoneMax,
    int ExpectedHeadcountMax,
    int ScreensMax,
    int DisplayNameMax,
    int HeadcountMax)
{
    public static readonly RegistrationLimits Current = new(
        RegistrationEndpoints.ContactNameMax, RegistrationEndpoints.ContactPhoneMax, JoinEndpoints.HeadcountMax,
        RegistrationEndpoints.ScreensMax, JoinEndpoints.DisplayNameMax, JoinEndpoints.HeadcountMax);
}

/// <summary>
/// An invited agency registers from its invitation link (no account: the link's token is the right
/// to do so), and may change it until the session starts. The organiser reads the roster.
/// </summary>
public static partial class RegistrationEndpoints
{
    public const int ContactNameMax = 40;
    public const int ContactPhoneMax = 30;

    /// <summary>Screens one agency expects to connect: a room's projector and a few laptops or phones.</summary>
    public const int ScreensMax = 20;

    private const string Upsert = """
        insert into session_registrations (session_id, agency_id, contact_name, contact_phone, expected_headcount, screens,
                                           registered_at_ms, updated_at_ms)
        values (@sessionId, @agencyId, @contactName, @contactPhone, @expectedHeadcount, @screens, @now, @now)
        on conflict (session_id, agency_id) do update
        set contact_name = excluded.contact_name, contact_phone = excluded.contact_phone,
            expected_headcount = excluded.expected_headcount, screens = excluded.screens, updated_at_ms = excluded.updated_at_ms
        """;

    private const string SelectOne = """
        select contact_name as ContactName, contact_phone as ContactPhone, expected_headcount as ExpectedHeadcount,
               screens, registered_at_ms as RegisteredAtMs, updated_at_ms as UpdatedAtMs
        from session_registrations
        where session_id = @sessionId and agency_id = @agencyId
        """;

    public static IEndpointRouteBuilder MapRegistration(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/invitations/{token}/registration", RegisterAsync)
            .AllowAnonymous()
            .RequireRateLimiting(JoinEndpoints.RateLimitPolicy);
        app.MapGet("/api/sessions/{id:long}/roster", RosterAsync).RequireAuthorization(ExchangePolicies.Organiser);
        return app;
    }

    private static async Task<Ok<AgencyRegistration>> RegisterAsync(string token, RegistrationRequest body, Database database,
        SessionGate gate, CancellationToken ct)
    {
        var contactName = Check.Text(body.ContactName, "contactName", ContactNameMax);
        var contactPhone = Phone(body.ContactPhone);
        var expectedHeadcount = Check.Range(body.ExpectedHeadcount, "expectedHeadcount", 1, JoinEndpoints.HeadcountMax);
        var screens = Check.Range(body.Screens, "screens", 1, ScreensMax);

        await using var connection = await database.OpenAsync(ct);
        var invitation = await InvitationStore.FindAsync(connection, token);
        var session = await InvitationStore.LoadSessionAsync(connection, invitation.SessionId);
        if (session.IsCancelled)
        {
            throw SessionGate.Cancelled();
        }

        if (!session.RegistrationOpen(gate))
        {
            throw ExchangeProblem.Conflict("registration_closed", "Registration closed when the session started.");
        }

        await connection.ExecuteAsync(Upsert, new
        {
            sessionId = invitation.SessionId,
            agencyId = invitation.AgencyId,
            contactName,
            contactPhone,
            expectedHeadcount,
            screens,
            now = gate.NowMs,
        });
        return TypedResults.Ok((await FindAsync(connection, invitation.SessionId, invitation.AgencyId, session.Zone))!);
    }

    private static async Task<Ok<SessionRoster>> RosterAsync(long id, Database database, SessionGate gate, TimeProvider clock,
        IOptions<AttendanceOptions> attendance, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var session = await InvitationStore.LoadSessionAsync(connection, id);
        return TypedResults.Ok(await AgencyRoster.LoadAsync(connection, id, session.State(gate), session.Zone, clock.GetUtcNow(),
            TimeSpan.FromSeconds(attendance.Value.InstanceTimeoutSeconds)));
    }

    internal static async Task<AgencyRegistration?> FindAsync(DbConnection connection, long sessionId, long agencyId, TimeZoneInfo zone)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(SelectOne, new { sessionId, agencyId });
        return row is null
            ? null
            : new AgencyRegistration(row.ContactName, row.ContactPhone, (int)row.ExpectedHeadcount, (int)row.Screens,
                SessionEndpoints.InZone(row.RegisteredAtMs, zone), SessionEndpoints.InZone(row.UpdatedAtMs, zone));
    }

    /// <summary>Optional; when given, something a phone can dial: digits with + ( ) - and spaces, 5 to 15 digits.</summary>
    private static string? Phone(string? value)
    {
        var phone = Check.Text(value, "contactPhone", ContactPhoneMax, minLength: 0);
        if (phone.Length == 0)
        {
            return null;
        }

        var digits = phone.Count(char.IsAsciiDigit);
        if (!PhoneShape().IsMatch(phone) || digits is < 5 or > 15)
        {
            throw ExchangeProblem.BadRequest("validation", "contactPhone must be a phone number like 0511-8888 6666 or +86 138 0000 0000.");
        }

        return phone;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\+?[0-9(][0-9 ()\-]*$")]
    private static partial System.Text.RegularExpressions.Regex PhoneShape();

    private sealed record Row(string ContactName, string? ContactPhone, long ExpectedHeadcount, long Screens, long RegisteredAtMs, long UpdatedAtMs);
}

using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Documents;
using LiveExchange.Hub.Exports;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Records;

/// <summary>
/// The learning record (docs/api.md, "Learning record"): for the organiser and for anyone who took part
/// (host, moderator or viewer link of the session), after the session has ended.
/// </summary>
public static class RecordEndpoints
{
    private const string SelectDeck = """
        select d.content from decks d join sessions s on s.deck_id = d.id where s.id = @sessionId
        """;

    private const string SelectRemoved = "select removed_at_ms from participants where id = @participantId";

    private static readonly Words RecordLabel = new("学习记录", "Learning record");

    public static IEndpointRouteBuilder MapRecords(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions/{id:long}/record")
            .RequireAuthorization(p => p.RequireRole(ExchangeRoles.Organiser, ParticipantRoles.Host, ParticipantRoles.Moderator, ParticipantRoles.Viewer));
        group.MapGet("/", RecordAsync);
        group.MapGet("/deck.pdf", DeckAsync);
        app.MapGet("/api/sessions/{id:long}/record.pdf", PdfAsync)
            .RequireAuthorization(p => p.RequireRole(ExchangeRoles.Organiser, ParticipantRoles.Host, ParticipantRoles.Moderator, ParticipantRoles.Viewer));
        return app;
    }

    private static async Task<Ok<LearningRecord>> RecordAsync(long id, HttpContext http, Database database, SessionGate gate, TimeProvider clock,
        IOptions<AttendanceOptions> options, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await RequireReaderAsync(http, id, connection);
        return TypedResults.Ok(await LearningRecords.LoadAsync(connection, id, gate, clock.GetUtcNow(), TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds)));
    }

    /// <summary>The record as a PDF in <c>lang</c> (zh or en), the deck's pages appended.</summary>
    private static async Task<FileContentHttpResult> PdfAsync(long id, string? lang, HttpContext http, Database database, SessionGate gate,
        TimeProvider clock, IOptions<AttendanceOptions> options, CjkFont font, CancellationToken ct)
    {
        var language = ExportWords.RequireLanguage(lang);
        await using var connection = await database.OpenAsync(ct);
        await RequireReaderAsync(http, id, connection);
        var record = await LearningRecords.LoadAsync(connection, id, gate, clock.GetUtcNow(), TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds));
        var typeface = font.Require();
        var deck = record.Deck is null ? null : await connection.QuerySingleOrDefaultAsync<byte[]>(SelectDeck, new { sessionId = id });
        var bytes = RecordPdf.Write(typeface, record, language, deck);
        var date = record.Times.PlannedStart.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.ContentDisposition = DownloadName.Of(date, record.Title, RecordLabel, "record", language, "pdf").ContentDisposition();
        return TypedResults.File(bytes, "application/pdf");
    }

    /// <summary>The deck last shown, for the record page's viewer (the live deck link is for the session's participants only).</summary>
    private static async Task<FileContentHttpResult> DeckAsync(long id, HttpContext http, Database database, SessionGate gate, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await RequireReaderAsync(http, id, connection);
        if (gate.StateOf(await SessionGate.LoadAsync(connection, id)) != SessionStates.Ended)
        {
            throw ExchangeProblem.Conflict("record_not_ready", "The learning record is ready when the session has ended.");
        }

        var deck = await connection.QuerySingleOrDefaultAsync<byte[]>(SelectDeck, new { sessionId = id })
            ?? throw ExchangeProblem.NotFound("deck_not_found", "No deck was shown in this session.");
        return TypedResults.File(deck, "application/pdf");
    }

    /// <summary>The organiser, or a link of this session; a screen the organiser removed reads nothing of it.</summary>
    private static async Task RequireReaderAsync(HttpContext http, long id, System.Data.Common.DbConnection connection)
    {
        if (http.User.IsInRole(ExchangeRoles.Organiser))
        {
            return;
        }

        if (http.User.SessionId() != id)
        {
            throw ExchangeProblem.Forbidden("forbidden", "Your link is for another session.");
        }

        if (http.User.ParticipantId() is { } participantId
            && await connection.ExecuteScalarAsync<long?>(SelectRemoved, new { participantId }) is not null)
        {
            throw SessionGate.Removed();
        }
    }
}

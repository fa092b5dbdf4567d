using System.ComponentModel.DataAnnotations;
using System.Text;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using UglyToad.PdfPig;

namespace LiveExchange.Hub.Decks;

public sealed class DeckOptions
{
    /// <summary>Decks:MaxBytes. Decks live in the database, so every instance serves them; keep them modest.</summary>
    [Range(typeof(long), "1024", "209715200", ErrorMessage = "Decks:MaxBytes must be between 1024 and 209715200 bytes.")]
    public long MaxBytes { get; set; } = 25 * 1024 * 1024;
}

/// <summary>
/// The host uploads a PDF; it is checked (a real PDF with pages, under the size limit) before a
/// byte is stored, kept in the database, and everyone connected is told to load it.
/// </summary>
public static class DeckEndpoints
{
    public const int FileNameMax = 200;

    // Multipart framing around the file: boundaries and part headers.
    private const long FormOverhead = 64 * 1024;

    public static WebApplicationBuilder AddDecks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeckOptions>().BindConfiguration("Decks").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DeckStore>();
        return builder;
    }

    public static IEndpointRouteBuilder MapDecks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/sessions/{id:long}/deck", UploadAsync)
            .RequireAuthorization(ExchangePolicies.Host)
            .DisableAntiforgery(); // Bearer tokens, not cookies: there is nothing for a forged form to ride on.
        app.MapGet("/api/decks/{deckId:long}", DownloadAsync).RequireAuthorization(ExchangePolicies.Participant);
        return app;
    }

    private static async Task<Created<DeckView>> UploadAsync(
        long id, HttpContext http, DeckStore decks, IOptions<DeckOptions> options, CancellationToken ct)
    {
        if (http.User.SessionId() != id)
        {
            throw ExchangeProblem.Forbidden("forbidden", "Your link is for another session.");
        }

        var max = options.Value.MaxBytes;
        var tooLarge = ExchangeProblem.TooLarge("deck_too_large", $"The deck is larger than {max / (1024 * 1024.0):0.#} MB.");
        if (http.Request.ContentLength > max + FormOverhead)
        {
            throw tooLarge; // Refused before reading a byte of it.
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max + FormOverhead;
        }

        if (!http.Request.HasFormContentType)
        {
            throw ExchangeProblem.BadRequest("deck_missing", "Send the deck as a file in a form (field 'file').");
        }

        IFormCollection form;
        try
        {
            // The multipart limit sits above the body limit, so an oversized body is reported as such.
            form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = max + 2 * FormOverhead }, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw tooLarge; // A body without a length that ran past the limit while being read.
        }
        catch (InvalidDataException)
        {
            throw ExchangeProblem.BadRequest("deck_missing", "The upload could not be read; choose the PDF file again.");
        }

        var file = form.Files["file"] ?? throw ExchangeProblem.BadRequest("deck_missing", "Choose a PDF file to upload.");
        if (file.Length > max)
        {
            throw tooLarge;
        }

        var content = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(content, ct);
        }

        var pageCount = CountPdfPages(content);
        var fileName = Path.GetFileName(file.FileName ?? "").Trim();
        fileName = fileName.Length == 0 ? "deck.pdf" : fileName[..Math.Min(fileName.Length, FileNameMax)];

        var change = await decks.StoreAsync(id, fileName, content, pageCount, ct);
        return TypedResults.Created($"/api/decks/{change.Deck.DeckId}", change.Deck);
    }

    private static async Task<IResult> DownloadAsync(long deckId, HttpContext http, DeckStore decks, CancellationToken ct)
    {
        var deck = await decks.LoadAsync(deckId, ct);
        if (deck is null || deck.SessionId != http.User.SessionId())
        {
            throw ExchangeProblem.NotFound("deck_not_found", "No such deck.");
        }

        // A deck never changes under its id (a new upload makes a new id), so browsers may keep it.
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        return TypedResults.File(deck.Content, "application/pdf", enableRangeProcessing: true,
            entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"deck-{deckId}\""));
    }

    /// <summary>The page count of a real PDF; anything else is refused with deck_not_pdf.</summary>
    internal static int CountPdfPages(byte[] content)
    {
        var head = Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 1024));
        if (!head.Contains("%PDF-", StringComparison.Ordinal))
        {
            throw NotPdf();
        }

        try
        {
            using var pdf = PdfDocument.Open(content);
            if (pdf.NumberOfPages < 1)
            {
                throw NotPdf();
            }

            _ = pdf.GetPage(1); // Proves the page tree resolves, not just that a header is there.
            return pdf.NumberOfPages;
        }
        catch (Exception e) when (e is not ExchangeProblem)
        {
            throw NotPdf();
        }
    }

    private static ExchangeProblem NotPdf() =>
        ExchangeProblem.BadRequest("deck_not_pdf", "This file is not a PDF we can show. Export the slides as PDF and try again.");

}

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

    /// <summary>
    /// Decks:MaxExpandedBytes. What a deck's compressed streams may expand to in all, when opened here
    /// and on every viewer's phone. Real decks of 50 photo slides stay well under it; a deflate bomb does not.
    /// </summary>
    [Range(typeof(long), "1048576", "4294967296", ErrorMessage = "Decks:MaxExpandedBytes must be between 1 MB and 4 GB.")]
    public long MaxExpandedBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Decks:CheckSeconds. How long checking one upload may take before it is refused.</summary>
    [Range(1, 300, ErrorMessage = "Decks:CheckSeconds must be between 1 and 300.")]
    public int CheckSeconds { get; set; } = 20;

    /// <summary>Decks:ConcurrentChecks. Uploads checked at once per instance (each takes a core while it runs).</summary>
    [Range(1, 64, ErrorMessage = "Decks:ConcurrentChecks must be between 1 and 64.")]
    public int ConcurrentChecks { get; set; } = 2;
}

/// <summary>Uploads being checked on this instance: at most Decks:ConcurrentChecks at once.</summary>
public sealed class DeckChecks(IOptions<DeckOptions> options)
{
    public SemaphoreSlim Slots { get; } = new(options.Value.ConcurrentChecks, options.Value.ConcurrentChecks);
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
        builder.Services.AddSingleton<DeckChecks>();
        builder.Services.AddOptions<DeckConversionOptions>().BindConfiguration("Decks").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DeckConverter>();
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
        long id, HttpContext http, DeckStore decks, DeckChecks checks, IOptions<DeckOptions> options,
        Storage.Database database, Sessions.SessionGate gate, DeckConverter converter, CancellationToken ct)
    {
        if (http.User.SessionId() != id)
        {
            throw ExchangeProblem.Forbidden("forbidden", "Your link is for another session.");
        }

        await using (var connection = await database.OpenAsync(ct))
        {
            gate.RequireNotEnded(await Sessions.SessionGate.LoadAsync(connection, id));
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

        var fileName = Path.GetFileName(file.FileName ?? "").Trim();
        fileName = fileName.Length == 0 ? "deck.pdf" : fileName[..Math.Min(fileName.Length, FileNameMax)];

        // An office file becomes a PDF first, then takes the PDF's road: the same checks, the same store.
        IReadOnlyDictionary<int, string>? notes = null;
        var kind = DeckFormats.Detect(content, fileName, options.Value.MaxExpandedBytes);
        if (kind != DeckKind.Pdf)
        {
            var converted = await converter.ConvertAsync(content, kind, max, ct);
            content = converted.Pdf;
            notes = converted.Notes;
            fileName = Path.ChangeExtension(fileName, ".pdf");
        }

        var pageCount = await CheckAsync(content, checks, options.Value, ct);
        var change = await decks.StoreAsync(id, fileName, content, pageCount, notes, ct);
        return TypedResults.Created($"/api/decks/{change.Deck.DeckId}", change.Deck);
    }

    private static async Task<IResult> DownloadAsync(long deckId, HttpContext http, DeckStore decks, DeckDownloads downloads, string? download, CancellationToken ct)
    {
        var deck = await decks.LoadAsync(deckId, ct);
        if (deck is null || deck.SessionId != http.User.SessionId())
        {
            throw ExchangeProblem.NotFound("deck_not_found", "No such deck.");
        }

        // --- Presenter view: the offered download (docs/decisions/0010) ---
        if (download is "1" or "true")
        {
            var offer = await downloads.OfferAsync(deckId, ct);
            if (!offer.Downloadable && !http.User.IsHost() && !http.User.IsModerator())
            {
                throw ExchangeProblem.Forbidden("deck_download_off", "The host has not made the deck available for download.");
            }

            http.Response.Headers.CacheControl = "private, no-cache";
            return TypedResults.File(deck.Content, "application/pdf", offer.FileName);
        }

        // A deck never changes under its id (a new upload makes a new id), so browsers may keep it.
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        return TypedResults.File(deck.Content, "application/pdf", enableRangeProcessing: true,
            entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"deck-{deckId}\""));
    }

    /// <summary>
    /// The checks, bounded: a few at a time per instance (a busy instance says so rather than queueing
    /// without end), expansion measured before any parsing, and the whole within Decks:CheckSeconds.
    /// </summary>
    private static async Task<int> CheckAsync(byte[] content, DeckChecks checks, DeckOptions options, CancellationToken ct)
    {
        if (!await checks.Slots.WaitAsync(TimeSpan.FromSeconds(10), ct))
        {
            throw ExchangeProblem.Unavailable("deck_busy", "Other decks are being checked right now; try again in a minute.");
        }

        var limit = TimeSpan.FromSeconds(options.CheckSeconds);
        var work = Task.Run(() =>
        {
            try
            {
                PdfExpansionCheck.Check(content, options.MaxExpandedBytes, limit);
                return CountPdfPages(content);
            }
            finally
            {
                // Released when the work ends, not when the caller stops waiting: a parser stuck on a
                // file keeps its slot, so a run of such uploads cannot take every core.
                checks.Slots.Release();
            }
        }, CancellationToken.None);
        try
        {
            return await work.WaitAsync(limit + TimeSpan.FromSeconds(1), ct);
        }
        catch (TimeoutException)
        {
            throw ExchangeProblem.BadRequest("deck_too_complex",
                "This PDF takes too long to open. Export the slides as PDF again (or with smaller images) and try again.");
        }
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

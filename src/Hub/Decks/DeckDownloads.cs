using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Decks;

/// <summary>
/// Whether viewers are offered the deck as a file (sessions.deck_downloadable). A change to the slides
/// stream, so every screen on every instance learns it in order with the deck and page, and a screen
/// that missed it reloads the slides. It governs the offered download (GET /api/decks/{id}?download=1),
/// not the bytes a screen fetches to draw the slides: see docs/decisions/0010.
/// </summary>
public sealed class DeckDownloads(Database database, LiveChanges changes)
{
    private const string Update = "update sessions set deck_downloadable = @value where id = @sessionId";

    private const string SelectOffer = """
        select s.deck_downloadable as Downloadable, d.file_name as FileName
        from decks d join sessions s on s.id = d.session_id where d.id = @deckId
        """;

    public Task<DeckDownloadChanged> SetAsync(ExchangeCaller host, bool downloadable) =>
        changes.CommitAsync(host.SessionId, LiveStreams.Slides, async (connection, tx, version) =>
        {
            await connection.ExecuteAsync(Update, new { value = downloadable ? 1L : 0L, sessionId = host.SessionId }, tx);
            return new DeckDownloadChanged(version, downloadable);
        }, (clients, change) => clients.DeckDownloadChanged(change));

    /// <summary>Whether a deck's session offers it to viewers, and the name to save it under.</summary>
    public async Task<(bool Downloadable, string FileName)> OfferAsync(long deckId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var offer = await connection.QuerySingleOrDefaultAsync<OfferRow>(SelectOffer, new { deckId });
        return (offer?.Downloadable == 1, offer?.FileName ?? "deck.pdf");
    }

    private sealed class OfferRow
    {
        public long Downloadable { get; init; }

        public string FileName { get; init; } = "";
    }
}

using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Slides;

/// <summary>Which page of the deck everyone sees. The page lives on the session row, never in memory.</summary>
public sealed class SlideState(LiveChanges changes)
{
    private const string SelectDeck = """
        select d.page_count from sessions s join decks d on d.id = s.deck_id where s.id = @sessionId
        """;

    private const string UpdatePage = "update sessions set current_page = @page where id = @sessionId";

    // The slides stream's bump comes first and locks its row: a deck upload (same stream) cannot slip
    // in between checking the page against the deck and showing it.
    public Task<PageChanged> GoToPageAsync(ExchangeCaller host, int page) =>
        changes.CommitAsync(host.SessionId, LiveStreams.Slides, async (connection, tx, version) =>
        {
            var pageCount = await connection.QuerySingleOrDefaultAsync<long?>(SelectDeck, new { sessionId = host.SessionId }, tx)
                ?? throw ExchangeProblem.BadRequest("no_deck", "Upload a deck first."); // Rolled back: no version is spent.
            if (page < 1 || page > pageCount)
            {
                throw ExchangeProblem.BadRequest("page_out_of_range", $"The deck has pages 1 to {pageCount}.");
            }

            await connection.ExecuteAsync(UpdatePage, new { page, sessionId = host.SessionId }, tx);
            return new PageChanged(version, page, (int)pageCount);
        }, (clients, change) => clients.PageChanged(change));
}

using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Slides;

/// <summary>Which page of the deck everyone sees. The page lives on the session row, never in memory.</summary>
public sealed class SlideState(Database database, IHubContext<ExchangeHub, IExchangeClient> hub, ILogger<SlideState> logger)
{
    // The version bump comes first: it locks the session row, so a deck upload cannot slip in between
    // checking the page against the deck and showing it.
    private const string BumpAndDeck = """
        update sessions set version = version + 1 where id = @sessionId returning version, deck_id
        """;

    private const string SelectPageCount = "select page_count from decks where id = @deckId";

    private const string UpdatePage = "update sessions set current_page = @page where id = @sessionId";

    public async Task<PageChanged> GoToPageAsync(ExchangeCaller host, int page)
    {
        await using var connection = await database.OpenAsync();
        await using var tx = await database.BeginWriteAsync(connection);
        var (version, deckId) = await connection.QuerySingleAsync<(long, long?)>(BumpAndDeck, new { sessionId = host.SessionId }, tx);
        if (deckId is null)
        {
            throw ExchangeProblem.BadRequest("no_deck", "Upload a deck first."); // Rolled back: no version is spent.
        }

        var pageCount = await connection.QuerySingleAsync<long>(SelectPageCount, new { deckId }, tx);
        if (page < 1 || page > pageCount)
        {
            throw ExchangeProblem.BadRequest("page_out_of_range", $"The deck has pages 1 to {pageCount}.");
        }

        await connection.ExecuteAsync(UpdatePage, new { page, sessionId = host.SessionId }, tx);
        await tx.CommitAsync();
        var change = new PageChanged(version, page, (int)pageCount);
        await hub.Clients.Group(SessionGroups.Of(host.SessionId)).PageChanged(change).SentOrLogged(logger);
        return change;
    }
}

using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Slides;

/// <summary>Which page of the deck everyone sees. The page lives on the session row, never in memory.</summary>
public sealed class SlideState(Database database, IHubContext<ExchangeHub, IExchangeClient> hub)
{
    private const string SelectPageCount = """
        select d.page_count from sessions s join decks d on d.id = s.deck_id where s.id = @sessionId
        """;

    private const string UpdatePage = """
        update sessions set current_page = @page, version = version + 1 where id = @sessionId returning version
        """;

    public async Task<PageChanged> GoToPageAsync(ExchangeCaller host, int page)
    {
        await using var connection = await database.OpenAsync();
        await using var tx = await database.BeginWriteAsync(connection);
        var pageCount = await connection.QuerySingleOrDefaultAsync<long?>(SelectPageCount, new { sessionId = host.SessionId }, tx)
            ?? throw ExchangeProblem.BadRequest("no_deck", "Upload a deck first.");
        if (page < 1 || page > pageCount)
        {
            throw ExchangeProblem.BadRequest("page_out_of_range", $"The deck has pages 1 to {pageCount}.");
        }

        var version = await connection.QuerySingleAsync<long>(UpdatePage, new { page, sessionId = host.SessionId }, tx);
        await tx.CommitAsync();
        var change = new PageChanged(version, page, (int)pageCount);
        await hub.Clients.Group(SessionGroups.Of(host.SessionId)).PageChanged(change);
        return change;
    }
}

using System.Data.Common;
using Dapper;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Polls;

/// <summary>
/// A poll's results, read from the database in the caller's transaction: per item, the screens that
/// chose it and the people they speak for, so both ways of counting are exact and either can be shown.
/// </summary>
internal static class PollTally
{
    private const string SelectItems = """
        select item as Item, count(*) as Screens, sum(weight) as People from poll_votes where poll_id = @pollId group by item
        """;

    // sum(revision) grows with every committed answer write, so it orders two reads of the same poll.
    private const string SelectTotals = """
        select count(*) as Screens, coalesce(sum(headcount), 0) as People, coalesce(sum(revision), 0) as Sequence
        from poll_answers where poll_id = @pollId
        """;

    public static async Task<PollResults> ReadAsync(DbConnection connection, DbTransaction? tx, PollRow poll)
    {
        var totals = await connection.QuerySingleAsync<TotalsRow>(SelectTotals, new { pollId = poll.Id }, tx);
        var items = (await connection.QueryAsync<ItemRow>(SelectItems, new { pollId = poll.Id }, tx))
            .Select(r => new PollItemCount(r.Item, (int)r.Screens, (int)r.People));
        items = poll.Kind == PollKinds.Words
            ? items.OrderByDescending(i => poll.Counting == PollCountings.People ? i.People : i.Screens)
                .ThenByDescending(i => i.Screens).ThenBy(i => i.Item, StringComparer.Ordinal).Take(PollRules.CloudWords)
            : items.OrderBy(i => int.Parse(i.Item, System.Globalization.CultureInfo.InvariantCulture));
        return new PollResults(poll.Id, totals.Sequence, poll.Counting, (int)totals.Screens, (int)totals.People, items.ToArray(),
            poll.State == PollStates.Closed);
    }

    // Setters rather than positional records: SQLite's computed columns have no declared type.
    private sealed class ItemRow
    {
        public string Item { get; init; } = "";

        public long Screens { get; init; }

        public long People { get; init; }
    }

    private sealed class TotalsRow
    {
        public long Screens { get; init; }

        public long People { get; init; }

        public long Sequence { get; init; }
    }
}

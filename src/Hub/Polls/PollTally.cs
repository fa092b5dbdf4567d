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
    // A participant the organiser removed (stuffing) no longer counts; its rows stay, as its questions' do not.
    private const string SelectItems = """
        select v.item as Item, count(*) as Screens, sum(v.weight) as People
        from poll_votes v join participants p on p.id = v.participant_id
        where v.poll_id = @pollId and p.removed_at_ms is null
        group by v.item
        """;

    // sum(revision) grows with every committed answer write, so it orders two reads of the same poll. It
    // runs over every answer, removed participants' too: removing one bumps its answers' revision, so the
    // results without it carry a higher sequence than those with it.
    private const string SelectTotals = """
        select coalesce(sum(case when p.removed_at_ms is null then 1 else 0 end), 0) as Screens,
               coalesce(sum(case when p.removed_at_ms is null then a.headcount else 0 end), 0) as People,
               coalesce(sum(a.revision), 0) as Sequence
        from poll_answers a join participants p on p.id = a.participant_id
        where a.poll_id = @pollId
        """;

    /// <summary>The open polls a participant answered: removing it bumps these answers' revision (see SelectTotals).</summary>
    internal const string BumpRemovedAnswers = """
        update poll_answers set revision = revision + 1
        where participant_id = @participantId and poll_id in (select id from polls where session_id = @id and state = 'open')
        """;

    internal const string SelectOpenAnswered = """
        select a.poll_id from poll_answers a join polls p on p.id = a.poll_id
        where a.participant_id = @participantId and p.session_id = @id and p.state = 'open'
        """;

    // The same two reads for every launched poll of a session at once: a snapshot (every connect) shows the
    // closed polls' results too, and two queries per poll there would grow the cost of joining with each poll.
    private const string SelectSessionItems = """
        select v.poll_id as PollId, v.item as Item, count(*) as Screens, sum(v.weight) as People
        from poll_votes v join participants p on p.id = v.participant_id join polls q on q.id = v.poll_id
        where q.session_id = @sessionId and q.state <> 'draft' and p.removed_at_ms is null
        group by v.poll_id, v.item
        """;

    private const string SelectSessionTotals = """
        select a.poll_id as PollId,
               coalesce(sum(case when p.removed_at_ms is null then 1 else 0 end), 0) as Screens,
               coalesce(sum(case when p.removed_at_ms is null then a.headcount else 0 end), 0) as People,
               coalesce(sum(a.revision), 0) as Sequence
        from poll_answers a join participants p on p.id = a.participant_id join polls q on q.id = a.poll_id
        where q.session_id = @sessionId and q.state <> 'draft'
        group by a.poll_id
        """;

    public static async Task<PollResults> ReadAsync(DbConnection connection, DbTransaction? tx, PollRow poll)
    {
        var totals = await connection.QuerySingleAsync<TotalsRow>(SelectTotals, new { pollId = poll.Id }, tx);
        var items = await connection.QueryAsync<ItemRow>(SelectItems, new { pollId = poll.Id }, tx);
        return Results(poll, totals, items);
    }

    /// <summary>The results of every launched poll of a session (by poll id), in two queries.</summary>
    public static async Task<IReadOnlyDictionary<long, PollResults>> ReadLaunchedAsync(
        DbConnection connection, DbTransaction? tx, long sessionId, IEnumerable<PollRow> polls)
    {
        await using var grid = await connection.QueryMultipleAsync(LaunchedBatch, new { sessionId }, tx);
        return await ReadLaunchedAsync(grid, polls);
    }

    /// <summary>The two reads of <see cref="ReadLaunchedAsync(DbConnection, DbTransaction?, long, IEnumerable{PollRow})"/> as a batch (parameter @sessionId).</summary>
    internal const string LaunchedBatch = SelectSessionTotals + ";\n" + SelectSessionItems + ";";

    /// <summary>The results of every launched poll, read back from <see cref="LaunchedBatch"/> in a batch.</summary>
    internal static async Task<IReadOnlyDictionary<long, PollResults>> ReadLaunchedAsync(Dapper.SqlMapper.GridReader grid, IEnumerable<PollRow> polls)
    {
        var totals = (await grid.ReadAsync<TotalsRow>()).ToDictionary(t => t.PollId);
        var items = (await grid.ReadAsync<ItemRow>()).ToLookup(i => i.PollId);
        return polls.Where(p => p.State != PollStates.Draft)
            .ToDictionary(p => p.Id, p => Results(p, totals.GetValueOrDefault(p.Id) ?? new TotalsRow(), items[p.Id]));
    }

    private static PollResults Results(PollRow poll, TotalsRow totals, IEnumerable<ItemRow> rows)
    {
        var items = rows.Select(r => new PollItemCount(r.Item, (int)r.Screens, (int)r.People));
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
        public long PollId { get; init; }

        public string Item { get; init; } = "";

        public long Screens { get; init; }

        public long People { get; init; }
    }

    private sealed class TotalsRow
    {
        public long PollId { get; init; }

        public long Screens { get; init; }

        public long People { get; init; }

        public long Sequence { get; init; }
    }
}

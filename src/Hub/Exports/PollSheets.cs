using Dapper;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// The session's polls (those launched; drafts are not results) as two sheets: each poll's results
/// overall, a row per option, rating or word with screens and people both, and the same per agency.
/// "Share" is of the figure the poll was counted by (screens, or people), as the pages show it.
/// </summary>
internal static class PollSheets
{
    // The Polls feature's own row and columns: one reading of a polls row.
    private const string SelectPolls = "select " + Polls.PollBoard.PollColumns + """
         from polls where session_id = @sessionId and state <> 'draft'
        order by opened_at_ms, id
        """;

    private const string SelectTotals = """
        select a.poll_id as PollId, '' as AgencyName, count(*) as Screens, coalesce(sum(a.headcount), 0) as People
        from poll_answers a join polls p on p.id = a.poll_id join participants pa on pa.id = a.participant_id
        where p.session_id = @sessionId and pa.removed_at_ms is null
        group by a.poll_id
        """;

    private const string SelectItems = """
        select v.poll_id as PollId, '' as AgencyName, v.item as Item, count(*) as Screens, sum(v.weight) as People
        from poll_votes v join polls p on p.id = v.poll_id join participants pa on pa.id = v.participant_id
        where p.session_id = @sessionId and pa.removed_at_ms is null
        group by v.poll_id, v.item
        """;

    private const string SelectAgencyTotals = """
        select a.poll_id as PollId, g.name as AgencyName, count(*) as Screens, coalesce(sum(a.headcount), 0) as People
        from poll_answers a join polls p on p.id = a.poll_id
        join participants pa on pa.id = a.participant_id join agencies g on g.id = pa.agency_id
        where p.session_id = @sessionId and pa.removed_at_ms is null
        group by a.poll_id, g.name
        """;

    private const string SelectAgencyItems = """
        select v.poll_id as PollId, g.name as AgencyName, v.item as Item, count(*) as Screens, sum(v.weight) as People
        from poll_votes v join polls p on p.id = v.poll_id
        join participants pa on pa.id = v.participant_id join agencies g on g.id = pa.agency_id
        where p.session_id = @sessionId and pa.removed_at_ms is null
        group by v.poll_id, g.name, v.item
        """;

    private static readonly Column[] PollColumns =
    [
        new(new("序号", "No.")), new(new("问题", "Question")), new(new("类型", "Kind")), new(new("计票方式", "Counting")),
        new(new("结果公布", "Results shown")), new(new("发起时间", "Launched at")), new(new("结束时间", "Closed at")),
    ];

    private static readonly Column[] FigureColumns =
    [
        new(new("选项、评分或词语", "Option, rating or word")), new(new("作答屏幕数", "Screens")), new(new("代表人数", "People")),
        new(new("占比 %", "Share %")), new(new("全部作答屏幕", "All screens answering")), new(new("全部作答人数", "All people answering")),
    ];

    public static readonly SheetSpec Results = new("results", new("投票结果", "Results"), [.. PollColumns, .. FigureColumns]);

    public static readonly SheetSpec Agencies = new("agencies", new("按机构", "By agency"),
        [.. PollColumns[..3], new(new("机构", "Agency")), .. FigureColumns]);

    public static readonly SheetSpec[] Specs = [Results, Agencies];

    public static Words Kind(string kind) => kind switch
    {
        PollKinds.Single => new("单选", "Single choice"),
        PollKinds.Multiple => new("多选", "Multiple choice"),
        PollKinds.Rating => new("评分", "Rating"),
        _ => new("词语", "Words"),
    };

    public static Words Counting(string counting) => counting == PollCountings.People
        ? new("按人数加权", "Weighted by headcount")
        : new("每块屏幕一票", "One per screen");

    public static Words Shown(string results) => results == PollResultModes.Hidden
        ? new("结束后公布", "After closing")
        : new("实时公布", "Live");

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var args = new { sessionId = context.Session.Id };
        var connection = context.Connection;
        var polls = (await connection.QueryAsync<Polls.PollRow>(SelectPolls, args)).ToArray();
        var totals = (await connection.QueryAsync<FigureRow>(SelectTotals, args)).ToArray();
        var items = (await connection.QueryAsync<FigureRow>(SelectItems, args)).ToArray();
        var agencyTotals = (await connection.QueryAsync<FigureRow>(SelectAgencyTotals, args)).ToArray();
        var agencyItems = (await connection.QueryAsync<FigureRow>(SelectAgencyItems, args)).ToArray();
        var lang = context.Lang;
        var zone = context.Session.Zone;

        var results = new List<Cell[]>();
        var byAgency = new List<Cell[]>();
        foreach (var (poll, number) in polls.Select((p, i) => (p, i + 1)))
        {
            Cell[] head =
            [
                Cell.Of(number), Cell.Of(poll.Question), Cell.Of(Kind(poll.Kind).In(lang)), Cell.Of(Counting(poll.Counting).In(lang)),
                Cell.Of(Shown(poll.Results).In(lang)),
                Cell.At(poll.OpenedAtMs is { } o ? DateTimeOffset.FromUnixTimeMilliseconds(o) : null, zone),
                Cell.At(poll.ClosedAtMs is { } c ? DateTimeOffset.FromUnixTimeMilliseconds(c) : null, zone),
            ];
            var total = totals.FirstOrDefault(t => t.PollId == poll.Id) ?? new FigureRow();
            results.AddRange(Figures(poll, total, items.Where(i => i.PollId == poll.Id), lang).Select(f => head.Concat(f).ToArray()));
            foreach (var agency in agencyTotals.Where(t => t.PollId == poll.Id).OrderBy(t => t.AgencyName, StringComparer.Ordinal))
            {
                var agencyHead = head[..3].Append(Cell.Of(agency.AgencyName)).ToArray();
                byAgency.AddRange(Figures(poll, agency, agencyItems.Where(i => i.PollId == poll.Id && i.AgencyName == agency.AgencyName), lang)
                    .Select(f => agencyHead.Concat(f).ToArray()));
            }
        }

        return [new(Results, results), new(Agencies, byAgency)];
    }

    /// <summary>A row per option or rating (those nobody chose too), or per word given, most given first.</summary>
    private static IEnumerable<Cell[]> Figures(Polls.PollRow poll, FigureRow total, IEnumerable<FigureRow> counted, ExportLanguage lang)
    {
        var byItem = counted.ToDictionary(i => i.Item);
        IEnumerable<(string Item, string Label)> keys = poll.Kind switch
        {
            PollKinds.Single or PollKinds.Multiple => poll.OptionTexts.Select((o, i) => ($"{i}", o)),
            PollKinds.Rating => Enumerable.Range(1, 5).Select(r => ($"{r}", lang == ExportLanguage.En ? $"{r} stars" : $"{r} 星")),
            _ => byItem.Values.OrderByDescending(i => poll.Counting == PollCountings.People ? i.People : i.Screens)
                .ThenBy(i => i.Item, StringComparer.Ordinal).Select(i => (i.Item, i.Item)),
        };
        var basis = poll.Counting == PollCountings.People ? total.People : total.Screens;
        foreach (var (item, label) in keys)
        {
            var figure = byItem.GetValueOrDefault(item) ?? new FigureRow();
            var value = poll.Counting == PollCountings.People ? figure.People : figure.Screens;
            yield return
            [
                Cell.Of(label), Cell.Of(figure.Screens), Cell.Of(figure.People),
                basis > 0 ? Cell.Of(Math.Round(100m * value / basis, 1)) : Cell.Blank,
                Cell.Of(total.Screens), Cell.Of(total.People),
            ];
        }
    }

    // Setters rather than positional records: SQLite's computed columns have no declared type.
    private sealed class FigureRow
    {
        public long PollId { get; init; }

        public string AgencyName { get; init; } = "";

        public string Item { get; init; } = "";

        public long Screens { get; init; }

        public long People { get; init; }
    }
}

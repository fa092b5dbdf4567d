using Dapper;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// The session's questions, oldest first, with their votes. Whether a question was answered is not
/// recorded yet (issue 9 brings it); the column comes with it.
/// </summary>
internal static class QuestionSheets
{
    private const string SelectQuestions = """
        select q.text, a.name as AgencyName, p.display_name as DisplayName,
               (select count(*) from question_votes v where v.question_id = q.id) as Votes,
               q.asked_at_ms as AskedAtMs
        from questions q
        join participants p on p.id = q.participant_id
        join agencies a on a.id = p.agency_id
        where q.session_id = @sessionId and p.removed_at_ms is null
        order by q.asked_at_ms, q.id
        """;

    public static readonly SheetSpec Questions = new("questions", new("提问", "Questions"),
    [
        new(new("问题", "Question")), new(new("机构", "Agency")), new(new("显示名称", "Display name")),
        new(new("点赞数", "Votes")), new(new("提问时间", "Asked at")),
    ]);

    public static readonly SheetSpec[] Specs = [Questions];

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var rows = await context.Connection.QueryAsync<QuestionRow>(SelectQuestions, new { sessionId = context.Session.Id });
        var zone = context.Session.Zone;
        return
        [
            new(Questions, rows.Select(q => new[]
            {
                Cell.Of(q.Text), Cell.Of(q.AgencyName), Cell.Of(q.DisplayName), Cell.Of(q.Votes),
                Cell.At(DateTimeOffset.FromUnixTimeMilliseconds(q.AskedAtMs), zone),
            }).ToArray()),
        ];
    }

    /// <summary>The number of questions a session has (removed screens' questions are gone).</summary>
    internal const string CountQuestions = """
        select count(*) from questions q join participants p on p.id = q.participant_id
        where q.session_id = @sessionId and p.removed_at_ms is null
        """;

    // Properties, not a positional record: on SQLite an empty result types the count column as a blob,
    // and Dapper matches a record's constructor to the column types before it finds there are no rows.
    private sealed class QuestionRow
    {
        public string Text { get; init; } = "";

        public string AgencyName { get; init; } = "";

        public string DisplayName { get; init; } = "";

        public long Votes { get; init; }

        public long AskedAtMs { get; init; }
    }
}

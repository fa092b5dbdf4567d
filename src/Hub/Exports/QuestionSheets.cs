using Dapper;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// The session's questions, oldest first: status, votes, the written reply, times, and the asker's agency
/// even for anonymous questions (anonymous to other viewers only; the organiser sees who asked).
/// </summary>
internal static class QuestionSheets
{
    private const string SelectQuestions = """
        select q.text, a.name as AgencyName, p.display_name as DisplayName,
               (select count(*) from question_votes v where v.question_id = q.id) as Votes,
               q.asked_at_ms as AskedAtMs, a.city as City, q.status as Status, q.anonymous as Anonymous,
               q.reply as Reply, q.replied_at_ms as RepliedAtMs, q.answered_at_ms as AnsweredAtMs,
               cast(case when s.pinned_question_id = q.id then 1 else 0 end as bigint) as Pinned
        from questions q
        join sessions s on s.id = q.session_id
        join participants p on p.id = q.participant_id
        join agencies a on a.id = p.agency_id
        where q.session_id = @sessionId and p.removed_at_ms is null
        order by q.asked_at_ms, q.id
        """;

    public static readonly SheetSpec Questions = new("questions", new("提问", "Questions"),
    [
        new(new("问题", "Question")), new(new("机构", "Agency")), new(new("城市", "City")), new(new("显示名称", "Display name")),
        new(new("匿名", "Anonymous")), new(new("状态", "Status")), new(new("点赞数", "Votes")), new(new("置顶", "Pinned")),
        new(new("提问时间", "Asked at")), new(new("回答时间", "Answered at")), new(new("书面回复", "Reply")), new(new("回复时间", "Replied at")),
    ]);

    private static readonly Words Yes = new("是", "Yes");
    private static readonly Words No = new("否", "No");

    /// <summary>The same words as the moderator page's filters (src/Web/src/i18n, mod.status.*).</summary>
    internal static Words Status(string status) => status switch
    {
        Shared.QuestionStatuses.Pending => new("待审核", "Pending"),
        Shared.QuestionStatuses.Live => new("已显示", "Shown"),
        Shared.QuestionStatuses.Answered => new("已回答", "Answered"),
        Shared.QuestionStatuses.Dismissed => new("已驳回", "Dismissed"),
        Shared.QuestionStatuses.Withdrawn => new("已撤回", "Withdrawn"),
        _ => new(status, status),
    };

    public static readonly SheetSpec[] Specs = [Questions];

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var rows = await context.Connection.QueryAsync<QuestionRow>(SelectQuestions, new { sessionId = context.Session.Id });
        var zone = context.Session.Zone;
        var lang = context.Lang;
        return
        [
            new(Questions, rows.Select(q => new[]
            {
                Cell.Of(q.Text), Cell.Of(q.AgencyName), Cell.Of(q.City), Retention.PersonalData.Shown(q.DisplayName, lang),
                Cell.Of((q.Anonymous != 0 ? Yes : No).In(lang)), Cell.Of(Status(q.Status).In(lang)), Cell.Of(q.Votes),
                Cell.Of((q.Pinned != 0 ? Yes : No).In(lang)),
                Cell.At(DateTimeOffset.FromUnixTimeMilliseconds(q.AskedAtMs), zone),
                Cell.At(At(q.AnsweredAtMs), zone), Cell.Of(q.Reply ?? ""), Cell.At(At(q.RepliedAtMs), zone),
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

        public string City { get; init; } = "";

        public string Status { get; init; } = "";

        public long Anonymous { get; init; }

        public string? Reply { get; init; }

        public long? RepliedAtMs { get; init; }

        public long? AnsweredAtMs { get; init; }

        public long Pinned { get; init; }
    }

    private static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}

using LiveExchange.Hub.Feedback;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// Feedback as two sheets: every response with its answers (one column per question of the session's
/// form, so the sheet's columns follow the form), and the summary the organiser page shows: per question
/// the responses, people, both averages, and each rating or option with its count.
/// </summary>
internal static class FeedbackSheets
{
    private static readonly Column[] ResponseColumns =
    [
        new(new("机构", "Agency")), new(new("城市", "City")), new(new("显示名称", "Display name")),
        new(new("代表人数", "Speaks for")), new(new("提交时间", "Submitted at")), new(new("最后修改", "Last changed")),
    ];

    /// <summary>The fixed columns; a built sheet adds one per question.</summary>
    public static readonly SheetSpec Responses = new("responses", new("反馈明细", "Responses"), ResponseColumns);

    public static readonly SheetSpec Summary = new("summary", new("反馈汇总", "Summary"),
    [
        new(new("题号", "No.")), new(new("问题", "Question")), new(new("评分或选项", "Rating or option")),
        new(new("回答数", "Responses")), new(new("代表人数", "People")),
        new(new("平均分", "Average")), new(new("按人数加权平均", "Average per person")),
    ]);

    public static readonly SheetSpec[] Specs = [Responses, Summary];

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var lang = context.Lang == ExportLanguage.En ? "en" : "zh";
        var zone = context.Session.Zone;
        var report = await FeedbackResponsesReport.LoadAsync(context.Connection, context.Session.Id);
        var questions = report.Questions;
        var responses = Responses with
        {
            Columns = [.. ResponseColumns, .. questions.Select(q => new Column(new($"{q.Number}. {q.TextZh}", $"{q.Number}. {q.TextEn}")))],
        };
        var responseRows = report.Responses.Select(r =>
        {
            var answers = r.Answers.ToDictionary(a => a.Question);
            return new[]
            {
                Cell.Of(r.AgencyName), Cell.Of(r.City), Retention.PersonalData.Shown(r.DisplayName, lang), Cell.Of(r.SpeaksFor),
                Cell.At(r.SubmittedAt, zone), Cell.At(r.UpdatedAt, zone),
            }.Concat(questions.Select(q => answers.TryGetValue(q.Number, out var a) ? Answer(q, a, lang) : Cell.Blank)).ToArray();
        }).ToArray();

        var results = await FeedbackResults.LoadAsync(context.Connection, context.Session.Id, context.FeedbackWindows);
        // First the whole: how many responded, for how many people.
        List<Cell[]> summaryRows =
        [
            [Cell.Blank, Cell.Of(context.Lang == ExportLanguage.En ? "All responses" : "全部反馈"), Cell.Blank,
                Cell.Of(results.Responses), Cell.Of(results.People), Cell.Blank, Cell.Blank],
        ];
        foreach (var q in results.Questions)
        {
            summaryRows.Add([Cell.Of(q.Number), Cell.Of(lang == "en" ? q.TextEn : q.TextZh), Cell.Blank, Cell.Of(q.Answered), Cell.Of(q.AnsweredPeople),
                Average(q.Average), Average(q.AveragePerPerson)]);
            foreach (var bar in q.Distribution)
            {
                var label = bar.Rating is { } rating ? rating.ToString(System.Globalization.CultureInfo.InvariantCulture) : (lang == "en" ? bar.TextEn : bar.TextZh) ?? "";
                summaryRows.Add([Cell.Of(q.Number), Cell.Blank, Cell.Of(label), Cell.Of(bar.Responses), Cell.Of(bar.People), Cell.Blank, Cell.Blank]);
            }
        }

        return [new(responses, responseRows), new(Summary, summaryRows)];
    }

    private static Cell Average(double? value) => value is { } v ? Cell.Of((decimal)Math.Round(v, 2)) : Cell.Blank;

    /// <summary>A rating as a number; chosen options as their words (several joined); a text as typed.</summary>
    private static Cell Answer(FeedbackQuestion question, FeedbackAnswer answer, string lang)
    {
        if (answer.Rating is { } rating)
        {
            return Cell.Of(rating);
        }

        if (answer.Options.Length > 0)
        {
            var words = question.Options.Where(o => answer.Options.Contains(o.Number)).Select(o => lang == "en" ? o.TextEn : o.TextZh);
            return Cell.Of(string.Join(lang == "en" ? "; " : "；", words));
        }

        return answer.Text is { } text ? Retention.PersonalData.Shown(text, lang) : Cell.Blank;
    }
}

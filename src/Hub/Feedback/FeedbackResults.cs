using System.Data.Common;
using Dapper;

namespace LiveExchange.Hub.Feedback;

/// <summary>
/// One bar of a question's distribution: a rating (1..5) or an option, with how many responses chose it
/// and how many people those responses speak for.
/// </summary>
public sealed record FeedbackBar(int? Rating, int? Option, string? TextZh, string? TextEn, int Responses, int People);

/// <summary>A free-text answer with who gave it.</summary>
public sealed record FeedbackText(long ResponseId, string AgencyName, string DisplayName, int SpeaksFor, string Text, DateTimeOffset At);

/// <summary>
/// One question's results. <see cref="Answered"/>: responses that answered it (<see cref="AnsweredPeople"/>:
/// the people they speak for). For ratings, <see cref="Average"/> counts each response once and
/// <see cref="AveragePerPerson"/> weights each by the people it speaks for (both rounded to 2 decimals,
/// null while nobody answered). <see cref="Distribution"/>: every rating 1..5 or every option, in order.
/// </summary>
public sealed record FeedbackQuestionResult(
    int Number,
    string Kind,
    string TextZh,
    string TextEn,
    bool Required,
    int Answered,
    int AnsweredPeople,
    double? Average,
    double? AveragePerPerson,
    FeedbackBar[] Distribution,
    FeedbackText[] Texts);

/// <summary>
/// The organiser's results (also the exports' summary sheet): responses, the people they speak for, and
/// per question counts, averages, distribution and free texts. Responses of participants the organiser
/// removed are left out.
/// </summary>
public sealed record FeedbackResults(long SessionId, FeedbackWindow Window, int Responses, int People, FeedbackQuestionResult[] Questions)
{
    // Starts with a line break: it is glued after a select list.
    private const string Counted = """

        from feedback_answers a
        join feedback_responses r on r.id = a.response_id
        join participants p on p.id = r.participant_id
        join feedback_questions q on q.id = a.question_id
        """;

    private const string SelectTotals = """
        select count(*) as Responses, cast(coalesce(sum(r.speaks_for), 0) as bigint) as People
        from feedback_responses r join participants p on p.id = r.participant_id
        where r.session_id = @sessionId and p.removed_at_ms is null
        """;

    private const string SelectBars = """
        select q.position as Question, a.rating as Rating, o.position as OptionNumber,
               count(*) as Responses, cast(sum(r.speaks_for) as bigint) as People
        """ + Counted + """

        left join feedback_options o on o.id = a.option_id
        where r.session_id = @sessionId and p.removed_at_ms is null and a.text is null
        group by q.position, a.rating, o.position
        """;

    private const string SelectAnswered = """
        select x.position as Question, count(*) as Responses, cast(sum(x.speaks_for) as bigint) as People
        from (select distinct q.position, r.id, r.speaks_for
        """ + Counted + """

              where r.session_id = @sessionId and p.removed_at_ms is null) x
        group by x.position
        """;

    private const string SelectTexts = """
        select q.position as Question, r.id as ResponseId, ag.name as AgencyName, p.display_name as DisplayName,
               r.speaks_for as SpeaksFor, a.text as Text, r.updated_at_ms as AtMs
        """ + Counted + """

        join agencies ag on ag.id = p.agency_id
        where r.session_id = @sessionId and p.removed_at_ms is null and a.text is not null
        order by r.updated_at_ms, r.id
        """;

    private sealed record Totals(long Responses, long People);

    // Classes with setters, not positional records: on SQLite a computed column (count, sum) has no declared
    // type, and Dapper matches record constructors by the reader's types even when no row comes back.
    private sealed class BarRow
    {
        public long Question { get; init; }

        public long? Rating { get; init; }

        public long? OptionNumber { get; init; }

        public long Responses { get; init; }

        public long People { get; init; }
    }

    private sealed class AnsweredRow
    {
        public long Question { get; init; }

        public long Responses { get; init; }

        public long People { get; init; }
    }

    private sealed record TextRow(long Question, long ResponseId, string AgencyName, string DisplayName, long SpeaksFor, string Text, long AtMs);

    internal static async Task<FeedbackResults> LoadAsync(DbConnection connection, long sessionId, FeedbackWindows windows, DbTransaction? tx = null)
    {
        var window = await windows.LoadAsync(connection, sessionId, tx);
        var questions = await FeedbackForms.LoadAsync(connection, sessionId, tx);
        var args = new { sessionId };
        var totals = await connection.QuerySingleAsync<Totals>(SelectTotals, args, tx);
        var bars = (await connection.QueryAsync<BarRow>(SelectBars, args, tx)).ToLookup(b => (int)b.Question);
        var answered = (await connection.QueryAsync<AnsweredRow>(SelectAnswered, args, tx)).ToDictionary(a => (int)a.Question);
        var texts = (await connection.QueryAsync<TextRow>(SelectTexts, args, tx)).ToLookup(t => (int)t.Question);
        var limits = FeedbackLimits.Current;

        var results = questions.Select(q =>
        {
            var own = bars[q.Number].ToArray();
            FeedbackBar[] distribution = q.Kind switch
            {
                FeedbackKinds.Rating => Enumerable.Range(limits.RatingMin, limits.RatingMax - limits.RatingMin + 1).Select(rating =>
                {
                    var b = own.FirstOrDefault(x => x.Rating == rating);
                    return new FeedbackBar(rating, null, null, null, (int)(b?.Responses ?? 0), (int)(b?.People ?? 0));
                }).ToArray(),
                _ when FeedbackKinds.HasOptions(q.Kind) => q.Options.Select(o =>
                {
                    var b = own.FirstOrDefault(x => x.OptionNumber == o.Number);
                    return new FeedbackBar(null, o.Number, o.TextZh, o.TextEn, (int)(b?.Responses ?? 0), (int)(b?.People ?? 0));
                }).ToArray(),
                _ => [],
            };
            double? average = null, perPerson = null;
            if (q.Kind == FeedbackKinds.Rating && distribution.Sum(b => b.Responses) is var n and > 0)
            {
                average = Round(distribution.Sum(b => (double)b.Rating!.Value * b.Responses) / n);
                var people = distribution.Sum(b => b.People);
                perPerson = people > 0 ? Round(distribution.Sum(b => (double)b.Rating!.Value * b.People) / people) : null;
            }

            var a = answered.GetValueOrDefault(q.Number);
            return new FeedbackQuestionResult(q.Number, q.Kind, q.TextZh, q.TextEn, q.Required,
                (int)(a?.Responses ?? 0), (int)(a?.People ?? 0), average, perPerson, distribution,
                texts[q.Number].Select(t => new FeedbackText(t.ResponseId, t.AgencyName, t.DisplayName, (int)t.SpeaksFor, t.Text,
                    DateTimeOffset.FromUnixTimeMilliseconds(t.AtMs))).ToArray());
        }).ToArray();
        return new FeedbackResults(sessionId, window, (int)totals.Responses, (int)totals.People, results);
    }

    private static double Round(double value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);
}

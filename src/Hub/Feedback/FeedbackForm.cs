using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Problems;

namespace LiveExchange.Hub.Feedback;

public static class FeedbackKinds
{
    public const string Rating = "rating";
    public const string Single = "single";
    public const string Multiple = "multiple";
    public const string Text = "text";

    public static readonly string[] All = [Rating, Single, Multiple, Text];

    public static bool HasOptions(string kind) => kind is Single or Multiple;
}

/// <summary>The limits a form and an answer are held to; the UI shows these, not copies of them.</summary>
public sealed record FeedbackLimits(
    int MaxQuestions,
    int QuestionTextMax,
    int MinOptions,
    int MaxOptions,
    int OptionTextMax,
    int AnswerTextMax,
    int RatingMin,
    int RatingMax,
    int SpeaksForMax)
{
    public static readonly FeedbackLimits Current = new(
        MaxQuestions: 12,
        QuestionTextMax: 300,
        MinOptions: 2,
        MaxOptions: 10,
        OptionTextMax: 100,
        AnswerTextMax: 2000,
        RatingMin: 1,
        RatingMax: 5,
        SpeaksForMax: Joining.JoinEndpoints.HeadcountMax);
}

/// <summary>An option of a choice question; numbered from 1 in the order shown.</summary>
public sealed record FeedbackOption(int Number, string TextZh, string TextEn);

/// <summary>
/// A question, numbered from 1 in the order shown. Both texts are filled: one the organiser left empty
/// shows the other language's.
/// </summary>
public sealed record FeedbackQuestion(int Number, string Kind, string TextZh, string TextEn, bool Required, FeedbackOption[] Options)
{
    public string Text(string lang) => lang == "en" ? TextEn : TextZh;
}

public sealed record FeedbackOptionInput(string? TextZh, string? TextEn);

public sealed record FeedbackQuestionInput(string? Kind, string? TextZh, string? TextEn, bool Required, FeedbackOptionInput[]? Options);

/// <summary>The organiser's form: the questions in order.</summary>
public sealed record FeedbackFormInput(FeedbackQuestionInput[]? Questions);

/// <summary>A stored question with the ids its answers point at.</summary>
internal sealed record StoredQuestion(long Id, FeedbackQuestion Question, long[] OptionIds);

/// <summary>
/// A session's form: the organiser's own once saved, else the default for peer-learning sessions.
/// The default is written down (<see cref="EnsureStoredAsync"/>) when the first response arrives, so
/// answers always point at rows; from then on the form is frozen.
/// </summary>
internal static class FeedbackForms
{
    /// <summary>The default form, in both languages: overall, usefulness, what we will apply, what to improve.</summary>
    public static readonly FeedbackQuestion[] Default =
    [
        new(1, FeedbackKinds.Rating, "总体而言，您对本场交流的评价是？", "Overall, how would you rate this session?", true, []),
        new(2, FeedbackKinds.Rating, "本场交流对我们自己的工作有多大帮助？", "How useful was it for our own work?", true, []),
        new(3, FeedbackKinds.Text, "我们会把哪些做法用到自己的工作中？", "What will we apply in our own work?", false, []),
        new(4, FeedbackKinds.Text, "您认为本场交流有哪些可以改进的地方？", "What could be improved?", false, []),
    ];

    private const string SelectQuestions = """
        select id, position, kind, text_zh as TextZh, text_en as TextEn, required
        from feedback_questions where session_id = @sessionId order by position
        """;

    private const string SelectOptions = """
        select o.id, o.question_id as QuestionId, o.position, o.text_zh as TextZh, o.text_en as TextEn
        from feedback_options o join feedback_questions q on q.id = o.question_id
        where q.session_id = @sessionId order by o.question_id, o.position
        """;

    private const string InsertQuestion = """
        insert into feedback_questions (session_id, position, kind, text_zh, text_en, required)
        values (@sessionId, @position, @kind, @textZh, @textEn, @required)
        returning id
        """;

    private const string InsertOption = """
        insert into feedback_options (question_id, position, text_zh, text_en)
        values (@questionId, @position, @textZh, @textEn)
        returning id
        """;

    private const string DeleteOptions = """
        delete from feedback_options where question_id in (select id from feedback_questions where session_id = @sessionId)
        """;

    private const string DeleteQuestions = "delete from feedback_questions where session_id = @sessionId";

    private sealed record QuestionRow(long Id, long Position, string Kind, string TextZh, string TextEn, long Required);

    private sealed record OptionRow(long Id, long QuestionId, long Position, string TextZh, string TextEn);

    /// <summary>The session's form as respondents see it.</summary>
    public static async Task<FeedbackQuestion[]> LoadAsync(DbConnection connection, long sessionId, DbTransaction? tx = null) =>
        await LoadStoredAsync(connection, sessionId, tx) is { Length: > 0 } stored ? stored.Select(s => s.Question).ToArray() : Default;

    /// <summary>The questions written down for the session (none while the default has not been used).</summary>
    public static async Task<StoredQuestion[]> LoadStoredAsync(DbConnection connection, long sessionId, DbTransaction? tx = null)
    {
        var questions = await connection.QueryAsync<QuestionRow>(SelectQuestions, new { sessionId }, tx);
        var options = (await connection.QueryAsync<OptionRow>(SelectOptions, new { sessionId }, tx)).ToLookup(o => o.QuestionId);
        return questions.Select(q =>
        {
            var own = options[q.Id].OrderBy(o => o.Position).ToArray();
            return new StoredQuestion(q.Id,
                new FeedbackQuestion((int)q.Position, q.Kind, Either(q.TextZh, q.TextEn), Either(q.TextEn, q.TextZh), q.Required != 0,
                    own.Select(o => new FeedbackOption((int)o.Position, Either(o.TextZh, o.TextEn), Either(o.TextEn, o.TextZh))).ToArray()),
                own.Select(o => o.Id).ToArray());
        }).ToArray();
    }

    /// <summary>The stored form, writing the default down first if nothing is stored (inside the caller's write transaction).</summary>
    public static async Task<StoredQuestion[]> EnsureStoredAsync(DbConnection connection, long sessionId, DbTransaction tx)
    {
        var stored = await LoadStoredAsync(connection, sessionId, tx);
        if (stored.Length > 0)
        {
            return stored;
        }

        await InsertAsync(connection, sessionId, Default, tx);
        return await LoadStoredAsync(connection, sessionId, tx);
    }

    /// <summary>Replaces the session's questions (the caller has checked that no response exists).</summary>
    public static async Task ReplaceAsync(DbConnection connection, long sessionId, FeedbackQuestion[] questions, DbTransaction tx)
    {
        await connection.ExecuteAsync(DeleteOptions, new { sessionId }, tx);
        await connection.ExecuteAsync(DeleteQuestions, new { sessionId }, tx);
        await InsertAsync(connection, sessionId, questions, tx);
    }

    private static async Task InsertAsync(DbConnection connection, long sessionId, FeedbackQuestion[] questions, DbTransaction tx)
    {
        foreach (var q in questions)
        {
            var questionId = await connection.QuerySingleAsync<long>(InsertQuestion, new
            {
                sessionId,
                position = (long)q.Number,
                kind = q.Kind,
                textZh = q.TextZh,
                textEn = q.TextEn,
                required = q.Required ? 1L : 0L,
            }, tx);
            foreach (var o in q.Options)
            {
                await connection.QuerySingleAsync<long>(InsertOption,
                    new { questionId, position = (long)o.Number, textZh = o.TextZh, textEn = o.TextEn }, tx);
            }
        }
    }

    /// <summary>
    /// Checks the organiser's form and returns it numbered. A text the organiser left empty in one
    /// language is stored empty and shown in the other language (<see cref="Either"/>).
    /// </summary>
    public static FeedbackQuestion[] Validate(FeedbackFormInput body)
    {
        var limits = FeedbackLimits.Current;
        var input = body.Questions ?? [];
        if (input.Length == 0 || input.Length > limits.MaxQuestions)
        {
            throw ExchangeProblem.BadRequest("validation", $"A form has 1 to {limits.MaxQuestions} questions.");
        }

        return input.Select((q, i) =>
        {
            var field = $"questions[{i + 1}]";
            var kind = q.Kind?.Trim().ToLowerInvariant() ?? "";
            if (!FeedbackKinds.All.Contains(kind))
            {
                throw ExchangeProblem.BadRequest("validation", $"{field}.kind must be one of {string.Join(", ", FeedbackKinds.All)}.");
            }

            var (zh, en) = Texts(q.TextZh, q.TextEn, field, limits.QuestionTextMax);
            var options = q.Options ?? [];
            if (FeedbackKinds.HasOptions(kind) && (options.Length < limits.MinOptions || options.Length > limits.MaxOptions))
            {
                throw ExchangeProblem.BadRequest("validation", $"{field} needs {limits.MinOptions} to {limits.MaxOptions} options.");
            }

            if (!FeedbackKinds.HasOptions(kind) && options.Length > 0)
            {
                throw ExchangeProblem.BadRequest("validation", $"{field} is a {kind} question and takes no options.");
            }

            return new FeedbackQuestion(i + 1, kind, zh, en, q.Required, options.Select((o, j) =>
            {
                var (ozh, oen) = Texts(o.TextZh, o.TextEn, $"{field}.options[{j + 1}]", limits.OptionTextMax);
                return new FeedbackOption(j + 1, ozh, oen);
            }).ToArray());
        }).ToArray();
    }

    private static (string Zh, string En) Texts(string? zh, string? en, string field, int max)
    {
        var textZh = Check.Text(zh, $"{field}.textZh", max, minLength: 0);
        var textEn = Check.Text(en, $"{field}.textEn", max, minLength: 0);
        textZh = Check.HasVisible(textZh) ? textZh : "";
        textEn = Check.HasVisible(textEn) ? textEn : "";
        if (textZh.Length == 0 && textEn.Length == 0)
        {
            throw ExchangeProblem.BadRequest("validation", $"{field} needs its text in Chinese or English.");
        }

        return (textZh, textEn);
    }

    private static string Either(string preferred, string other) => preferred.Length > 0 ? preferred : other;
}

using System.Data.Common;
using Dapper;

namespace LiveExchange.Hub.Feedback;

/// <summary>
/// An answer to question <see cref="Question"/> (its number): a rating, the chosen options' numbers
/// (one for a single choice), or a text.
/// </summary>
public sealed record FeedbackAnswer(int Question, int? Rating, int[] Options, string? Text);

/// <summary>A participant's response as it stands (times in UTC).</summary>
public sealed record FeedbackResponse(long Id, long ParticipantId, int SpeaksFor, DateTimeOffset SubmittedAt, DateTimeOffset UpdatedAt, FeedbackAnswer[] Answers);

/// <summary>A response with who gave it: a row of the exports' responses sheet.</summary>
public sealed record FeedbackResponseRow(
    long ResponseId,
    long ParticipantId,
    string AgencyName,
    string City,
    string DisplayName,
    int SpeaksFor,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt,
    FeedbackAnswer[] Answers);

/// <summary>
/// Every response of a session with its answers, in the order they came, and the questions they
/// answer (the responses sheet of the exports). Removed participants' responses are left out.
/// </summary>
public sealed record FeedbackResponsesReport(long SessionId, FeedbackQuestion[] Questions, FeedbackResponseRow[] Responses)
{
    private const string SelectResponses = """
        select r.id as ResponseId, r.participant_id as ParticipantId, ag.name as AgencyName, ag.city as City,
               p.display_name as DisplayName, r.speaks_for as SpeaksFor, r.submitted_at_ms as SubmittedAtMs, r.updated_at_ms as UpdatedAtMs
        from feedback_responses r
        join participants p on p.id = r.participant_id
        join agencies ag on ag.id = p.agency_id
        where r.session_id = @sessionId and p.removed_at_ms is null
        order by r.submitted_at_ms, r.id
        """;

    private sealed record ResponseRow(long ResponseId, long ParticipantId, string AgencyName, string City, string DisplayName,
        long SpeaksFor, long SubmittedAtMs, long UpdatedAtMs);

    internal static async Task<FeedbackResponsesReport> LoadAsync(DbConnection connection, long sessionId, DbTransaction? tx = null)
    {
        var questions = await FeedbackForms.LoadAsync(connection, sessionId, tx);
        var rows = (await connection.QueryAsync<ResponseRow>(SelectResponses, new { sessionId }, tx)).ToArray();
        var answers = await FeedbackAnswers.LoadAsync(connection, sessionId, tx);
        return new FeedbackResponsesReport(sessionId, questions, rows.Select(r => new FeedbackResponseRow(
            r.ResponseId, r.ParticipantId, r.AgencyName, r.City, r.DisplayName, (int)r.SpeaksFor,
            DateTimeOffset.FromUnixTimeMilliseconds(r.SubmittedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAtMs),
            answers[r.ResponseId].ToArray())).ToArray());
    }
}

/// <summary>Answers read back per response, with question and option numbers rather than row ids.</summary>
internal static class FeedbackAnswers
{
    private const string SelectOfSession = """
        select a.response_id as ResponseId, q.position as Question, o.position as OptionNumber, a.rating as Rating, a.text as Text
        from feedback_answers a
        join feedback_responses r on r.id = a.response_id
        join feedback_questions q on q.id = a.question_id
        left join feedback_options o on o.id = a.option_id
        where r.session_id = @sessionId
        order by a.response_id, q.position, o.position
        """;

    private const string SelectOfResponse = """
        select a.response_id as ResponseId, q.position as Question, o.position as OptionNumber, a.rating as Rating, a.text as Text
        from feedback_answers a
        join feedback_questions q on q.id = a.question_id
        left join feedback_options o on o.id = a.option_id
        where a.response_id = @responseId
        order by q.position, o.position
        """;

    private sealed record AnswerRow(long ResponseId, long Question, long? OptionNumber, long? Rating, string? Text);

    /// <summary>Every answer of the session, by response id.</summary>
    public static async Task<ILookup<long, FeedbackAnswer>> LoadAsync(DbConnection connection, long sessionId, DbTransaction? tx) =>
        Group(await connection.QueryAsync<AnswerRow>(SelectOfSession, new { sessionId }, tx));

    /// <summary>One response's answers.</summary>
    public static async Task<FeedbackAnswer[]> LoadOneAsync(DbConnection connection, long responseId, DbTransaction? tx) =>
        Group(await connection.QueryAsync<AnswerRow>(SelectOfResponse, new { responseId }, tx))[responseId].ToArray();

    private static ILookup<long, FeedbackAnswer> Group(IEnumerable<AnswerRow> rows) => rows
        .GroupBy(a => (a.ResponseId, a.Question))
        .Select(g => (g.Key.ResponseId, Answer: new FeedbackAnswer((int)g.Key.Question, (int?)g.First().Rating,
            g.Where(a => a.OptionNumber is not null).Select(a => (int)a.OptionNumber!.Value).ToArray(), g.First().Text)))
        .ToLookup(x => x.ResponseId, x => x.Answer);
}

using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Questions;

/// <summary>Viewers' questions and their upvotes: one vote per viewer per question, enforced by the key.</summary>
public sealed class QuestionBoard(Database database, LiveChanges changes, VoteFanout votes, TimeProvider clock)
{
    public const int TextMax = 300;
    public const int PerMinute = 5;

    /// <summary>Questions per session: every snapshot carries them all.</summary>
    public const int PerSession = 500;

    private const string CountSession = "select count(*) from questions where session_id = @sessionId";

    private const string CountRecent = """
        select count(*) from questions where participant_id = @participantId and asked_at_ms > @sinceMs
        """;

    private const string Insert = """
        insert into questions (session_id, participant_id, text, asked_at_ms)
        values (@sessionId, @participantId, @text, @askedAtMs)
        returning id
        """;

    private const string SelectTarget = "select participant_id, session_id from questions where id = @questionId";

    private const string InsertVote = """
        insert into question_votes (question_id, participant_id, voted_at_ms) values (@questionId, @participantId, @now)
        on conflict (question_id, participant_id) do nothing
        """;

    private const string CountVotes = "select count(*) from question_votes where question_id = @questionId";

    public async Task<QuestionView> AskAsync(ExchangeCaller viewer, string? text)
    {
        var trimmed = Check.Normalise(text, "question", multiline: true);
        if (!Check.HasVisible(trimmed))
        {
            throw ExchangeProblem.BadRequest("question_empty", "Write a question first.");
        }

        if (trimmed.Length > TextMax)
        {
            throw ExchangeProblem.BadRequest("question_too_long", $"A question can be at most {TextMax} characters.");
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        // The questions stream's bump comes first and locks its row, so two questions sent at once are
        // counted against the limits one after the other.
        var asked = await changes.CommitAsync(viewer.SessionId, LiveStreams.Questions, async (connection, tx, version) =>
        {
            var recent = await connection.ExecuteScalarAsync<long>(CountRecent,
                new { participantId = viewer.ParticipantId, sinceMs = now - 60_000 }, tx);
            if (recent >= PerMinute)
            {
                throw ExchangeProblem.TooMany("question_rate_limited", $"At most {PerMinute} questions a minute; wait a moment.");
            }

            if (await connection.ExecuteScalarAsync<long>(CountSession, new { sessionId = viewer.SessionId }, tx) >= PerSession)
            {
                throw ExchangeProblem.Conflict("question_limit", $"This session has reached its {PerSession} questions.");
            }

            var id = await connection.QuerySingleAsync<long>(Insert,
                new { sessionId = viewer.SessionId, participantId = viewer.ParticipantId, text = trimmed, askedAtMs = now }, tx);
            var row = await connection.QuerySingleAsync<QuestionRow>(SessionSnapshots.SelectQuestions + " where q.id = @id", new { id }, tx);
            return new QuestionAsked(version, row.ToView());
        }, (clients, asked) => clients.QuestionAsked(asked));
        return asked.Question;
    }

    /// <summary>
    /// A vote is one insert, refused by the primary key when repeated. No transaction and no counter
    /// row to lock: a whole session can vote at once without queueing behind one popular question.
    /// </summary>
    public async Task<VoteCount> UpvoteAsync(ExchangeCaller viewer, long questionId)
    {
        await using var connection = await database.OpenAsync();
        var target = await connection.QuerySingleOrDefaultAsync<(long ParticipantId, long SessionId)?>(SelectTarget, new { questionId });
        if (target is not { } t || t.SessionId != viewer.SessionId)
        {
            throw ExchangeProblem.NotFound("question_not_found", "That question no longer exists.");
        }

        if (t.ParticipantId == viewer.ParticipantId)
        {
            throw ExchangeProblem.BadRequest("own_question", "You cannot upvote your own question.");
        }

        var inserted = await connection.ExecuteAsync(InsertVote,
            new { questionId, participantId = viewer.ParticipantId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        if (inserted == 0)
        {
            throw ExchangeProblem.Conflict("already_voted", "You have already upvoted this question.");
        }

        var count = await connection.ExecuteScalarAsync<long>(CountVotes, new { questionId });
        votes.Changed(viewer.SessionId, questionId);
        return new VoteCount(questionId, (int)count);
    }
}

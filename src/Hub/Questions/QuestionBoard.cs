using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Questions;

/// <summary>Viewers' questions and their upvotes: one vote per viewer per question, enforced by the key.</summary>
public sealed class QuestionBoard(Database database, LiveChanges changes, VoteFanout votes, TimeProvider clock, IConfiguration configuration)
{
    /// <summary>Questions:VotesPerAgency (default <see cref="VotesPerAgency"/>); the benchmark, one agency voting thousands of times, raises it.</summary>
    private readonly int _votesPerAgency = configuration.GetValue("Questions:VotesPerAgency", VotesPerAgency);

    /// <summary>Questions:PerAgency: a fixed share per agency instead of the computed one.</summary>
    private readonly int? _perAgency = configuration.GetValue<int?>("Questions:PerAgency");

    public const int TextMax = 300;
    public const int PerMinute = 5;

    /// <summary>Questions per session: every snapshot carries them all.</summary>
    public const int PerSession = 500;

    /// <summary>Questions one participant (one screen) may ask in a session.</summary>
    public const int PerParticipant = 30;

    /// <summary>
    /// The least share of the session's questions an agency gets; with few agencies each gets more
    /// (PerSession divided among them). No one agency, however many screens it joins, fills the list.
    /// </summary>
    public const int PerAgencyAtLeast = 50;

    /// <summary>Votes one agency's screens may give one question: a room of phones counts, a script does not.</summary>
    public const int VotesPerAgency = 10;

    private const string CountParticipant = "select count(*) from questions where participant_id = @participantId";

    private const string CountAgency = """
        select count(*) from questions q join participants p on p.id = q.participant_id
        where q.session_id = @sessionId and p.agency_id = @agencyId
        """;

    private const string CountAgencies = "select count(*) + 1 from session_invitations where session_id = @sessionId";

    private const string CountAgencyVotes = """
        select count(*) from question_votes v join participants p on p.id = v.participant_id
        where v.question_id = @questionId and p.agency_id = @agencyId
        """;

    private const string CountSession = "select count(*) from questions where session_id = @sessionId";

    private const string CountRecent = """
        select count(*) from questions where participant_id = @participantId and asked_at_ms > @sinceMs
        """;

    private const string Insert = """
        insert into questions (session_id, participant_id, text, asked_at_ms, client_key)
        values (@sessionId, @participantId, @text, @askedAtMs, @clientKey)
        returning id
        """;

    private const string SelectByKey = "select id from questions where participant_id = @participantId and client_key = @clientKey";

    public const int ClientKeyMax = 64;

    private const string SelectTarget = "select participant_id, session_id from questions where id = @questionId";

    private const string InsertVote = """
        insert into question_votes (question_id, participant_id, voted_at_ms) values (@questionId, @participantId, @now)
        on conflict (question_id, participant_id) do nothing
        """;

    private const string CountVotes = "select count(*) from question_votes where question_id = @questionId";

    /// <summary>
    /// Asks a question. With a client key, asking again with the same key (a retry after a dropped
    /// link or a database restart, when the client cannot know whether the first try was stored)
    /// returns the question stored the first time and stores nothing.
    /// </summary>
    public async Task<QuestionView> AskAsync(ExchangeCaller viewer, string? text, string? clientKey = null)
    {
        if (clientKey is not null && (clientKey.Length is 0 or > ClientKeyMax || !clientKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw ExchangeProblem.BadRequest("validation", $"clientKey must be 1 to {ClientKeyMax} letters, digits, '-' or '_'.");
        }

        if (clientKey is not null && await FindByKeyAsync(viewer.ParticipantId, clientKey) is { } already)
        {
            return already;
        }

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
        try
        {
            return await InsertAsync(viewer, trimmed, clientKey, now);
        }
        catch (Exception e) when (clientKey is not null && IsUniqueViolation(e))
        {
            // The same key sent twice at once: the other call stored it.
            if (await FindByKeyAsync(viewer.ParticipantId, clientKey) is { } raced)
            {
                return raced;
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            throw;
        }
    }

    private async Task<QuestionView?> FindByKeyAsync(long participantId, string clientKey)
    {
        await using var connection = await database.OpenAsync();
        var id = await connection.QuerySingleOrDefaultAsync<long?>(SelectByKey, new { participantId, clientKey });
        return id is null
            ? null
            : (await connection.QuerySingleAsync<QuestionRow>(SessionSnapshots.SelectQuestions + " where q.id = @id", new { id })).ToView();
    }

    private static bool IsUniqueViolation(Exception e) =>
        e is Npgsql.PostgresException { SqlState: "23505" } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 };

    private async Task<QuestionView> InsertAsync(ExchangeCaller viewer, string trimmed, string? clientKey, long now)
    {
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

            if (await connection.ExecuteScalarAsync<long>(CountParticipant, new { participantId = viewer.ParticipantId }, tx) >= PerParticipant)
            {
                throw ExchangeProblem.Conflict("participant_question_limit", $"A screen can ask at most {PerParticipant} questions in a session.");
            }

            var agencies = await connection.ExecuteScalarAsync<long>(CountAgencies, new { sessionId = viewer.SessionId }, tx);
            var agencyShare = _perAgency ?? Math.Max(PerAgencyAtLeast, PerSession / Math.Max(1, agencies));
            if (await connection.ExecuteScalarAsync<long>(CountAgency, new { sessionId = viewer.SessionId, agencyId = viewer.AgencyId }, tx) >= agencyShare)
            {
                throw ExchangeProblem.Conflict("agency_question_limit", $"An organisation can ask at most {agencyShare} questions in this session.");
            }

            var id = await connection.QuerySingleAsync<long>(Insert,
                new { sessionId = viewer.SessionId, participantId = viewer.ParticipantId, text = trimmed, askedAtMs = now, clientKey }, tx);
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

        // Not locked against a vote racing in from the same agency: at worst one over, and no queue.
        if (await connection.ExecuteScalarAsync<long>(CountAgencyVotes, new { questionId, agencyId = viewer.AgencyId }) >= _votesPerAgency)
        {
            throw ExchangeProblem.Conflict("agency_vote_limit", $"Your organisation has already given this question {_votesPerAgency} votes.");
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

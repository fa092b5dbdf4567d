using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Questions;

/// <summary>
/// Viewers' questions and their upvotes (one vote per viewer per question, enforced by the key), and
/// their moderation. Every change to a question runs under the moderation stream (so moderators see
/// each one, in order) and, when viewers see the difference, under the questions stream too.
/// </summary>
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

    private const string CountSession = "select count(*) from questions where session_id = @sessionId";

    private const string CountRecent = """
        select count(*) from questions where participant_id = @participantId and asked_at_ms > @sinceMs
        """;

    private const string Insert = """
        insert into questions (session_id, participant_id, text, asked_at_ms, client_key, status, anonymous)
        values (@sessionId, @participantId, @text, @askedAtMs, @clientKey, @status, @anonymous)
        returning id
        """;

    private const string SelectByKey = "select id from questions where participant_id = @participantId and client_key = @clientKey";

    public const int ClientKeyMax = 64;

    private const string SelectTarget = "select participant_id, session_id, status from questions where id = @questionId";

    private const string InsertVoteWithinShare = """
        insert into question_votes (question_id, participant_id, voted_at_ms)
        select @questionId, @participantId, @now
        where (select count(*) from question_votes v join participants p on p.id = v.participant_id
               where v.question_id = @questionId and p.agency_id = @agencyId) < @limit
        on conflict (question_id, participant_id) do nothing
        """;

    /// <summary>A moderator's written reply.</summary>
    public const int ReplyMax = 1000;

    internal const string SelectSettings = """
        select questions_need_approval as QuestionsNeedApproval, pinned_question_id as PinnedQuestionId from sessions where id = @sessionId
        """;

    private const string SelectOne = SessionSnapshots.SelectQuestions + " where q.id = @questionId";

    private const string SetStatus = "update questions set status = @status where id = @questionId";

    private const string SetAnswered = "update questions set status = 'answered', answered_at_ms = @now where id = @questionId";

    private const string SetText = "update questions set text = @text, status = @status, edited_at_ms = @now where id = @questionId";

    private const string SetReply = "update questions set reply = @reply, replied_at_ms = @now where id = @questionId";

    private const string SetPinned = "update sessions set pinned_question_id = @questionId where id = @sessionId";

    private const string Unpin = "update sessions set pinned_question_id = null where id = @sessionId and pinned_question_id = @questionId";

    private const string DeleteVote = "delete from question_votes where question_id = @questionId and participant_id = @participantId";

    // One statement, one view: the count is at least as new as the flush that made the sequence.
    private const string SelectCounted = $"""
        select (select version from stream_versions where session_id = @sessionId and stream = '{ModerationStreams.Votes}') as Sequence,
               (select count(*) from question_votes where question_id = @questionId) as Votes
        """;

    private const string HasVoted = "select count(*) from question_votes where question_id = @questionId and participant_id = @participantId";

    /// <summary>
    /// Asks a question. With a client key, asking again with the same key (a retry after a dropped
    /// link or a database restart, when the client cannot know whether the first try was stored)
    /// returns the question stored the first time and stores nothing. When the session asks for
    /// approval the question waits, seen by moderators and the asker only.
    /// </summary>
    public async Task<QuestionView> AskAsync(ExchangeCaller viewer, string? text, string? clientKey = null, bool anonymous = false)
    {
        if (clientKey is not null && (clientKey.Length is 0 or > ClientKeyMax || !clientKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw ExchangeProblem.BadRequest("validation", $"clientKey must be 1 to {ClientKeyMax} letters, digits, '-' or '_'.");
        }

        if (clientKey is not null && await FindByKeyAsync(viewer.ParticipantId, clientKey) is { } already)
        {
            return already;
        }

        var trimmed = QuestionText(text);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            return await InsertAsync(viewer, trimmed, clientKey, anonymous, now);
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

    private static string QuestionText(string? text)
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

        return trimmed;
    }

    private async Task<QuestionView?> FindByKeyAsync(long participantId, string clientKey)
    {
        await using var connection = await database.OpenAsync();
        var id = await connection.QuerySingleOrDefaultAsync<long?>(SelectByKey, new { participantId, clientKey });
        return id is null
            ? null
            : (await connection.QuerySingleAsync<QuestionRow>(SelectOne, new { questionId = id })).ToView();
    }

    private static bool IsUniqueViolation(Exception e) =>
        e is Npgsql.PostgresException { SqlState: "23505" } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 };

    private async Task<QuestionView> InsertAsync(ExchangeCaller viewer, string trimmed, string? clientKey, bool anonymous, long now)
    {
        // The moderation stream's bump comes first and locks its row, so two questions sent at once are
        // counted against the limits one after the other.
        var row = await ChangeAsync(viewer.SessionId, async (connection, tx) =>
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

            var settings = await connection.QuerySingleAsync<ModerationRow>(SelectSettings, new { sessionId = viewer.SessionId }, tx);
            var status = settings.QuestionsNeedApproval != 0 ? QuestionStatuses.Pending : QuestionStatuses.Live;
            var id = await connection.QuerySingleAsync<long>(Insert, new
            {
                sessionId = viewer.SessionId, participantId = viewer.ParticipantId, text = trimmed, askedAtMs = now, clientKey,
                status, anonymous = anonymous ? 1L : 0L,
            }, tx);
            var row = await connection.QuerySingleAsync<QuestionRow>(SelectOne, new { questionId = id }, tx);
            return new Outcome(row, row.IsPublic, Asked: true);
        });
        return row?.ToView() ?? throw new InvalidOperationException("An asked question without its row.");
    }

    // --- Moderators -------------------------------------------------------------------------

    /// <summary>Pending (or dismissed) → live: everyone sees it now.</summary>
    public Task ApproveAsync(ExchangeCaller moderator, long questionId) =>
        ModerateAsync(moderator, questionId, async (connection, tx, q) =>
        {
            if (q.Status == QuestionStatuses.Withdrawn)
            {
                throw Withdrawn();
            }

            if (q.IsPublic)
            {
                return false;
            }

            await connection.ExecuteAsync(SetStatus, new { questionId, status = QuestionStatuses.Live }, tx);
            return true;
        });

    public Task DismissAsync(ExchangeCaller moderator, long questionId) =>
        ModerateAsync(moderator, questionId, async (connection, tx, q) =>
        {
            if (q.Status == QuestionStatuses.Withdrawn)
            {
                throw Withdrawn();
            }

            if (q.Status == QuestionStatuses.Dismissed)
            {
                return false;
            }

            await connection.ExecuteAsync(SetStatus, new { questionId, status = QuestionStatuses.Dismissed }, tx);
            await connection.ExecuteAsync(Unpin, new { sessionId = moderator.SessionId, questionId }, tx);
            return true;
        });

    /// <summary>Answered: it stays on the screens, marked, and stops being "now answering".</summary>
    public Task MarkAnsweredAsync(ExchangeCaller moderator, long questionId) =>
        ModerateAsync(moderator, questionId, async (connection, tx, q) =>
        {
            if (q.Status is QuestionStatuses.Withdrawn or QuestionStatuses.Dismissed)
            {
                throw NotVisible();
            }

            if (q.Status == QuestionStatuses.Answered)
            {
                return false;
            }

            await connection.ExecuteAsync(SetAnswered, new { questionId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
            await connection.ExecuteAsync(Unpin, new { sessionId = moderator.SessionId, questionId }, tx);
            return true;
        });

    /// <summary>One pinned question per session: pinning another unpins the first; null or 0 unpins.</summary>
    public async Task PinAsync(ExchangeCaller moderator, long? questionId)
    {
        moderator.RequireModerator();
        if (questionId is null or 0)
        {
            await ChangeAsync(moderator.SessionId, async (connection, tx) =>
            {
                await connection.ExecuteAsync(SetPinned, new { sessionId = moderator.SessionId, questionId = (long?)null }, tx);
                return new Outcome(null, Public: true);
            });
            return;
        }

        await ModerateAsync(moderator, questionId.Value, async (connection, tx, q) =>
        {
            if (q.Status != QuestionStatuses.Live)
            {
                throw ExchangeProblem.Conflict("question_not_live", "Only a question on the screens and not yet answered can be pinned.");
            }

            await connection.ExecuteAsync(SetPinned, new { sessionId = moderator.SessionId, questionId }, tx);
            return true;
        });
    }

    /// <summary>A written reply; again replaces it, an empty text removes it.</summary>
    public Task ReplyAsync(ExchangeCaller moderator, long questionId, string? text)
    {
        var reply = Check.Normalise(text, "reply", multiline: true);
        if (reply.Length > ReplyMax)
        {
            throw ExchangeProblem.BadRequest("reply_too_long", $"A reply can be at most {ReplyMax} characters.");
        }

        return ModerateAsync(moderator, questionId, async (connection, tx, q) =>
        {
            if (q.Status == QuestionStatuses.Withdrawn)
            {
                throw Withdrawn();
            }

            await connection.ExecuteAsync(SetReply, new
            {
                questionId,
                reply = Check.HasVisible(reply) ? reply : null,
                now = Check.HasVisible(reply) ? clock.GetUtcNow().ToUnixTimeMilliseconds() : (long?)null,
            }, tx);
            return true;
        });
    }

    private Task ModerateAsync(ExchangeCaller moderator, long questionId, Func<DbConnection, DbTransaction, QuestionRow, Task<bool>> change)
    {
        moderator.RequireModerator();
        return ChangeAsync(moderator.SessionId, async (connection, tx) =>
        {
            var before = await LoadAsync(connection, tx, moderator.SessionId, questionId);
            var pinnedBefore = (await connection.QuerySingleAsync<ModerationRow>(SelectSettings, new { sessionId = moderator.SessionId }, tx)).PinnedQuestionId;
            if (!await change(connection, tx, before))
            {
                return new Outcome(before, Public: false);
            }

            var after = await connection.QuerySingleAsync<QuestionRow>(SelectOne, new { questionId }, tx);
            var pinnedAfter = (await connection.QuerySingleAsync<ModerationRow>(SelectSettings, new { sessionId = moderator.SessionId }, tx)).PinnedQuestionId;
            return new Outcome(after, before.IsPublic || after.IsPublic || pinnedBefore != pinnedAfter);
        });
    }

    // --- The asker ----------------------------------------------------------------------------

    /// <summary>
    /// The asker changes the text until the question is answered. When the session asks for approval an
    /// edited question waits for it again: an approved question must not become something else on screen.
    /// </summary>
    public async Task<QuestionView> EditAsync(ExchangeCaller viewer, long questionId, string? text)
    {
        var trimmed = QuestionText(text);
        var row = await OwnChangeAsync(viewer, questionId, async (connection, tx, q) =>
        {
            var settings = await connection.QuerySingleAsync<ModerationRow>(SelectSettings, new { sessionId = viewer.SessionId }, tx);
            var status = settings.QuestionsNeedApproval != 0 ? QuestionStatuses.Pending : q.Status;
            await connection.ExecuteAsync(SetText, new { questionId, text = trimmed, status, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
            if (status == QuestionStatuses.Pending)
            {
                await connection.ExecuteAsync(Unpin, new { sessionId = viewer.SessionId, questionId }, tx);
            }
        });
        return row.ToView();
    }

    public async Task WithdrawAsync(ExchangeCaller viewer, long questionId) =>
        await OwnChangeAsync(viewer, questionId, async (connection, tx, q) =>
        {
            await connection.ExecuteAsync(SetStatus, new { questionId, status = QuestionStatuses.Withdrawn }, tx);
            await connection.ExecuteAsync(Unpin, new { sessionId = viewer.SessionId, questionId }, tx);
        });

    private async Task<QuestionRow> OwnChangeAsync(ExchangeCaller viewer, long questionId, Func<DbConnection, DbTransaction, QuestionRow, Task> change) =>
        await ChangeAsync(viewer.SessionId, async (connection, tx) =>
        {
            var before = await LoadAsync(connection, tx, viewer.SessionId, questionId);
            if (before.ParticipantId != viewer.ParticipantId)
            {
                throw ExchangeProblem.Forbidden("not_your_question", "Only the screen that asked a question can change it.");
            }

            if (before.Status == QuestionStatuses.Answered)
            {
                throw ExchangeProblem.Conflict("question_answered", "This question has been answered; it can no longer be changed.");
            }

            if (before.Status is QuestionStatuses.Withdrawn or QuestionStatuses.Dismissed)
            {
                throw ExchangeProblem.Conflict("question_closed", "This question was withdrawn or dismissed; it can no longer be changed.");
            }

            await change(connection, tx, before);
            var after = await connection.QuerySingleAsync<QuestionRow>(SelectOne, new { questionId }, tx);
            return new Outcome(after, before.IsPublic || after.IsPublic);
        }) ?? throw new InvalidOperationException("A question change without its question.");

    private static async Task<QuestionRow> LoadAsync(DbConnection connection, DbTransaction tx, long sessionId, long questionId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<QuestionRow>(SelectOne, new { questionId }, tx);
        return row is not null && row.SessionId == sessionId
            ? row
            : throw ExchangeProblem.NotFound("question_not_found", "That question no longer exists.");
    }

    private static ExchangeProblem Withdrawn() => ExchangeProblem.Conflict("question_withdrawn", "The asker has withdrawn this question.");

    private static ExchangeProblem NotVisible() => ExchangeProblem.Conflict("question_not_visible", "This question was withdrawn or dismissed.");

    // --- One change, three audiences -----------------------------------------------------------

    /// <summary>What a change did: the question it touched (none for unpinning) and whether viewers see a difference.</summary>
    private sealed record Outcome(QuestionRow? Row, bool Public, bool Asked = false);

    private sealed record Committed(Outcome Outcome, long? PublicVersion, ModerationQuestionChanged Moderation);

    /// <summary>
    /// Runs a question change under the moderation stream (and the questions stream when viewers see it),
    /// then tells the moderators (the one question, in full), the session (the question as viewers may see
    /// it) and the asker (its own question in full, on all its screens). Only the touched question and the
    /// session's settings row are read: the cost of a change does not grow with the queue.
    /// </summary>
    private async Task<QuestionRow?> ChangeAsync(long sessionId, Func<DbConnection, DbTransaction, Task<Outcome>> change)
    {
        var done = await changes.CommitAsync(sessionId, ModerationStreams.Moderation, async (connection, tx, version) =>
        {
            var outcome = await change(connection, tx);
            long? publicVersion = outcome.Public ? await LiveChanges.BumpAsync(connection, tx, sessionId, LiveStreams.Questions) : null;
            var pinned = (await connection.QuerySingleAsync<ModerationRow>(SelectSettings, new { sessionId }, tx)).PinnedQuestionId;
            var touched = outcome.Row;
            return new Committed(outcome, publicVersion, new ModerationQuestionChanged(version, touched?.Id ?? 0, touched?.ToView(), pinned));
        }, (clients, c) => clients.ModerationQuestionChanged(c.Moderation), Audience.Moderators(sessionId));

        var row = done.Outcome.Row;
        if (done.PublicVersion is { } v)
        {
            await changes.PublishAsync(Audience.Session(sessionId), clients =>
                done.Outcome.Asked && row is not null
                    ? clients.QuestionAsked(new QuestionAsked(v, row.ToPublicView()))
                    : clients.QuestionUpdated(new QuestionUpdated(v, row?.Id ?? 0, row is { IsPublic: true } ? row.ToPublicView() : null,
                        done.Moderation.PinnedQuestionId)));
        }

        if (row is not null)
        {
            await changes.PublishAsync(Audience.Participant(row.ParticipantId), clients => clients.MyQuestionChanged(row.ToView()));
        }

        return row;
    }

    /// <summary>Every question of the session, in full, with the moderation stream's version.</summary>
    internal static async Task<ModerationState> ModerationAsync(DbConnection connection, DbTransaction tx, long sessionId, long? version = null)
    {
        var settings = await connection.QuerySingleAsync<ModerationRow>(SelectSettings, new { sessionId }, tx);
        var rows = await connection.QueryAsync<QuestionRow>(SessionSnapshots.SelectQuestions + " where q.session_id = @sessionId order by q.id", new { sessionId }, tx);
        return new ModerationState(
            version ?? await LiveChanges.VersionAsync(connection, tx, sessionId, ModerationStreams.Moderation),
            settings.QuestionsNeedApproval != 0, rows.Select(r => r.ToView()).ToArray(), settings.PinnedQuestionId);
    }

    // --- Votes ----------------------------------------------------------------------------------

    /// <summary>
    /// A vote is one insert, refused by the primary key when repeated (a retry after a reconnect gets
    /// the count, not an error). No transaction and no counter row to lock: a whole session can vote at
    /// once without queueing behind one popular question, or behind the vote sequence (only flushes take it).
    /// </summary>
    public async Task<VoteCount> UpvoteAsync(ExchangeCaller viewer, long questionId)
    {
        await using var connection = await database.OpenAsync();
        var target = await connection.QuerySingleOrDefaultAsync<(long ParticipantId, long SessionId, string Status)?>(SelectTarget, new { questionId });
        if (target is not { } t || t.SessionId != viewer.SessionId || !QuestionStatuses.IsPublic(t.Status))
        {
            throw ExchangeProblem.NotFound("question_not_found", "That question no longer exists.");
        }

        if (t.ParticipantId == viewer.ParticipantId)
        {
            throw ExchangeProblem.BadRequest("own_question", "You cannot upvote your own question.");
        }

        // The agency's share is checked in the insert itself (not locked against a vote racing in from the
        // same agency: at worst one over, and no queue). Nothing inserted: a vote given already (a retry:
        // its count, no error), or the share used up.
        var args = new { questionId, participantId = viewer.ParticipantId, agencyId = viewer.AgencyId, limit = _votesPerAgency, now = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        return await CountedAsync(connection, viewer.SessionId, questionId, async () =>
        {
            var inserted = await connection.ExecuteAsync(InsertVoteWithinShare, args);
            if (inserted == 0 && await connection.ExecuteScalarAsync<long>(HasVoted, args) == 0)
            {
                throw ExchangeProblem.Conflict("agency_vote_limit", $"Your organisation has already given this question {_votesPerAgency} votes.");
            }

            return inserted;
        });
    }

    /// <summary>Takes a vote back; with no vote to take back, the count as it is.</summary>
    public async Task<VoteCount> UnvoteAsync(ExchangeCaller viewer, long questionId)
    {
        await using var connection = await database.OpenAsync();
        var target = await connection.QuerySingleOrDefaultAsync<(long ParticipantId, long SessionId, string Status)?>(SelectTarget, new { questionId });
        if (target is not { } t || t.SessionId != viewer.SessionId)
        {
            throw ExchangeProblem.NotFound("question_not_found", "That question no longer exists.");
        }

        return await CountedAsync(connection, viewer.SessionId, questionId, () =>
            connection.ExecuteAsync(DeleteVote, new { questionId, participantId = viewer.ParticipantId }));
    }

    /// <summary>
    /// Casts or takes back a ballot: one statement, no transaction, no lock shared with other voters. The
    /// count comes back stamped with the vote sequence as it stands (see <see cref="VoteFanout"/>): the
    /// count is read after the sequence, so it is at least as new as that sequence's flush.
    /// </summary>
    private async Task<VoteCount> CountedAsync(DbConnection connection, long sessionId, long questionId, Func<Task<int>> ballot)
    {
        if (await ballot() > 0)
        {
            votes.Changed(sessionId, questionId);
        }

        var counted = await connection.QuerySingleAsync<CountedRow>(SelectCounted, new { sessionId, questionId });
        return new VoteCount(questionId, (int)counted.Votes, counted.Sequence ?? 0);
    }

    // Setters rather than a positional record: see QuestionRow for why (SQLite's untyped computed columns).
    private sealed class CountedRow
    {
        public long? Sequence { get; init; }

        public long Votes { get; init; }
    }
}

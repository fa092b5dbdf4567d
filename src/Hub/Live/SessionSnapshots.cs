using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Stage;
using LiveExchange.Hub.Storage;
using LiveExchange.Hub.Video;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Live;

/// <summary>
/// The state a screen needs, whole (on connect) or one stream at a time (after a gap in that stream).
/// Each read runs in one consistent transaction, so a stream's content matches its version.
/// </summary>
public sealed class SessionSnapshots(Database database, StageBoard stage, VideoSettingsSource video, SessionGate gate)
{
    // Every stream's version in one read; a stream not changed yet has no row (version 0). The table is
    // LiveChanges'; reading it whole here saves a round trip per stream.
    private const string SelectVersions = "select stream as Stream, version as Version from stream_versions where session_id = @sessionId";

    // What the snapshot's own parts need from the session's row: its head, the slides, the Q&A settings.
    private const string SelectSession = """
        select s.code as Code, s.title as Title, s.current_page as CurrentPage, d.id as DeckId, d.file_name as FileName,
               d.page_count as PageCount, s.deck_downloadable as DeckDownloadable,
               s.questions_need_approval as QuestionsNeedApproval, s.pinned_question_id as PinnedQuestionId
        from sessions s left join decks d on d.id = s.deck_id
        where s.id = @sessionId
        """;

    internal const string SelectQuestions = """
        select q.id, q.participant_id as ParticipantId, q.text, a.name as AgencyName,
               p.display_name as DisplayName,
               (select count(*) from question_votes v where v.question_id = q.id) as votes,
               q.asked_at_ms as AskedAtMs, a.city as City, q.status as Status, q.anonymous as Anonymous,
               q.reply as Reply, q.replied_at_ms as RepliedAtMs, q.answered_at_ms as AnsweredAtMs, q.edited_at_ms as EditedAtMs, q.session_id as SessionId
        from questions q
        join participants p on p.id = q.participant_id
        join agencies a on a.id = p.agency_id
        """;

    private const string SelectMyVotes = """
        select v.question_id from question_votes v join questions q on q.id = v.question_id
        where v.participant_id = @participantId and q.session_id = @sessionId
        """;

    // One round trip each for a gap in the slides, a gap in the questions, or both in a snapshot: the
    // statements run in order and are read back in order (every one returns rows, on both databases).
    private const string SlidesBatch = SelectVersions + ";\n" + SelectSession + ";";

    private const string QuestionsBatch = SlidesBatch + "\n"
        + SelectQuestions + " where q.session_id = @sessionId and q.status in ('live', 'answered') order by votes desc, q.id;\n"
        + SelectQuestions + " where q.session_id = @sessionId and q.participant_id = @participantId order by q.id;\n"
        + SelectMyVotes + ";";

    // A whole snapshot's first round trip: the above, then the stage's, the outline's and the polls' own statements.
    private const string SnapshotBatch = QuestionsBatch + "\n" + StageBoard.SnapshotBatch + "\n" + SessionOutlines.Batch + "\n" + Polls.PollBoard.SnapshotBatch;

    public async Task<SessionSnapshot> LoadAsync(ExchangeCaller caller, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        SessionRow head;
        SlidesState slides;
        QuestionsState? questions;
        StageState stageState;
        MyStage me;
        SessionOutline outline;
        PollsState pollsState;
        await using (var grid = await connection.QueryMultipleAsync(SnapshotBatch, new
        {
            sessionId = caller.SessionId, participantId = caller.ParticipantId, state = StageBoard.OnStageState,
        }, tx))
        {
            (head, slides, questions, var versions) = await ReadOwnAsync(grid, withQuestions: true);
            (stageState, me) = await StageBoard.ReadSnapshotAsync(grid, versions.GetValueOrDefault(LiveStreams.Stage), caller);
            outline = await SessionOutlines.ReadAsync(grid, gate);
            pollsState = await Polls.PollBoard.ReadSnapshotAsync(grid, versions.GetValueOrDefault(LiveStreams.Polls), caller);
        }

        var snapshot = new SessionSnapshot(
            caller.SessionId, head.Code, head.Title, caller.Role, caller.ParticipantId,
            slides,
            questions!,
            stageState,
            caller.IsHost ? await stage.HandsAsync(connection, tx, caller.SessionId) : null,
            me,
            video.For(caller),
            outline,
            caller.CanModerate ? await Questions.QuestionBoard.ModerationAsync(connection, tx, caller.SessionId) : null,
            pollsState);
        await tx.CommitAsync(ct);
        return snapshot;
    }

    public Task<SlidesState> LoadSlidesAsync(ExchangeCaller caller, CancellationToken ct) =>
        ReadAsync(async (c, tx) => (await ReadOwnAsync(c, tx, caller, withQuestions: false)).Slides, ct);

    public Task<QuestionsState> LoadQuestionsAsync(ExchangeCaller caller, CancellationToken ct) =>
        ReadAsync(async (c, tx) => (await ReadOwnAsync(c, tx, caller, withQuestions: true)).Questions!, ct);

    public Task<StageState> LoadStageAsync(ExchangeCaller caller, CancellationToken ct) =>
        ReadAsync((c, tx) => stage.StageAsync(c, tx, caller.SessionId), ct);

    public Task<HandsState> LoadHandsAsync(ExchangeCaller caller, CancellationToken ct) =>
        ReadAsync((c, tx) => stage.HandsAsync(c, tx, caller.SessionId), ct);

    private async Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, Task<T>> read, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        var result = await read(connection, tx);
        await tx.CommitAsync(ct);
        return result;
    }

    private static async Task<(SlidesState Slides, QuestionsState? Questions)> ReadOwnAsync(
        DbConnection connection, DbTransaction tx, ExchangeCaller caller, bool withQuestions)
    {
        var args = new { sessionId = caller.SessionId, participantId = caller.ParticipantId };
        await using var grid = await connection.QueryMultipleAsync(withQuestions ? QuestionsBatch : SlidesBatch, args, tx);
        var (_, slides, questions, _) = await ReadOwnAsync(grid, withQuestions);
        return (slides, questions);
    }

    /// <summary>The session's row, every stream's version, the slides and (when asked) the questions, from a batch.</summary>
    private static async Task<(SessionRow Head, SlidesState Slides, QuestionsState? Questions, Dictionary<string, long> Versions)> ReadOwnAsync(
        Dapper.SqlMapper.GridReader grid, bool withQuestions)
    {
        var versions = (await grid.ReadAsync<VersionRow>()).ToDictionary(v => v.Stream, v => v.Version);
        var s = await grid.ReadSingleAsync<SessionRow>();
        var slides = new SlidesState(
            versions.GetValueOrDefault(LiveStreams.Slides),
            s.DeckId is { } deckId ? new DeckView(deckId, s.FileName!, (int)s.PageCount!.Value) : null,
            (int)s.CurrentPage,
            s.DeckDownloadable != 0);
        if (!withQuestions)
        {
            return (s, slides, null, versions);
        }

        // Visible questions, anonymous ones without their asker; the caller's own in full beside them.
        var questions = await grid.ReadAsync<QuestionRow>();
        var mine = await grid.ReadAsync<QuestionRow>();
        var myVotes = await grid.ReadAsync<long>();
        return (s, slides, new QuestionsState(versions.GetValueOrDefault(LiveStreams.Questions),
            questions.Select(q => q.ToPublicView()).ToArray(), myVotes.ToArray(),
            mine.Select(q => q.ToView()).ToArray(), s.PinnedQuestionId,
            versions.GetValueOrDefault(ModerationStreams.Votes),
            s.QuestionsNeedApproval != 0), versions);
    }

    public Task<ModerationState> LoadModerationAsync(ExchangeCaller caller, CancellationToken ct) =>
        ReadAsync((c, tx) => Questions.QuestionBoard.ModerationAsync(c, tx, caller.SessionId), ct);

    /// <summary>A class with setters (see <see cref="QuestionRow"/>).</summary>
    private sealed class VersionRow
    {
        public string Stream { get; init; } = "";

        public long Version { get; init; }
    }

    /// <summary>A class with setters (see <see cref="QuestionRow"/>).</summary>
    private sealed class SessionRow
    {
        public string Code { get; init; } = "";

        public string Title { get; init; } = "";

        public long CurrentPage { get; init; }

        public long? DeckId { get; init; }

        public string? FileName { get; init; }

        public long? PageCount { get; init; }

        public long DeckDownloadable { get; init; }

        public long QuestionsNeedApproval { get; init; }

        public long? PinnedQuestionId { get; init; }
    }
}

/// <summary>
/// A class with setters, not a positional record: on SQLite a computed column (the vote count) has no
/// declared type, and Dapper matches record constructors by the reader's types even when no row comes back.
/// </summary>
internal sealed class QuestionRow
{
    public long Id { get; init; }

    public long ParticipantId { get; init; }

    public string Text { get; init; } = "";

    public string AgencyName { get; init; } = "";

    public string DisplayName { get; init; } = "";

    public long Votes { get; init; }

    public long AskedAtMs { get; init; }

    public string City { get; init; } = "";

    public string Status { get; init; } = QuestionStatuses.Live;

    public long Anonymous { get; init; }

    public string? Reply { get; init; }

    public long? RepliedAtMs { get; init; }

    public long? AnsweredAtMs { get; init; }

    public long? EditedAtMs { get; init; }

    public long SessionId { get; init; }

    public bool IsPublic => QuestionStatuses.IsPublic(Status);

    /// <summary>In full: for moderators, the organiser and the asker.</summary>
    public QuestionView ToView() =>
        new(Id, ParticipantId, Text, AgencyName, DisplayName, (int)Votes, DateTimeOffset.FromUnixTimeMilliseconds(AskedAtMs),
            City, Status, Anonymous != 0, Reply, At(RepliedAtMs), At(AnsweredAtMs), At(EditedAtMs));

    /// <summary>As other viewers see it: an anonymous asker's agency, city, name and participant id left out.</summary>
    public QuestionView ToPublicView() => Anonymous != 0
        ? ToView() with { ParticipantId = 0, AgencyName = "", DisplayName = "", City = "" }
        : ToView();

    private static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}

/// <summary>A session's moderation settings (classes with setters: see <see cref="QuestionRow"/>).</summary>
internal sealed class ModerationRow
{
    public long QuestionsNeedApproval { get; init; }

    public long? PinnedQuestionId { get; init; }
}

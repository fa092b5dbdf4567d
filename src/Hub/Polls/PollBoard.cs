using System.Data.Common;
using System.Text.Json;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Polls;

/// <summary>
/// A session's polls: drafts prepared by the host (over HTTP, days before if need be), launched one at a
/// time and closed through the polls stream, and the viewers' answers (one row per screen per poll).
/// </summary>
public sealed class PollBoard(Database database, LiveChanges changes, PollFanout fanout, TimeProvider clock)
{
    internal const string PollColumns = """
        id as Id, session_id as SessionId, kind as Kind, question as Question, options as Options, results as Results,
        counting as Counting, state as State, created_at_ms as CreatedAtMs, opened_at_ms as OpenedAtMs, closed_at_ms as ClosedAtMs
        """;

    private const string SelectAll = "select " + PollColumns + " from polls where session_id = @sessionId order by id";

    private const string SelectLaunched = "select " + PollColumns + """
         from polls where session_id = @sessionId and state <> 'draft' order by closed_at_ms desc, id desc
        """;

    private const string SelectOne = "select " + PollColumns + " from polls where id = @pollId and session_id = @sessionId";

    private const string CountSession = "select count(*) from polls where session_id = @sessionId";

    private const string Insert = """
        insert into polls (session_id, kind, question, options, results, counting, state, created_at_ms)
        values (@sessionId, @kind, @question, @options, @results, @counting, 'draft', @now)
        returning id
        """;

    private const string Update = """
        update polls set kind = @kind, question = @question, options = @options, results = @results, counting = @counting
        where id = @pollId and session_id = @sessionId and state = 'draft'
        """;

    private const string Delete = "delete from polls where id = @pollId and session_id = @sessionId and state = 'draft'";

    private const string SelectOpenId = "select id from polls where session_id = @sessionId and state = 'open'";

    private const string Launch = """
        update polls set state = 'open', opened_at_ms = @now where id = @pollId and session_id = @sessionId and state = 'draft'
        """;

    // Answers in flight hold the poll's lock shared; closing takes it exclusively (PostgreSQL; SQLite's one
    // writer does the same), so it waits for them, the final results read after it in the same transaction
    // include every answer accepted, and every later answer finds the poll closed. An advisory lock rather
    // than FOR SHARE on the poll's row: every share locker of one row writes a new multixact on it, and a
    // storm of answers would take turns at that row (the bench on a busy machine could not tell them apart).
    private const string LockShared = "select pg_advisory_xact_lock_shared(@lockClass, @lockId)";

    private const string LockExclusive = "select pg_advisory_xact_lock(@lockClass, @lockId)";

    /// <summary>The first key of the poll locks ("poll"); the second is the poll's id. Apart from the migration lock's one-key space.</summary>
    private const int LockClass = 0x706F6C6C;

    private const string Close = """
        update polls set state = 'closed', closed_at_ms = @now where id = @pollId and session_id = @sessionId and state = 'open'
        """;

    // The poll, the screen's headcount and its answer so far, in one round trip.
    private const string SelectForAnswer = """
        select p.kind as Kind, p.options as Options, p.state as State,
               (select headcount from participants where id = @participantId) as Headcount,
               a.client_key as ClientKey, a.answer as Answer, a.answered_at_ms as AnsweredAtMs
        from polls p left join poll_answers a on a.poll_id = p.id and a.participant_id = @participantId
        where p.id = @pollId and p.session_id = @sessionId
        """;

    private const string SelectMine = """
        select poll_id as PollId, answer as Answer, client_key as ClientKey, answered_at_ms as AnsweredAtMs
        from poll_answers where poll_id = @pollId and participant_id = @participantId
        """;

    private const string UpsertAnswer = """
        insert into poll_answers (poll_id, participant_id, headcount, answer, client_key, revision, answered_at_ms)
        values (@pollId, @participantId, @headcount, @answer, @clientKey, 1, @now)
        on conflict (poll_id, participant_id) do update set
            headcount = excluded.headcount, answer = excluded.answer, client_key = excluded.client_key,
            revision = poll_answers.revision + 1, answered_at_ms = excluded.answered_at_ms
        """;

    private const string DeleteVotes = "delete from poll_votes where poll_id = @pollId and participant_id = @participantId";

    // One round trip for the answer row and clearing what it counted for before.
    private const string ReplaceAnswer = UpsertAnswer + ";\n" + DeleteVotes;

    private const string InsertVote = """
        insert into poll_votes (poll_id, participant_id, item, weight) values (@pollId, @participantId, @item, @weight)
        """;

    // --- Preparing (host, HTTP) ---

    public async Task<PollList> ListAsync(long sessionId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        var rows = (await connection.QueryAsync<PollRow>(SelectAll, new { sessionId }, tx)).ToList();
        var tallies = await PollTally.ReadLaunchedAsync(connection, tx, sessionId, rows);
        var polls = rows.Select(row => row.ToView(tallies.GetValueOrDefault(row.Id))).ToList();

        await tx.CommitAsync(ct);
        return new PollList(Limits, polls);
    }

    public static readonly PollLimits Limits = new(
        PollRules.QuestionMax, PollRules.OptionsMin, PollRules.OptionsMax, PollRules.OptionMax, PollRules.PerSession,
        PollRules.WordsMax, PollRules.WordMax);

    public async Task<PollView> CreateAsync(long sessionId, PollDraftInput? input, CancellationToken ct)
    {
        var draft = PollRules.Draft(input);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginWriteAsync(connection, ct);
        if (await connection.ExecuteScalarAsync<long>(CountSession, new { sessionId }, tx) >= PollRules.PerSession)
        {
            throw ExchangeProblem.Conflict("poll_limit", $"A session can have at most {PollRules.PerSession} polls.");
        }

        var id = await connection.QuerySingleAsync<long>(Insert, Args(sessionId, draft), tx);
        var row = await connection.QuerySingleAsync<PollRow>(SelectOne, new { pollId = id, sessionId }, tx);
        await tx.CommitAsync(ct);
        return row.ToView(null);
    }

    public async Task<PollView> EditAsync(long sessionId, long pollId, PollDraftInput? input, CancellationToken ct)
    {
        var draft = PollRules.Draft(input);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginWriteAsync(connection, ct);
        var args = new DynamicParameters(Args(sessionId, draft));
        args.Add("pollId", pollId);
        if (await connection.ExecuteAsync(Update, args, tx) == 0)
        {
            throw await NotDraftAsync(connection, tx, sessionId, pollId);
        }

        var row = await connection.QuerySingleAsync<PollRow>(SelectOne, new { pollId, sessionId }, tx);
        await tx.CommitAsync(ct);
        return row.ToView(null);
    }

    public async Task DeleteAsync(long sessionId, long pollId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginWriteAsync(connection, ct);
        if (await connection.ExecuteAsync(Delete, new { pollId, sessionId }, tx) == 0)
        {
            throw await NotDraftAsync(connection, tx, sessionId, pollId);
        }

        await tx.CommitAsync(ct);
    }

    private object Args(long sessionId, PollDraftInput draft) => new
    {
        sessionId,
        kind = draft.Kind,
        question = draft.Question,
        options = JsonSerializer.Serialize(draft.Options ?? []),
        results = draft.Results,
        counting = draft.Counting,
        now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    private static async Task<ExchangeProblem> NotDraftAsync(DbConnection connection, DbTransaction tx, long sessionId, long pollId) =>
        await connection.QuerySingleOrDefaultAsync<PollRow>(SelectOne, new { pollId, sessionId }, tx) is null
            ? NotFound()
            : ExchangeProblem.Conflict("poll_not_draft", "This poll has been launched; it can no longer be changed or deleted.");

    private static ExchangeProblem NotFound() => ExchangeProblem.NotFound("poll_not_found", "That poll does not exist in this session.");

    // --- Running (hub) ---

    public async Task<PollsState> LaunchAsync(ExchangeCaller manager, long pollId)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var state = await changes.CommitAsync(manager.SessionId, LiveStreams.Polls, async (connection, tx, version) =>
        {
            // The stream's bump has locked its row: two launches at once are decided one after the other.
            var open = await connection.QuerySingleOrDefaultAsync<long?>(SelectOpenId, new { sessionId = manager.SessionId }, tx);
            if (open is not null)
            {
                throw ExchangeProblem.Conflict("poll_already_open", "Another poll is open; close it first.");
            }

            if (await connection.ExecuteAsync(Launch, new { pollId, sessionId = manager.SessionId, now }, tx) == 0)
            {
                throw await connection.QuerySingleOrDefaultAsync<PollRow>(SelectOne, new { pollId, sessionId = manager.SessionId }, tx) is null
                    ? NotFound()
                    : ExchangeProblem.Conflict("poll_already_closed", "This poll has already run; prepare a new one.");
            }

            return await StateAsync(connection, tx, manager.SessionId, version, null);
        }, (clients, polls) => clients.PollsChanged(polls));
        return await LoadAsync(manager);
    }

    public async Task<PollsState> CloseAsync(ExchangeCaller manager, long pollId)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await changes.CommitAsync(manager.SessionId, LiveStreams.Polls, async (connection, tx, version) =>
        {
            if (database.IsPostgres)
            {
                await connection.ExecuteAsync(LockExclusive, new { lockClass = LockClass, lockId = (int)pollId }, tx);
            }

            if (await connection.ExecuteAsync(Close, new { pollId, sessionId = manager.SessionId, now }, tx) == 0)
            {
                throw await connection.QuerySingleOrDefaultAsync<PollRow>(SelectOne, new { pollId, sessionId = manager.SessionId }, tx) is null
                    ? NotFound()
                    : ExchangeProblem.Conflict("poll_not_open", "This poll is not open.");
            }

            // The closed poll carries its final results, to everyone.
            return await StateAsync(connection, tx, manager.SessionId, version, null);
        }, (clients, polls) => clients.PollsChanged(polls));
        return await LoadAsync(manager);
    }

    /// <summary>The polls stream as <paramref name="caller"/> may see it.</summary>
    public async Task<PollsState> LoadAsync(ExchangeCaller caller, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        var state = await ReadAsync(connection, tx, caller);
        await tx.CommitAsync(ct);
        return state;
    }

    /// <summary>For snapshots: inside the snapshot's own consistent read.</summary>
    public async Task<PollsState> ReadAsync(DbConnection connection, DbTransaction tx, ExchangeCaller caller) =>
        await StateAsync(connection, tx, caller.SessionId, await LiveChanges.VersionAsync(connection, tx, caller.SessionId, LiveStreams.Polls), caller);

    /// <summary>
    /// The stream's state. For the session's event (<paramref name="caller"/> null) the open poll carries
    /// no results at all: those go out coalesced, to hosts only while hidden.
    /// </summary>
    private static async Task<PollsState> StateAsync(DbConnection connection, DbTransaction tx, long sessionId, long version, ExchangeCaller? caller)
    {
        var rows = (await connection.QueryAsync<PollRow>(SelectLaunched, new { sessionId }, tx)).ToList();
        var tallies = await PollTally.ReadLaunchedAsync(connection, tx, sessionId, rows);
        var state = StateOf(version, rows, tallies, caller);
        if (state.Open is { } open && caller is { ManagesPolls: false })
        {
            state = state with
            {
                MyAnswer = (await connection.QuerySingleOrDefaultAsync<AnswerRow>(SelectMine, new { pollId = open.Id, participantId = caller.ParticipantId }, tx))?.ToMine(),
            };
        }

        return state;
    }

    // The caller's answer to the open poll, found without knowing which poll is open (for a batch).
    private const string SelectMineInOpen = """
        select a.poll_id as PollId, a.answer as Answer, a.client_key as ClientKey, a.answered_at_ms as AnsweredAtMs
        from poll_answers a join polls p on p.id = a.poll_id
        where p.session_id = @sessionId and p.state = 'open' and a.participant_id = @participantId
        """;

    /// <summary>A snapshot's poll reads as a batch (parameters @sessionId, @participantId), read back by <see cref="ReadSnapshotAsync"/>.</summary>
    internal const string SnapshotBatch = SelectLaunched + ";\n" + PollTally.LaunchedBatch + "\n" + SelectMineInOpen + ";";

    internal static async Task<PollsState> ReadSnapshotAsync(Dapper.SqlMapper.GridReader grid, long version, ExchangeCaller caller)
    {
        var rows = (await grid.ReadAsync<PollRow>()).ToList();
        var tallies = await PollTally.ReadLaunchedAsync(grid, rows);
        var mine = (await grid.ReadAsync<AnswerRow>()).FirstOrDefault();
        var state = StateOf(version, rows, tallies, caller);
        return state.Open is { } open && !caller.ManagesPolls && mine?.PollId == open.Id
            ? state with { MyAnswer = mine.ToMine() }
            : state;
    }

    private static PollsState StateOf(long version, List<PollRow> rows, IReadOnlyDictionary<long, PollResults> tallies, ExchangeCaller? caller)
    {
        PollView? open = null;
        var closed = new List<PollView>();
        foreach (var row in rows)
        {
            if (row.State == PollStates.Open)
            {
                var mayCount = caller is not null && (caller.ManagesPolls || row.Results == PollResultModes.Live);
                open = row.ToView(mayCount ? tallies[row.Id] : null);
            }
            else
            {
                closed.Add(row.ToView(tallies[row.Id]));
            }
        }

        return new PollsState(version, open, closed, null);
    }

    /// <summary>
    /// A viewer answers the open poll, or changes its answer. One row per screen and poll; the same
    /// client key again (a retry after a dropped link) returns the stored answer and writes nothing.
    /// No stream bump and no counter row: a whole session answers at once without queueing on one row;
    /// the results go out coalesced (<see cref="PollFanout"/>).
    /// </summary>
    public async Task<MyPollAnswer> AnswerAsync(ExchangeCaller viewer, long pollId, PollAnswerInput? answer, string? clientKey)
    {
        PollRules.ClientKey(clientKey);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var args = new { pollId, sessionId = viewer.SessionId, participantId = viewer.ParticipantId };
        MyPollAnswer stored;
        await using (var connection = await database.OpenAsync())
        {
            await using var tx = await database.BeginWriteAsync(connection, CancellationToken.None);
            if (database.IsPostgres)
            {
                await connection.ExecuteAsync(LockShared, new { lockClass = LockClass, lockId = (int)pollId }, tx);
            }

            var poll = await connection.QuerySingleOrDefaultAsync<AnswerTarget>(SelectForAnswer, args, tx) ?? throw NotFound();
            if (poll.State != PollStates.Open)
            {
                throw ExchangeProblem.Conflict("poll_not_open", "This poll is not open.");
            }

            if (clientKey is not null && poll.ClientKey == clientKey)
            {
                return new AnswerRow { PollId = pollId, Answer = poll.Answer!, ClientKey = poll.ClientKey, AnsweredAtMs = poll.AnsweredAtMs!.Value }.ToMine();
            }

            var parts = PollRules.Answer(poll.Kind, JsonSerializer.Deserialize<string[]>(poll.Options)!.Length, answer);
            await connection.ExecuteAsync(ReplaceAnswer, new
            {
                pollId,
                participantId = viewer.ParticipantId,
                headcount = poll.Headcount,
                answer = JsonSerializer.Serialize(parts),
                clientKey,
                now,
            }, tx);
            await connection.ExecuteAsync(InsertVote,
                PollRules.Items(parts).Select(item => new { pollId, participantId = viewer.ParticipantId, item, weight = poll.Headcount }), tx);
            await tx.CommitAsync();
            stored = new MyPollAnswer(pollId, parts.Options, parts.Rating, parts.Words, DateTimeOffset.FromUnixTimeMilliseconds(now));
        }

        fanout.Changed(viewer.SessionId, pollId);
        return stored;
    }

    private sealed class AnswerTarget
    {
        public string Kind { get; init; } = "";

        public string Options { get; init; } = "[]";

        public string State { get; init; } = "";

        public long Headcount { get; init; }

        public string? ClientKey { get; init; }

        public string? Answer { get; init; }

        public long? AnsweredAtMs { get; init; }
    }

    private sealed class AnswerRow
    {
        public long PollId { get; init; }

        public string Answer { get; init; } = "";

        public string? ClientKey { get; init; }

        public long AnsweredAtMs { get; init; }

        public MyPollAnswer ToMine()
        {
            var parts = JsonSerializer.Deserialize<MyAnswerParts>(Answer)!;
            return new MyPollAnswer(PollId, parts.Options, parts.Rating, parts.Words, DateTimeOffset.FromUnixTimeMilliseconds(AnsweredAtMs));
        }
    }
}

/// <summary>A polls row. Setters rather than a positional record: see QuestionRow (SQLite's column types).</summary>
internal sealed class PollRow
{
    public long Id { get; init; }

    public long SessionId { get; init; }

    public string Kind { get; init; } = "";

    public string Question { get; init; } = "";

    public string Options { get; init; } = "[]";

    public string Results { get; init; } = "";

    public string Counting { get; init; } = "";

    public string State { get; init; } = "";

    public long CreatedAtMs { get; init; }

    public long? OpenedAtMs { get; init; }

    public long? ClosedAtMs { get; init; }

    public IReadOnlyList<string> OptionTexts => JsonSerializer.Deserialize<string[]>(Options)!;

    public PollView ToView(PollResults? tally) => new(
        Id, Kind, Question, OptionTexts, Results, Counting, State,
        OpenedAtMs is { } o ? DateTimeOffset.FromUnixTimeMilliseconds(o) : null,
        ClosedAtMs is { } c ? DateTimeOffset.FromUnixTimeMilliseconds(c) : null,
        tally);
}

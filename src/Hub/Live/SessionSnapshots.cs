using Dapper;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Live;

/// <summary>The whole state a screen needs, read in one consistent transaction with its version.</summary>
public sealed class SessionSnapshots(Database database)
{
    private const string SelectSession = """
        select s.version, s.code, s.title, s.current_page as CurrentPage,
               d.id as DeckId, d.file_name as FileName, d.page_count as PageCount
        from sessions s left join decks d on d.id = s.deck_id
        where s.id = @sessionId
        """;

    internal const string SelectQuestions = """
        select q.id, q.participant_id as ParticipantId, q.text, a.name as AgencyName,
               p.display_name as DisplayName,
               (select count(*) from question_votes v where v.question_id = q.id) as votes,
               q.asked_at_ms as AskedAtMs
        from questions q
        join participants p on p.id = q.participant_id
        join agencies a on a.id = p.agency_id
        """;

    private const string SelectMyVotes = """
        select v.question_id from question_votes v join questions q on q.id = v.question_id
        where v.participant_id = @participantId and q.session_id = @sessionId
        """;

    public async Task<SessionSnapshot> LoadAsync(ExchangeCaller caller, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        var args = new { sessionId = caller.SessionId, participantId = caller.ParticipantId };
        var s = await connection.QuerySingleAsync<SessionHead>(SelectSession, args, tx);
        var questions = await connection.QueryAsync<QuestionRow>(
            SelectQuestions + " where q.session_id = @sessionId order by votes desc, q.id", args, tx);
        var myVotes = await connection.QueryAsync<long>(SelectMyVotes, args, tx);
        await tx.CommitAsync(ct);
        return new SessionSnapshot(
            s.Version, caller.SessionId, s.Code, s.Title, caller.Role,
            s.DeckId is { } deckId ? new DeckView(deckId, s.FileName!, (int)s.PageCount!.Value) : null,
            (int)s.CurrentPage,
            questions.Select(q => q.ToView()).ToArray(),
            myVotes.ToArray(),
            caller.ParticipantId);
    }

    private sealed record SessionHead(long Version, string Code, string Title, long CurrentPage, long? DeckId, string? FileName, long? PageCount);
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

    public QuestionView ToView() =>
        new(Id, ParticipantId, Text, AgencyName, DisplayName, (int)Votes, DateTimeOffset.FromUnixTimeMilliseconds(AskedAtMs));
}

using System.Collections.Concurrent;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Questions;

/// <summary>
/// Coalesces vote broadcasts. Pushing every vote to every viewer costs N² messages when a whole
/// session votes at once; instead each instance notes which questions were upvoted and, once per
/// <see cref="Window"/>, sends each session one message with those questions' current counts, read
/// from the database so they are exact. A vote can be taken back, so counts go down as well as up:
/// each message carries the session's vote sequence, read with the counts in one consistent read, and
/// clients keep per question the count with the highest sequence, so messages from several instances
/// may arrive in any order. The last flush for a question always comes after its last vote, with the
/// highest sequence, so every screen ends on the database's count. Only the list of questions to announce is in memory;
/// if an instance dies before a flush, its last counts arrive with the next vote or snapshot.
/// </summary>
public sealed class VoteFanout(Database database, LiveChanges changes, ILogger<VoteFanout> logger)
    : BackgroundService
{
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    // All of the session's counts, filtered here: a session has tens of questions, and a list
    // parameter would be spelt differently on each database (in (...) against = any(array)).
    private const string SelectCounts = """
        select v.question_id as QuestionId, count(*) as Votes from question_votes v join questions q on q.id = v.question_id
        where q.session_id = @sessionId
        group by v.question_id
        """;

    // One flat set of (session, question): a flush removes exactly the keys it announces, so a vote
    // noted while a flush runs is never dropped with a swapped-out inner set.
    private readonly ConcurrentDictionary<(long SessionId, long QuestionId), byte> _dirty = new();

    public void Changed(long sessionId, long questionId) => _dirty[(sessionId, questionId)] = 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Window);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await FlushAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Vote counts could not be sent; they go with the next flush or snapshot.");
            }
        }
    }

    internal async Task FlushAsync(CancellationToken ct)
    {
        var taken = _dirty.Keys.Where(k => _dirty.TryRemove(k, out _)).ToArray();
        // Each session on its own: one that fails goes back for the next tick without taking the other
        // sessions' questions (already taken out of the set) down with it.
        List<Exception>? failures = null;
        foreach (var session in taken.GroupBy(k => k.SessionId))
        {
            var questions = session.Select(k => k.QuestionId).ToHashSet();
            try
            {
                await using var connection = await database.OpenAsync(ct);
                // The flush, not the vote, bumps the sequence: its row lock orders the flushes of every
                // instance, and each reads the counts after taking it (read committed: a fresh view per
                // statement), so a higher sequence always carries counts read later. Votes take no lock.
                await using var tx = await database.BeginWriteAsync(connection, ct);
                var sequence = await LiveChanges.BumpAsync(connection, tx, session.Key, ModerationStreams.Votes);
                var counted = (await connection.QueryAsync<CountRow>(SelectCounts, new { sessionId = session.Key }, tx))
                    .ToDictionary(c => c.QuestionId, c => (int)c.Votes);
                await tx.CommitAsync(ct);
                // A question whose last vote was taken back has no row: its count is 0, and must be said.
                var counts = questions.Order()
                    .Select(id => new VoteCount(id, counted.GetValueOrDefault(id), sequence))
                    .ToArray();
                await changes.To(Audience.Session(session.Key)).VotesChanged(new VotesChanged(counts, sequence));
            }
            catch (Exception e)
            {
                // Put them back so the next tick tries again.
                foreach (var questionId in questions)
                {
                    Changed(session.Key, questionId);
                }

                (failures ??= []).Add(e);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("Vote counts of some sessions could not be sent; they go with the next tick.", failures);
        }
    }

    // Setters rather than a positional record: see QuestionRow for why (SQLite's untyped count column).
    private sealed class CountRow
    {
        public long QuestionId { get; init; }

        public long Votes { get; init; }
    }
}

using System.Collections.Concurrent;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Questions;

/// <summary>
/// Coalesces vote broadcasts. Pushing every vote to every viewer costs N² messages when a whole
/// session votes at once; instead each instance notes which questions were upvoted and, once per
/// <see cref="Window"/>, sends each session one message with those questions' current counts, read
/// from the database so they are exact. Clients keep the highest count seen, so messages from
/// several instances may arrive in any order. Only the list of questions to announce is in memory;
/// if an instance dies before a flush, its last counts arrive with the next vote or snapshot.
/// </summary>
public sealed class VoteFanout(Database database, IHubContext<ExchangeHub, IExchangeClient> hub, ILogger<VoteFanout> logger)
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

    private readonly ConcurrentDictionary<long, ConcurrentDictionary<long, byte>> _dirty = new();

    public void Changed(long sessionId, long questionId) =>
        _dirty.GetOrAdd(sessionId, _ => new ConcurrentDictionary<long, byte>())[questionId] = 0;

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
        foreach (var sessionId in _dirty.Keys)
        {
            if (!_dirty.TryRemove(sessionId, out var questions) || questions.IsEmpty)
            {
                continue;
            }

            try
            {
                await using var connection = await database.OpenAsync(ct);
                var counts = (await connection.QueryAsync<CountRow>(SelectCounts, new { sessionId }))
                    .Where(c => questions.ContainsKey(c.QuestionId))
                    .Select(c => new VoteCount(c.QuestionId, (int)c.Votes))
                    .ToArray();
                await hub.Clients.Group(SessionGroups.Of(sessionId)).VotesChanged(new VotesChanged(counts));
            }
            catch
            {
                // Put them back so the next tick tries again.
                foreach (var questionId in questions.Keys)
                {
                    Changed(sessionId, questionId);
                }

                throw;
            }
        }
    }

    // Setters rather than a positional record: see QuestionRow for why (SQLite's untyped count column).
    private sealed class CountRow
    {
        public long QuestionId { get; init; }

        public long Votes { get; init; }
    }
}

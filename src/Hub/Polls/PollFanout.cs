using System.Collections.Concurrent;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Polls;

/// <summary>
/// Coalesces poll results, as <see cref="Questions.VoteFanout"/> does votes: each instance notes which
/// polls were answered and, once per <see cref="Window"/>, sends each one's results read from the
/// database (exact) to the session, or to its hosts while the results are hidden. So a storm of
/// answers reaches each screen as at most (instances × duration ÷ Window) messages, whatever the number
/// of answers. Only the list of polls to announce is in memory; results carry a Sequence (the
/// database's count of answer writes) so a client keeps the newest whichever instance sent it.
/// </summary>
public sealed class PollFanout(Database database, LiveChanges changes, ILogger<PollFanout> logger) : BackgroundService
{
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    private const string SelectPoll = "select " + PollBoard.PollColumns + " from polls where id = @pollId";

    private readonly ConcurrentDictionary<(long SessionId, long PollId), byte> _dirty = new();

    public void Changed(long sessionId, long pollId) => _dirty[(sessionId, pollId)] = 0;

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
                logger.LogWarning(e, "Poll results could not be sent; they go with the next flush or snapshot.");
            }
        }
    }

    internal async Task FlushAsync(CancellationToken ct)
    {
        // Each poll on its own: one that fails goes back for the next tick without taking the others
        // (already taken out of the set) down with it.
        List<Exception>? failures = null;
        foreach (var key in _dirty.Keys.Where(k => _dirty.TryRemove(k, out _)).ToArray())
        {
            try
            {
                PollRow? poll;
                PollResults? results = null;
                await using (var connection = await database.OpenAsync(ct))
                {
                    await using var tx = await database.BeginConsistentReadAsync(connection, ct);
                    poll = await connection.QuerySingleOrDefaultAsync<PollRow>(SelectPoll, new { pollId = key.PollId }, tx);
                    if (poll is { State: PollStates.Open })
                    {
                        results = await PollTally.ReadAsync(connection, tx, poll);
                    }

                    await tx.CommitAsync(ct);
                }

                // A closed poll's final results went out with the close, to everyone.
                if (poll is not null && results is not null)
                {
                    var audience = poll.Results == PollResultModes.Live ? Audience.Session(key.SessionId) : Audience.Hosts(key.SessionId);
                    await changes.To(audience).PollResultsChanged(results);
                }
            }
            catch (Exception e)
            {
                Changed(key.SessionId, key.PollId); // The next tick tries again.
                (failures ??= []).Add(e);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("Results of some polls could not be sent; they go with the next tick.", failures);
        }
    }
}

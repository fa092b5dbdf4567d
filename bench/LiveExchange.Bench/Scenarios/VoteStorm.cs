using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using LiveExchange.Shared;

namespace LiveExchange.Bench.Scenarios;

public sealed record VoteStormResult(
    int Viewers,
    int Instances,
    int Questions,
    double Seconds,
    int VotesAccepted,
    double VoteP50Ms,
    double VoteP99Ms,
    int MessagesPerViewerMin,
    int MessagesPerViewerMedian,
    int MessagesPerViewerMax,
    int ViewersConverged,
    bool CountsExact,
    long[] DatabaseCounts,
    long[] ExpectedCounts,
    double[] CpuSecondsPerInstance,
    string[] Errors);

/// <summary>
/// N connected viewers each upvote one of Q questions within T seconds. Reports how many vote
/// messages each viewer received (one per vote would be N), whether every viewer ends on the exact
/// counts, and whether the database's counts are exact.
/// </summary>
public static class VoteStorm
{
    public static async Task<VoteStormResult> RunAsync(BenchSettings s, CancellationToken ct)
    {
        await using var cluster = await Cluster.StartOursAsync(s);
        var (session, agencyId) = await cluster.ScheduleAsync(deckPages: 0);
        var viewers = new BenchViewer[s.Viewers];
        var askers = new BenchViewer[s.Questions];
        try
        {
            // Askers are separate participants: nobody may upvote their own question.
            var questions = new long[s.Questions];
            for (var q = 0; q < s.Questions; q++)
            {
                var token = await cluster.JoinAsync(s.Viewers + q, session, agencyId, ct);
                askers[q] = BenchViewer.Create(new Uri(cluster.Url(q), ExchangeHubRoute.Path), token, 0);
                await askers[q].Connection.StartAsync(ct);
                questions[q] = (await askers[q].Connection.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), $"问题 {q + 1}", (string?)null, false, ct)).Id;
            }

            await BenchViewer.ForAllAsync(s.Viewers, 32, async i =>
            {
                var token = await cluster.JoinAsync(i, session, agencyId, ct);
                var viewer = viewers[i] = BenchViewer.Create(new Uri(cluster.Url(i), ExchangeHubRoute.Path), token, 0);
                await viewer.Connection.StartAsync(ct);
                await viewer.Snapshot.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }, ct);
            await Task.Delay(1000, ct);
            foreach (var v in viewers)
            {
                v.ResetVotes();
            }

            var cpuBefore = cluster.CpuTimes();
            var latencies = new ConcurrentBag<double>();
            var errors = new ConcurrentBag<string>();
            await BenchViewer.SpreadAsync(s.Viewers, s.Seconds, async i =>
            {
                var began = Stopwatch.GetTimestamp();
                try
                {
                    await viewers[i].Connection.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), questions[i % s.Questions], ct);
                    latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                }
            }, ct);

            var expected = questions.Select((_, q) => (long)Enumerable.Range(0, s.Viewers).Count(i => i % s.Questions == q)).ToArray();
            bool Converged(BenchViewer v) => questions.Select((id, q) => v.HighestCount(id) == expected[q]).All(x => x);
            var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
            while (!viewers.All(Converged) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100, ct);
            }

            await Task.Delay(2 * VoteFanoutWindowMs, ct); // Anything still in flight lands in the count.
            var cpuAfter = cluster.CpuTimes();

            var rows = await cluster.QueryPairsAsync(
                "select q.id, count(v.question_id) from questions q left join question_votes v on v.question_id = q.id where q.session_id = @s group by q.id order by q.id",
                new { s = session.Id });
            var counts = questions.Select(id => rows.Single(r => r.Id == id).Votes).ToArray();
            var exact = counts.SequenceEqual(expected);
            var messages = viewers.Select(v => v.VotesMessages).Order().ToArray();
            var l = latencies.ToArray();
            return new VoteStormResult(
                s.Viewers, s.Instances, s.Questions, s.Seconds, l.Length,
                Stats.Percentile(l, 50), Stats.Percentile(l, 99),
                messages[0], messages[messages.Length / 2], messages[^1],
                viewers.Count(Converged), exact, counts, expected,
                cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray(),
                errors.GroupBy(e => e).Select(g => $"{g.Count()}× {g.Key}").ToArray());
        }
        finally
        {
            await BenchViewer.DisposeAllAsync(viewers);
            foreach (var a in askers.Where(a => a is not null))
            {
                await a.DisposeAsync();
            }
        }
    }

    private static readonly int VoteFanoutWindowMs = (int)LiveExchange.Hub.Questions.VoteFanout.Window.TotalMilliseconds;
}

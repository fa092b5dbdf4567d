using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using LiveExchange.Hub.Reactions;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;

namespace LiveExchange.Bench.Scenarios;

public sealed record ReactionStormResult(
    int Viewers,
    int Instances,
    int ReactionsPerViewer,
    double Seconds,
    int ReactionsAccepted,
    double ReactP99Ms,
    /// <summary>The bound on ReactionsChanged a viewer receives a second: instances × (1 s / window).</summary>
    double BoundPerSecond,
    /// <summary>The most ReactionsChanged any viewer received in any one second (whole seconds from the storm's start).</summary>
    int MaxPerViewerPerSecond,
    /// <summary>Messages per viewer per second over the storm (from its start to the last message), averaged over viewers.</summary>
    double MeanPerViewerPerSecond,
    int MaxMessagesPerViewer,
    /// <summary>instances × (storm duration / window + 1): what the bound allows over the whole storm.</summary>
    int MessagesBound,
    int ViewersConverged,
    bool TotalsExact,
    Dictionary<string, long> DatabaseTotals,
    Dictionary<string, long> ExpectedTotals,
    double[] CpuSecondsPerInstance,
    string[] Errors);

/// <summary>
/// N connected viewers each send R reactions within T seconds, spread over both instances. Reports how
/// many ReactionsChanged messages each viewer received per second (one per reaction would be N × R / T)
/// against the bound, whether every viewer ends on the exact totals, and whether the database's are exact.
/// </summary>
public static class ReactionStorm
{
    public const int ReactionsPerViewer = 3;

    public static async Task<ReactionStormResult> RunAsync(BenchSettings s, CancellationToken ct)
    {
        await using var cluster = await Cluster.StartOursAsync(s);
        var (session, agencyId) = await cluster.ScheduleAsync(deckPages: 0);
        var viewers = new BenchViewer[s.Viewers];
        var arrivals = new ConcurrentQueue<long>[s.Viewers];
        var highest = new ConcurrentDictionary<string, long>[s.Viewers];
        try
        {
            await BenchViewer.ForAllAsync(s.Viewers, 32, async i =>
            {
                var token = await cluster.JoinAsync(i, session, agencyId, ct);
                var viewer = viewers[i] = BenchViewer.Create(new Uri(cluster.Url(i), ExchangeHubRoute.Path), token, 0);
                var mine = arrivals[i] = new ConcurrentQueue<long>();
                var totals = highest[i] = new ConcurrentDictionary<string, long>();
                viewer.Connection.On<ReactionsChanged>(nameof(IExchangeClient.ReactionsChanged), r =>
                {
                    mine.Enqueue(Stopwatch.GetTimestamp());
                    foreach (var t in r.Totals)
                    {
                        totals.AddOrUpdate(t.Kind, t.Count, (_, n) => Math.Max(n, t.Count));
                    }
                });
                await viewer.Connection.StartAsync(ct);
                await viewer.Snapshot.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }, ct);
            await Task.Delay(1000, ct);

            var cpuBefore = cluster.CpuTimes();
            var latencies = new ConcurrentBag<double>();
            var errors = new ConcurrentBag<string>();
            var calls = s.Viewers * ReactionsPerViewer;
            var start = Stopwatch.GetTimestamp();
            // Call c is viewer c % N's (c / N)th reaction: each viewer reacts three times, T/3 apart.
            await BenchViewer.SpreadAsync(calls, s.Seconds, async c =>
            {
                var began = Stopwatch.GetTimestamp();
                try
                {
                    await viewers[c % s.Viewers].Connection.InvokeAsync(nameof(IExchangeHub.React), KindOf(c), ct);
                    latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                }
            }, ct);

            var expected = Enumerable.Range(0, calls).GroupBy(KindOf).ToDictionary(g => g.Key, g => (long)g.Count());
            bool Converged(int i) => expected.All(e => highest[i].GetValueOrDefault(e.Key) == e.Value);
            var deadline = Stopwatch.GetTimestamp() + 15 * Stopwatch.Frequency;
            while (!Enumerable.Range(0, s.Viewers).All(Converged) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100, ct);
            }

            await Task.Delay(ReactionFanout.Window * 2, ct); // Anything still in flight lands in the count.
            var cpuAfter = cluster.CpuTimes();

            await using var db = new NpgsqlConnection(cluster.Database);
            var stored = (await db.QueryAsync<(string Kind, long Total)>(
                "select kind, total from session_reactions where session_id = @s", new { s = session.Id })).ToDictionary(r => r.Kind, r => r.Total);
            var exact = stored.Count == expected.Count && expected.All(e => stored.GetValueOrDefault(e.Key) == e.Value);

            double Seconds(long timestamp) => Stopwatch.GetElapsedTime(start, timestamp).TotalSeconds;
            var times = arrivals.Select(q => q.Select(Seconds).ToArray()).ToArray();
            var lastArrival = times.Where(t => t.Length > 0).Select(t => t.Max()).DefaultIfEmpty(s.Seconds).Max();
            var duration = Math.Max(s.Seconds, lastArrival);
            var maxPerSecond = times.Select(t => t.Length == 0 ? 0 : t.GroupBy(x => (int)Math.Floor(x)).Max(g => g.Count())).Max();
            var meanPerSecond = times.Average(t => t.Length / duration);
            var perWindow = 1 / ReactionFanout.Window.TotalSeconds;
            var l = latencies.ToArray();
            return new ReactionStormResult(
                s.Viewers, s.Instances, ReactionsPerViewer, s.Seconds, l.Length, l.Length > 0 ? Stats.Percentile(l, 99) : double.NaN,
                s.Instances * perWindow, maxPerSecond, meanPerSecond, times.Max(t => t.Length),
                s.Instances * ((int)Math.Ceiling(duration * perWindow) + 1),
                Enumerable.Range(0, s.Viewers).Count(Converged), exact, stored, expected,
                cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray(),
                errors.GroupBy(e => e).Select(g => $"{g.Count()}× {g.Key}").ToArray());
        }
        finally
        {
            await BenchViewer.DisposeAllAsync(viewers);
        }
    }

    private static string KindOf(int call) => ReactionKinds.All[call % ReactionKinds.All.Count];
}

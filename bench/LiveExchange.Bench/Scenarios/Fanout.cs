using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using LiveExchange.Shared;

namespace LiveExchange.Bench.Scenarios;

/// <summary>What one fan-out run measured, on our hub or on the bare relay.</summary>
public sealed record FanoutResult(
    string Hub,
    int Viewers,
    int Instances,
    int Changes,
    long Expected,
    long Delivered,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    double DeliveriesPerSecond,
    double JoinSeconds,
    double[] CpuSecondsPerInstance,
    long[] IdleBytesPerInstance,
    long[] LoadedBytesPerInstance,
    double BytesPerViewer)
{
    public double DeliveredPercent => Expected == 0 ? 0 : 100.0 * Delivered / Expected;
}

/// <summary>
/// N viewers spread over K instances, the host on the first; the host changes the page M times at a
/// fixed rate. Latency runs from just before the host's call to each viewer's receipt, on one clock.
/// </summary>
public static class Fanout
{
    /// <param name="stalled">Viewers that ask for large snapshots and then stop reading, present throughout the measured changes.</param>
    /// <param name="busy">Seed a busy session first (100 long questions), so the stalled viewers' snapshots are large; the clean run of the comparison does it too.</param>
    public static async Task<FanoutResult> RunAsync(BenchSettings s, bool bare, CancellationToken ct, int stalled = 0, bool busy = false)
    {
        await using var cluster = bare ? await Cluster.StartBareAsync(s) : await Cluster.StartOursAsync(s);
        var hubPath = bare ? "/hubs/bare" : ExchangeHubRoute.Path;
        const string group = "bench";

        LiveExchange.Hub.Sessions.SessionScheduled? session = null;
        long agencyId = 0;
        if (!bare)
        {
            (session, agencyId) = await cluster.ScheduleAsync(s.Changes + 1);
        }

        await using var host = BenchViewer.Create(new Uri(cluster.Url(0), hubPath), session?.HostToken, 0);
        await host.Connection.StartAsync(ct);
        await Task.Delay(1000, ct);
        var idle = cluster.ResidentBytes();

        long delivered = 0;
        var expected = (long)s.Viewers * s.Changes;
        var allDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnDelivery()
        {
            if (Interlocked.Increment(ref delivered) == expected)
            {
                allDelivered.TrySetResult();
            }
        }

        var viewers = new BenchViewer[s.Viewers];
        var joinClock = Stopwatch.StartNew();
        try
        {
            await BenchViewer.ForAllAsync(s.Viewers, 32, async i =>
            {
                var token = bare ? null : await cluster.JoinAsync(i, session!, agencyId, ct);
                var viewer = viewers[i] = BenchViewer.Create(new Uri(cluster.Url(i), hubPath), token, s.Changes, OnDelivery);
                await viewer.Connection.StartAsync(ct);
                if (bare)
                {
                    await viewer.Connection.InvokeAsync("Join", group, ct);
                }
                else
                {
                    await viewer.Snapshot.WaitAsync(TimeSpan.FromSeconds(60), ct);
                }
            }, ct);
            var joinSeconds = joinClock.Elapsed.TotalSeconds;

            // Hostile viewers: a busy session's snapshot (100 long questions) requested 20 times through a
            // tiny receive window, never read. Each holds megabytes unsent while the changes go out.
            var stuck = new List<StalledClient>();
            if (busy)
            {
                await SeedQuestionsAsync(cluster, session!, agencyId, ct);
            }

            if (stalled > 0)
            {
                for (var i = 0; i < stalled; i++)
                {
                    var token = await cluster.JoinAsync(s.Viewers + i, session!, agencyId, ct);
                    var client = await StalledClient.ConnectAsync(cluster.Url(s.Viewers + i), token);
                    stuck.Add(client);
                    for (var n = 0; n < 20; n++)
                    {
                        await client.SendAsync($$"""{"type":1,"invocationId":"{{n}}","target":"GetSnapshot","arguments":[]}""");
                    }
                }
            }

            await Task.Delay(2000, ct);
            var loaded = cluster.ResidentBytes();
            var cpuBefore = cluster.CpuTimes();

            // The host's page changes, on a fixed schedule.
            var sent = new long[s.Changes];
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < s.Changes; i++)
            {
                // Rate 0: back to back, each change as soon as the previous call returns (the throughput test).
                var due = s.Rate > 0 ? start + (long)(i / s.Rate * Stopwatch.Frequency) : 0;
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct);
                }

                sent[i] = Stopwatch.GetTimestamp();
                var page = i + 2;
                if (bare)
                {
                    await host.Connection.InvokeAsync("Relay", group, new PageChanged(page, page, s.Changes + 1), ct);
                }
                else
                {
                    await host.Connection.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), page, ct);
                }
            }

            // Everything delivered, or ten seconds after the last change: what is missing then is lost.
            await Task.WhenAny(allDelivered.Task, Task.Delay(TimeSpan.FromSeconds(10), ct));
            var cpuAfter = cluster.CpuTimes();

            var latencies = new List<double>(s.Viewers * s.Changes);
            long lastReceipt = 0;
            foreach (var viewer in viewers)
            {
                for (var i = 0; i < s.Changes; i++)
                {
                    var at = viewer.Receipts[i];
                    if (at != 0)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(sent[i], at).TotalMilliseconds);
                        lastReceipt = Math.Max(lastReceipt, at);
                    }
                }
            }

            var span = Stopwatch.GetElapsedTime(sent[0], Math.Max(lastReceipt, sent[^1])).TotalSeconds;
            foreach (var client in stuck)
            {
                client.Dispose();
            }

            return new FanoutResult(
                bare ? "bare" : stalled > 0 ? $"ours+{stalled} stalled" : "ours", s.Viewers, s.Instances, s.Changes, expected, latencies.Count,
                Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 95), Stats.Percentile(latencies, 99),
                latencies.Count == 0 ? double.NaN : latencies.Max(),
                span > 0 ? latencies.Count / span : 0,
                joinSeconds,
                cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray(),
                idle, loaded,
                (double)(loaded.Sum() - idle.Sum()) / s.Viewers);
        }
        finally
        {
            await BenchViewer.DisposeAllAsync(viewers);
        }
    }

    private static async Task SeedQuestionsAsync(Cluster cluster, LiveExchange.Hub.Sessions.SessionScheduled session, long agencyId, CancellationToken ct)
    {
        for (var p = 0; p < 20; p++)
        {
            var token = await cluster.JoinAsync(1_000_000 + p, session, agencyId, ct);
            await using var asker = new HubConnectionBuilder()
                .WithUrl(new Uri(cluster.Url(0), ExchangeHubRoute.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            await asker.StartAsync(ct);
            for (var q = 0; q < 5; q++)
            {
                await asker.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), $"问题 {p}-{q}：" + new string('问', 280), (string?)null, false, ct);
            }
        }
    }
}

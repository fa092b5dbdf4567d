using System.Collections.Concurrent;
using System.Diagnostics;

namespace LiveExchange.Bench.Scenarios;

public sealed record JoinStormResult(
    int Viewers,
    int Instances,
    double Seconds,
    int Succeeded,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    long AttendanceRows,
    long Participants,
    double[] CpuSecondsPerInstance,
    string[] Errors);

/// <summary>
/// N viewers join within T seconds, evenly spread: each calls POST /api/join, connects to the hub and
/// waits for its snapshot. Then the database must hold exactly one participant and one open
/// attendance interval per viewer that succeeded.
/// </summary>
public static class JoinStorm
{
    public static async Task<JoinStormResult> RunAsync(BenchSettings s, CancellationToken ct)
    {
        await using var cluster = await Cluster.StartOursAsync(s);
        var (session, agencyId) = await cluster.ScheduleAsync(deckPages: 3);
        var viewers = new BenchViewer?[s.Viewers];
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentBag<string>();
        var cpuBefore = cluster.CpuTimes();
        try
        {
            await BenchViewer.SpreadAsync(s.Viewers, s.Seconds, async i =>
            {
                var began = Stopwatch.GetTimestamp();
                try
                {
                    var token = await cluster.JoinAsync(i, session, agencyId, ct);
                    var viewer = viewers[i] = BenchViewer.Create(new Uri(cluster.Url(i), LiveExchange.Shared.ExchangeHubRoute.Path), token, 0);
                    await viewer.Connection.StartAsync(ct);
                    await viewer.Snapshot.WaitAsync(TimeSpan.FromSeconds(60), ct);
                    latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                }
            }, ct);
            var cpuAfter = cluster.CpuTimes();
            var rows = await cluster.CountAsync(
                "select count(*) from attendance_intervals where session_id = @s and left_at_ms is null", new { s = session.Id });
            var participants = await cluster.CountAsync(
                "select count(*) from participants where session_id = @s and role = 'viewer'", new { s = session.Id });
            var l = latencies.ToArray();
            return new JoinStormResult(
                s.Viewers, s.Instances, s.Seconds, l.Length,
                Stats.Percentile(l, 50), Stats.Percentile(l, 99), l.Length == 0 ? double.NaN : l.Max(),
                rows, participants,
                cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray(),
                errors.GroupBy(e => e).Select(g => $"{g.Count()}× {g.Key}").ToArray());
        }
        finally
        {
            await BenchViewer.DisposeAllAsync(viewers);
        }
    }
}

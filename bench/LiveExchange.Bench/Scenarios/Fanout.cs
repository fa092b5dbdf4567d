using System.Diagnostics;
using LiveExchange.Bench.Wire;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR.Client;

namespace LiveExchange.Bench.Scenarios;

/// <summary>The three servers a fan-out compares, in the same run on the same Redis.</summary>
public enum FanoutTarget
{
    /// <summary>LiveExchange: a real join, a transaction and a version per page change.</summary>
    Ours,

    /// <summary>bench/LiveExchange.BareHub: a SignalR hub that only relays to a group.</summary>
    Bare,

    /// <summary>bench/socketio-relay: Socket.IO 4 with the Redis adapter, relaying to a room.</summary>
    SocketIo,
}

/// <summary>What one fan-out run measured on one target.</summary>
public sealed record FanoutResult(
    string Hub,
    string Protocol,
    int Viewers,
    int Instances,
    int Changes,
    int Warmup,
    int InFlight,
    long Expected,
    long Delivered,
    long ColdExpected,
    long ColdDelivered,
    int OutOfOrder,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    double ColdP99Ms,
    double HostInstanceP50Ms,
    double OtherInstancesP50Ms,
    double DeliveriesPerSecond,
    double JoinSeconds,
    double[] CpuSecondsPerInstance,
    double PostgresCpuSeconds,
    double RedisCpuSeconds,
    long[] IdleBytesPerInstance,
    long[] LoadedBytesPerInstance,
    double BytesPerViewer,
    double GeneratorCpuSeconds,
    double MeasuredSeconds)
{
    /// <summary>The unit the issue compares CPU in: 5,000 viewers × 50 changes.</summary>
    public const double DeliveriesPerCpuUnit = 250_000;

    public double DeliveredPercent => Expected == 0 ? 0 : 100.0 * Delivered / Expected;

    public double ColdDeliveredPercent => ColdExpected == 0 ? 100 : 100.0 * ColdDelivered / ColdExpected;

    public double HubCpuSeconds => CpuSecondsPerInstance.Sum();

    /// <summary>Hub processes plus PostgreSQL (the relays leave it idle, but its idle cost is counted alike).</summary>
    public double ServerCpuPer250k => Delivered == 0 ? double.NaN
        : (HubCpuSeconds + (double.IsNaN(PostgresCpuSeconds) ? 0 : PostgresCpuSeconds)) * DeliveriesPerCpuUnit / Delivered;

    public double RedisCpuPer250k => Delivered == 0 ? double.NaN : RedisCpuSeconds * DeliveriesPerCpuUnit / Delivered;
}

/// <summary>
/// N viewers spread over K instances, the host on the first; the host changes the page W times (the
/// warm-up, reported as cold) and then M times (measured), at a fixed rate. Latency runs from just
/// before the host's call to each viewer's receipt, on one clock. The viewers are the same light
/// WebSocket clients (<see cref="WireViewer"/>) for every target, so the generator costs each the same.
/// </summary>
public static class Fanout
{
    private const string Group = "bench";
    private const int FirstPage = 2;

    /// <param name="stalled">Viewers that ask for large snapshots and then stop reading, present throughout the measured changes (ours only).</param>
    /// <param name="busy">Seed a busy session first (100 long questions), so the stalled viewers' snapshots are large; the clean run of the comparison does it too.</param>
    public static async Task<FanoutResult> RunAsync(BenchSettings s, FanoutTarget target, CancellationToken ct, int stalled = 0, bool busy = false)
    {
        await using var cluster = target switch
        {
            FanoutTarget.Ours => await Cluster.StartOursAsync(s),
            FanoutTarget.Bare => await Cluster.StartBareAsync(s),
            _ => await Cluster.StartSocketIoAsync(s),
        };
        var ours = target == FanoutTarget.Ours;
        var protocol = target == FanoutTarget.SocketIo ? WireProtocol.SocketIo
            : s.Protocol == "messagepack" ? WireProtocol.SignalRMessagePack : WireProtocol.SignalRJson;
        var path = target switch
        {
            FanoutTarget.Ours => ExchangeHubRoute.Path,
            FanoutTarget.Bare => "/hubs/bare",
            _ => "/socket.io/",
        };
        var servers = await ServerCpu.FindAsync(s.Postgres, s.Redis);
        var total = s.Warmup + s.Changes;

        LiveExchange.Hub.Sessions.SessionScheduled? session = null;
        long agencyId = 0;
        if (ours)
        {
            (session, agencyId) = await cluster.ScheduleAsync(total + 1);
            if (busy)
            {
                // Before the host connects, so the seeding stays out of what is measured. (When every question
                // sent the hosts the whole moderation queue, 100 of them, 13 MB in all, outran a host in this
                // busy generator past its outbox limit; each now sends the hosts that one question.)
                await SeedQuestionsAsync(cluster, session!, agencyId, ct);
            }
        }

        // The host: our hub's own .NET client on ours; a light client that relays over JSON or Socket.IO on the baselines.
        await using var host = ours ? BenchViewer.Create(new Uri(cluster.Url(0), path), session!.HostToken, 0) : null;
        await using var relayHost = ours ? null
            : await WireViewer.ConnectAsync(protocol == WireProtocol.SocketIo ? protocol : WireProtocol.SignalRJson, cluster.Url(0), path, null, FirstPage, 0, null, null, ct);
        if (host is not null)
        {
            await host.Connection.StartAsync(ct);
        }

        await Task.Delay(1000, ct);
        var idle = cluster.ResidentBytes();

        long delivered = 0, coldDelivered = 0;
        var expected = (long)s.Viewers * s.Changes;
        var coldExpected = (long)s.Viewers * s.Warmup;
        var allDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var coldAllDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnDelivery(int index)
        {
            if (index < s.Warmup)
            {
                if (Interlocked.Increment(ref coldDelivered) == coldExpected)
                {
                    coldAllDelivered.TrySetResult();
                }
            }
            else if (Interlocked.Increment(ref delivered) == expected)
            {
                allDelivered.TrySetResult();
            }
        }

        var viewers = new WireViewer?[s.Viewers];
        await using var pinger = new WirePinger();
        var joinClock = Stopwatch.StartNew();
        try
        {
            await BenchViewer.ForAllAsync(s.Viewers, s.InFlight, async i =>
            {
                var token = ours ? await cluster.JoinAsync(i, session!, agencyId, ct) : null;
                var viewer = viewers[i] = await WireViewer.ConnectAsync(protocol, cluster.Url(i), path, token, FirstPage, total, pinger, OnDelivery, ct);
                if (!ours)
                {
                    await viewer.JoinAsync(Group);
                }
            }, ct);
            var joinSeconds = joinClock.Elapsed.TotalSeconds;

            // Hostile viewers: a busy session's snapshot (100 long questions) requested 20 times through a
            // tiny receive window, never read. Each holds megabytes unsent while the changes go out.
            var stuck = new List<StalledClient>();

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

            await Task.Delay(2000, ct);
            var loaded = cluster.ResidentBytes();

            // The host's page changes, on a fixed schedule; rate 0: back to back, each as soon as the previous call returns.
            async Task<long[]> ChangePagesAsync(int first, int count)
            {
                var sent = new long[count];
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < count; i++)
                {
                    var due = s.Rate > 0 ? start + (long)(i / s.Rate * Stopwatch.Frequency) : 0;
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, ct);
                    }

                    sent[i] = Stopwatch.GetTimestamp();
                    var page = FirstPage + first + i;
                    if (host is not null)
                    {
                        await host.Connection.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), page, ct);
                    }
                    else
                    {
                        await relayHost!.RelayAsync(Group, page, total + 1);
                    }
                }

                return sent;
            }

            // Cold: the first changes after start-up, reported apart; what is missing ten seconds after is lost.
            var coldSent = await ChangePagesAsync(0, s.Warmup);
            await Task.WhenAny(coldAllDelivered.Task, Task.Delay(TimeSpan.FromSeconds(10), ct));

            var cpuBefore = cluster.CpuTimes();
            var generatorBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var measuredClock = Stopwatch.StartNew();
            var postgresBefore = servers.PostgresSeconds();
            var redisBefore = await servers.RedisSecondsAsync();
            var sent = await ChangePagesAsync(s.Warmup, s.Changes);
            await Task.WhenAny(allDelivered.Task, Task.Delay(TimeSpan.FromSeconds(10), ct));
            var cpuAfter = cluster.CpuTimes();
            var generatorCpu = (Process.GetCurrentProcess().TotalProcessorTime - generatorBefore).TotalSeconds;
            var measuredSeconds = measuredClock.Elapsed.TotalSeconds;
            var postgresAfter = servers.PostgresSeconds();
            var redisAfter = await servers.RedisSecondsAsync();

            var latencies = new List<double>(s.Viewers * s.Changes);
            var cold = new List<double>(s.Viewers * s.Warmup);
            var onHostInstance = new List<double>();
            var elsewhere = new List<double>();
            long lastReceipt = 0;
            var outOfOrder = 0;
            for (var v = 0; v < viewers.Length; v++)
            {
                var viewer = viewers[v]!;
                outOfOrder += viewer.OutOfOrder;
                for (var i = 0; i < total; i++)
                {
                    var at = viewer.Receipts[i];
                    if (at == 0)
                    {
                        continue;
                    }

                    if (i < s.Warmup)
                    {
                        cold.Add(Stopwatch.GetElapsedTime(coldSent[i], at).TotalMilliseconds);
                        continue;
                    }

                    var ms = Stopwatch.GetElapsedTime(sent[i - s.Warmup], at).TotalMilliseconds;
                    latencies.Add(ms);
                    (v % cluster.Urls.Count == 0 ? onHostInstance : elsewhere).Add(ms);
                    lastReceipt = Math.Max(lastReceipt, at);
                }
            }

            var span = Stopwatch.GetElapsedTime(sent[0], Math.Max(lastReceipt, sent[^1])).TotalSeconds;
            foreach (var client in stuck)
            {
                client.Dispose();
            }

            var name = target switch
            {
                FanoutTarget.Ours => stalled > 0 ? $"ours+{stalled} stalled" : "ours",
                FanoutTarget.Bare => "bare",
                _ => "socket.io",
            };
            return new FanoutResult(
                name, protocol switch { WireProtocol.SocketIo => "engine.io 4", WireProtocol.SignalRJson => "json", _ => "messagepack" },
                s.Viewers, cluster.Urls.Count, s.Changes, s.Warmup, s.InFlight, expected, latencies.Count, coldExpected, cold.Count, outOfOrder,
                Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 95), Stats.Percentile(latencies, 99),
                latencies.Count == 0 ? double.NaN : latencies.Max(),
                Stats.Percentile(cold, 99),
                Stats.Percentile(onHostInstance, 50), Stats.Percentile(elsewhere, 50),
                span > 0 ? latencies.Count / span : 0,
                joinSeconds,
                cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray(),
                postgresAfter - postgresBefore,
                redisAfter - redisBefore,
                idle, loaded,
                (double)(loaded.Sum() - idle.Sum()) / s.Viewers,
                generatorCpu, measuredSeconds);
        }
        finally
        {
            await BenchViewer.ForAllAsync(viewers.Length, 64, async i =>
            {
                if (viewers[i] is { } v)
                {
                    await v.DisposeAsync();
                }
            }, CancellationToken.None);
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

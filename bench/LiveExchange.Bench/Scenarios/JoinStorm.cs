using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using LiveExchange.Bench.Wire;
using Npgsql;

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
    string[] Errors,
    double CommandsPerJoin,
    double TransactionsPerJoin,
    double HubCpuMsPerJoin,
    double PostgresCpuMsPerJoin);

/// <summary>
/// N viewers join within T seconds, evenly spread: each calls POST /api/join, opens the hub's WebSocket
/// (without a negotiate request: the hub speaks WebSockets only) and waits for its snapshot, as the browser
/// does, through the light <see cref="WireViewer"/> (the generator shares the machine with the servers, and
/// SignalR's .NET client is heavier per screen). Then the database must hold exactly one participant and one open
/// attendance interval per viewer that succeeded (hubs warmed up first by up to <see cref="WarmUpJoins"/> joins
/// into another session). What a join costs is read around the storm: the
/// hubs' PostgreSQL commands (Npgsql's own counter on /metrics; a batch is one), the transactions
/// PostgreSQL committed in the bench database, and the CPU of the hubs and of PostgreSQL (from /proc).
/// </summary>
public static class JoinStorm
{
    public static async Task<JoinStormResult> RunAsync(BenchSettings s, CancellationToken ct)
    {
        await using var cluster = await Cluster.StartOursAsync(s);
        await WarmUpAsync(cluster, Math.Min(WarmUpJoins, s.Viewers), s.Seconds, ct);
        var (session, agencyId) = await cluster.ScheduleAsync(deckPages: 3);
        var viewers = new WireViewer?[s.Viewers];
        await using var pinger = new WirePinger();
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentBag<string>();
        var costBefore = await JoinCosts.ReadAsync(cluster);
        var cpuBefore = cluster.CpuTimes();
        try
        {
            await BenchViewer.SpreadAsync(s.Viewers, s.Seconds, async i =>
            {
                var began = Stopwatch.GetTimestamp();
                try
                {
                    var token = await cluster.JoinAsync(i, session, agencyId, ct);
                    // Returns once the snapshot has arrived: WebSocket, handshake, snapshot.
                    viewers[i] = await WireViewer.ConnectAsync(WireProtocol.SignalRJson, cluster.Url(i), LiveExchange.Shared.ExchangeHubRoute.Path,
                        token, 1, 1, pinger, null, ct);
                    latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                }
            }, ct);
            var cpuAfter = cluster.CpuTimes();
            var costAfter = await JoinCosts.ReadAsync(cluster);
            var rows = await cluster.CountAsync(
                "select count(*) from attendance_intervals where session_id = @s and left_at_ms is null", new { s = session.Id });
            var participants = await cluster.CountAsync(
                "select count(*) from participants where session_id = @s and role = 'viewer'", new { s = session.Id });
            var l = latencies.ToArray();
            var cpu = cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray();
            double joins = Math.Max(1, l.Length);
            return new JoinStormResult(
                s.Viewers, s.Instances, s.Seconds, l.Length,
                Stats.Percentile(l, 50), Stats.Percentile(l, 99), l.Length == 0 ? double.NaN : l.Max(),
                rows, participants,
                cpu,
                errors.GroupBy(e => e).Select(g => $"{g.Count()}× {g.Key}").ToArray(),
                (costAfter.Commands - costBefore.Commands) / joins,
                (costAfter.Transactions - costBefore.Transactions) / joins,
                cpu.Sum() * 1000 / joins,
                (costAfter.PostgresCpu - costBefore.PostgresCpu).TotalMilliseconds / joins);
        }
        finally
        {
            await DisposeAllAsync(viewers);
        }
    }

    /// <summary>At most this many joins (as many as the storm's, over its window) in a session of their own first.</summary>
    public const int WarmUpJoins = 300;

    /// <summary>
    /// A running server has compiled its join path long before a storm; freshly started hubs would spend
    /// the storm's first seconds in the JIT, and at a few hundred joins that is most of the CPU measured.
    /// </summary>
    private static async Task WarmUpAsync(Cluster cluster, int joins, double seconds, CancellationToken ct)
    {
        var (session, agencyId) = await cluster.ScheduleAsync(deckPages: 3);
        var viewers = new WireViewer?[joins];
        await using var pinger = new WirePinger();
        try
        {
            // The storm's own path (join, WebSocket, snapshot), so all of it is compiled.
            await BenchViewer.SpreadAsync(joins, seconds, async i =>
            {
                var token = await cluster.JoinAsync(i, session, agencyId, ct);
                viewers[i] = await WireViewer.ConnectAsync(WireProtocol.SignalRJson, cluster.Url(i), LiveExchange.Shared.ExchangeHubRoute.Path,
                    token, 1, 1, pinger, null, ct);
            }, ct);
        }
        finally
        {
            await DisposeAllAsync(viewers);
        }
    }

    private static Task DisposeAllAsync(WireViewer?[] viewers) => BenchViewer.ForAllAsync(viewers.Length, 64, async i =>
    {
        if (viewers[i] is { } v)
        {
            await v.DisposeAsync();
        }
    }, CancellationToken.None);

    /// <summary>
    /// Counters read before and after the storm. Commands: Npgsql's db.client.operation.duration count,
    /// summed over the instances (BEGIN rides along with the next command; COMMIT is not counted, so a
    /// join's round trips are its commands plus its explicit transactions). Transactions: PostgreSQL's
    /// xact_commit + xact_rollback for the bench database (each autocommitted statement is one too).
    /// The hubs' background work (heartbeat, closer, ...) is in both, a few commands a second.
    /// </summary>
    private sealed record JoinCosts(double Commands, long Transactions, TimeSpan PostgresCpu)
    {
        private const string MetricName = "db_client_operation_duration_seconds_count";

        private const string SelectTransactions = """
            select coalesce(sum(xact_commit + xact_rollback), 0)::bigint from pg_stat_database where datname = current_database()
            """;

        public static async Task<JoinCosts> ReadAsync(Cluster cluster)
        {
            double commands = 0;
            for (var i = 0; i < cluster.Urls.Count; i++)
            {
                var text = await cluster.Http(i).GetStringAsync("/metrics");
                foreach (var line in text.Split('\n'))
                {
                    if (line.StartsWith(MetricName, StringComparison.Ordinal))
                    {
                        commands += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                    }
                }
            }

            await using var connection = new NpgsqlConnection(cluster.Database);
            // pg_stat_database is refreshed by the backends at transaction end, at most every second or so.
            await connection.ExecuteAsync("select pg_stat_clear_snapshot()");
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var transactions = await connection.ExecuteScalarAsync<long>(SelectTransactions);
            var dataDirectory = await connection.ExecuteScalarAsync<string>("show data_directory");
            return new JoinCosts(commands, transactions, PostgresCpuOf(dataDirectory!));
        }

        /// <summary>
        /// The local cluster's CPU: the postmaster and its children (utime + stime), plus what ended children
        /// left in the postmaster's cutime + cstime. Zero when PostgreSQL runs elsewhere.
        /// </summary>
        private static TimeSpan PostgresCpuOf(string dataDirectory)
        {
            var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).First(), out var postmaster))
            {
                return TimeSpan.Zero;
            }

            long ticks = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }

                string[] fields;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    // The command name is in parentheses and may hold spaces: split after it.
                    fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                }
                catch (IOException)
                {
                    continue;
                }

                // After the name: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime.
                var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (pid == postmaster)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                        + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                }
                else if (ppid == postmaster)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }

            // USER_HZ is 100 on Linux.
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
    }
}

using System.Globalization;
using System.Text.Json;
using LiveExchange.Bench.Scenarios;

namespace LiveExchange.Bench;

/// <summary>Runs a scenario <see cref="BenchSettings.Runs"/> times, prints tables, returns the JSON line.</summary>
public static class BenchRunner
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static async Task<string> RunAsync(BenchSettings s, TextWriter output, CancellationToken ct)
    {
        output.WriteLine($"== {s.Scenario}: {s.Viewers} viewers, {s.Instances} instances, {s.Runs} run(s), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
        object median;
        object[] runs;
        switch (s.Scenario)
        {
            case "fanout":
            {
                // Three targets per run; the order alternates, as the generator's own warm-up favours the later ones.
                var results = new List<Dictionary<FanoutTarget, FanoutResult>>();
                for (var r = 0; r < s.Runs; r++)
                {
                    FanoutTarget[] order = r % 2 == 0
                        ? [FanoutTarget.Ours, FanoutTarget.Bare, FanoutTarget.SocketIo]
                        : [FanoutTarget.SocketIo, FanoutTarget.Bare, FanoutTarget.Ours];
                    var run = new Dictionary<FanoutTarget, FanoutResult>();
                    foreach (var target in order)
                    {
                        run[target] = await Fanout.RunAsync(s, target, ct);
                    }

                    results.Add(run);
                    output.WriteLine($"-- run {r + 1} (in this order: {string.Join(", ", order.Select(t => run[t].Hub))})");
                    output.Write(FanoutTable([run[FanoutTarget.Ours], run[FanoutTarget.Bare], run[FanoutTarget.SocketIo]]));
                    output.Write(RatioTable([run], "ratio"));
                }

                output.WriteLine($"-- medians of {s.Runs} run(s)");
                output.Write(MedianTable(results));
                output.Write(RatioTable(results, "median ratio"));
                var ours = results.Select(r => r[FanoutTarget.Ours]).ToArray();
                var bare = results.Select(r => r[FanoutTarget.Bare]).ToArray();
                var socketIo = results.Select(r => r[FanoutTarget.SocketIo]).ToArray();
                median = new
                {
                    delivered = Stats.Median(ours.Select(r => r.DeliveredPercent)),
                    p50Ms = Stats.Median(ours.Select(r => r.P50Ms)),
                    p99Ms = Stats.Median(ours.Select(r => r.P99Ms)),
                    ours = Medians(ours),
                    bare = Medians(bare),
                    socketIo = Medians(socketIo),
                    oursOverSocketIo = RatioMedians(ours, socketIo),
                    oursOverBare = RatioMedians(ours, bare),
                };
                runs = results.Select(r => (object)new { ours = r[FanoutTarget.Ours], bare = r[FanoutTarget.Bare], socketIo = r[FanoutTarget.SocketIo] }).ToArray();
                break;
            }

            case "stalled":
            {
                // The same fan-out with and without viewers that stop reading, side by side in each run.
                var results = new List<(FanoutResult Clean, FanoutResult Stalled)>();
                for (var r = 0; r < s.Runs; r++)
                {
                    // Alternate which goes first: the generator's own warm-up favours the second.
                    FanoutResult clean, stalled;
                    if (r % 2 == 0)
                    {
                        clean = await Fanout.RunAsync(s, FanoutTarget.Ours, ct, busy: true);
                        stalled = await Fanout.RunAsync(s, FanoutTarget.Ours, ct, stalled: s.Stalled, busy: true);
                    }
                    else
                    {
                        stalled = await Fanout.RunAsync(s, FanoutTarget.Ours, ct, stalled: s.Stalled, busy: true);
                        clean = await Fanout.RunAsync(s, FanoutTarget.Ours, ct, busy: true);
                    }

                    results.Add((clean, stalled));
                    output.WriteLine($"-- run {r + 1}");
                    output.Write(FanoutTable([clean, stalled]));
                    output.WriteLine($"stalled/clean: p99 {Stats.F(stalled.P99Ms / clean.P99Ms, "0.00")}, delivered {Stats.F(stalled.DeliveredPercent, "0.00")}%");
                }

                median = new
                {
                    cleanP50Ms = Stats.Median(results.Select(r => r.Clean.P50Ms)),
                    cleanP99Ms = Stats.Median(results.Select(r => r.Clean.P99Ms)),
                    stalledP50Ms = Stats.Median(results.Select(r => r.Stalled.P50Ms)),
                    stalledP99Ms = Stats.Median(results.Select(r => r.Stalled.P99Ms)),
                    stalledDelivered = Stats.Median(results.Select(r => r.Stalled.DeliveredPercent)),
                    p99Ratio = Stats.Median(results.Select(r => r.Stalled.P99Ms / r.Clean.P99Ms)),
                };
                runs = results.Select(r => (object)new { clean = r.Clean, stalled = r.Stalled }).ToArray();
                break;
            }

            case "video":
            {
                var results = new List<VideoResult>();
                for (var r = 0; r < s.Runs; r++)
                {
                    var result = await VideoFanout.RunAsync(s, ct);
                    results.Add(result);
                    output.WriteLine($"-- run {r + 1}");
                    output.Write(VideoFanout.Table(result));
                }

                median = new
                {
                    firstFrameP50Ms = Stats.Median(results.Select(r => r.FirstFrameP50Ms)),
                    firstFrameMaxMs = Stats.Median(results.Select(r => r.FirstFrameMaxMs)),
                    janusCpuPercent = Stats.Median(results.Select(r => r.JanusCpuPercentHigh)),
                    highKbitPerViewer = Stats.Median(results.Select(r => r.HighKbitPerViewer)),
                    lowKbitPerViewer = Stats.Median(results.Select(r => r.LowKbitPerViewer)),
                    janusCpuPercentLow = Stats.Median(results.Select(r => r.JanusCpuPercentLow)),
                };
                runs = results.Cast<object>().ToArray();
                break;
            }

            case "faults":
            {
                // Its own PostgreSQL and Redis (it stops and kills them) and two hubs behind a front door.
                var outcomes = await Faults.FaultDrill.RunAsync(
                    new Faults.FaultDrillSettings { Viewers = s.Viewers, RedisAwaySeconds = s.AwaySeconds, PostgresAwaySeconds = Math.Min(s.AwaySeconds, 10) },
                    output, ct);
                median = outcomes;
                runs = outcomes.Cast<object>().ToArray();
                break;
            }

            case "joinstorm":
            {
                var results = new List<JoinStormResult>();
                for (var r = 0; r < s.Runs; r++)
                {
                    var result = await JoinStorm.RunAsync(s, ct);
                    results.Add(result);
                    output.WriteLine($"-- run {r + 1}");
                    output.Write(Stats.Table(
                        ["viewers", "within s", "succeeded", "p50 ms", "p99 ms", "max ms", "attendance rows", "participants", "cpu s",
                         "db commands/join", "db transactions/join", "hub cpu ms/join", "postgres cpu ms/join"],
                        [[result.Viewers.ToString(CultureInfo.InvariantCulture), Stats.F(result.Seconds), result.Succeeded.ToString(CultureInfo.InvariantCulture),
                          Stats.F(result.P50Ms), Stats.F(result.P99Ms), Stats.F(result.MaxMs), result.AttendanceRows.ToString(CultureInfo.InvariantCulture),
                          result.Participants.ToString(CultureInfo.InvariantCulture), string.Join("+", result.CpuSecondsPerInstance.Select(c => Stats.F(c))),
                          Stats.F(result.CommandsPerJoin, "0.0"), Stats.F(result.TransactionsPerJoin, "0.0"),
                          Stats.F(result.HubCpuMsPerJoin, "0.00"), Stats.F(result.PostgresCpuMsPerJoin, "0.00")]]));
                    foreach (var e in result.Errors)
                    {
                        output.WriteLine($"   error: {e}");
                    }
                }

                median = new
                {
                    succeeded = Stats.Median(results.Select(r => (double)r.Succeeded)),
                    p50Ms = Stats.Median(results.Select(r => r.P50Ms)),
                    p99Ms = Stats.Median(results.Select(r => r.P99Ms)),
                    attendanceRowsEqualViewers = results.All(r => r.AttendanceRows == r.Viewers && r.Participants == r.Viewers),
                    commandsPerJoin = Stats.Median(results.Select(r => r.CommandsPerJoin)),
                    transactionsPerJoin = Stats.Median(results.Select(r => r.TransactionsPerJoin)),
                    hubCpuMsPerJoin = Stats.Median(results.Select(r => r.HubCpuMsPerJoin)),
                    postgresCpuMsPerJoin = Stats.Median(results.Select(r => r.PostgresCpuMsPerJoin)),
                };
                runs = results.Cast<object>().ToArray();
                break;
            }

            // --- Reactions ---
            case "reactionstorm":
            {
                var results = new List<ReactionStormResult>();
                for (var r = 0; r < s.Runs; r++)
                {
                    var result = await ReactionStorm.RunAsync(s, ct);
                    results.Add(result);
                    output.WriteLine($"-- run {r + 1}");
                    output.Write(Stats.Table(
                        ["viewers", "reactions", "within s", "accepted", "react p99 ms", "msgs/viewer/s max", "mean", "bound/s", "msgs/viewer max", "bound", "converged", "db exact", "cpu s"],
                        [[result.Viewers.ToString(CultureInfo.InvariantCulture), (result.Viewers * result.ReactionsPerViewer).ToString(CultureInfo.InvariantCulture), Stats.F(result.Seconds),
                          result.ReactionsAccepted.ToString(CultureInfo.InvariantCulture), Stats.F(result.ReactP99Ms),
                          result.MaxPerViewerPerSecond.ToString(CultureInfo.InvariantCulture), Stats.F(result.MeanPerViewerPerSecond, "0.00"), Stats.F(result.BoundPerSecond),
                          result.MaxMessagesPerViewer.ToString(CultureInfo.InvariantCulture), result.MessagesBound.ToString(CultureInfo.InvariantCulture),
                          result.ViewersConverged.ToString(CultureInfo.InvariantCulture), result.TotalsExact ? "yes" : "NO",
                          string.Join("+", result.CpuSecondsPerInstance.Select(c => Stats.F(c)))]]));
                    output.WriteLine($"   totals in the database {string.Join(",", result.DatabaseTotals.OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}"))}; expected {string.Join(",", result.ExpectedTotals.OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}"))}; one message per reaction would be {Stats.F(result.Viewers * result.ReactionsPerViewer / result.Seconds)} per viewer per second");
                    foreach (var e in result.Errors)
                    {
                        output.WriteLine($"   error: {e}");
                    }
                }

                median = new
                {
                    reactionsAccepted = Stats.Median(results.Select(r => (double)r.ReactionsAccepted)),
                    reactP99Ms = Stats.Median(results.Select(r => r.ReactP99Ms)),
                    maxPerViewerPerSecond = Stats.Median(results.Select(r => (double)r.MaxPerViewerPerSecond)),
                    meanPerViewerPerSecond = Stats.Median(results.Select(r => r.MeanPerViewerPerSecond)),
                    boundPerSecond = results[0].BoundPerSecond,
                    allWithinBound = results.All(r => r.MaxMessagesPerViewer <= r.MessagesBound),
                    allTotalsExact = results.All(r => r.TotalsExact && r.ViewersConverged == r.Viewers),
                };
                runs = results.Cast<object>().ToArray();
                break;
            }

            // --- Polls ---
            case "pollstorm":
            {
                var results = new List<PollStormResult>();
                for (var r = 0; r < s.Runs; r++)
                {
                    var result = await PollStorm.RunAsync(s, ct);
                    results.Add(result);
                    output.WriteLine($"-- run {r + 1}");
                    output.Write(Stats.Table(
                        ["viewers", "within s", "answers ok", "answer p50/p99 ms", "to host chart p50/p99 ms", "host msgs", "msgs/viewer min/med/max", "bound", "converged", "db exact", "host exact", "final exact", "cpu s"],
                        [[result.Viewers.ToString(CultureInfo.InvariantCulture), Stats.F(result.Seconds), result.AnswersAccepted.ToString(CultureInfo.InvariantCulture),
                          $"{Stats.F(result.AnswerP50Ms)}/{Stats.F(result.AnswerP99Ms)}", $"{Stats.F(result.ToHostChartP50Ms)}/{Stats.F(result.ToHostChartP99Ms)}",
                          result.HostMessages.ToString(CultureInfo.InvariantCulture),
                          $"{result.MessagesPerViewerMin}/{result.MessagesPerViewerMedian}/{result.MessagesPerViewerMax}",
                          result.MessagesPerViewerBound.ToString(CultureInfo.InvariantCulture),
                          result.ViewersConverged.ToString(CultureInfo.InvariantCulture), result.DatabaseExact ? "yes" : "NO",
                          result.HostExact ? "yes" : "NO", result.FinalExact ? "yes" : "NO",
                          string.Join("+", result.CpuSecondsPerInstance.Select(c => Stats.F(c)))]]));
                    output.WriteLine($"   answers per option in the database {string.Join(",", result.DatabaseCounts)}; expected {string.Join(",", result.ExpectedCounts)}; one message per answer would be {result.Viewers} per viewer");
                    foreach (var e in result.Errors)
                    {
                        output.WriteLine($"   error: {e}");
                    }
                }

                median = new
                {
                    answersAccepted = Stats.Median(results.Select(r => (double)r.AnswersAccepted)),
                    answerP99Ms = Stats.Median(results.Select(r => r.AnswerP99Ms)),
                    toHostChartP50Ms = Stats.Median(results.Select(r => r.ToHostChartP50Ms)),
                    toHostChartP99Ms = Stats.Median(results.Select(r => r.ToHostChartP99Ms)),
                    messagesPerViewerMedian = Stats.Median(results.Select(r => (double)r.MessagesPerViewerMedian)),
                    messagesPerViewerMax = Stats.Median(results.Select(r => (double)r.MessagesPerViewerMax)),
                    messagesPerViewerBound = results[0].MessagesPerViewerBound,
                    allExact = results.All(r => r.DatabaseExact && r.HostExact && r.FinalExact && r.ViewersConverged == r.Viewers),
                };
                runs = results.Cast<object>().ToArray();
                break;
            }

            default:
            {
                var results = new List<VoteStormResult>();
                for (var r = 0; r < s.Runs; r++)
                {
                    var result = await VoteStorm.RunAsync(s, ct);
                    results.Add(result);
                    output.WriteLine($"-- run {r + 1}");
                    output.Write(Stats.Table(
                        ["viewers", "questions", "within s", "votes ok", "vote p50 ms", "vote p99 ms", "msgs/viewer min/med/max", "converged", "db exact", "cpu s"],
                        [[result.Viewers.ToString(CultureInfo.InvariantCulture), result.Questions.ToString(CultureInfo.InvariantCulture), Stats.F(result.Seconds),
                          result.VotesAccepted.ToString(CultureInfo.InvariantCulture), Stats.F(result.VoteP50Ms), Stats.F(result.VoteP99Ms),
                          $"{result.MessagesPerViewerMin}/{result.MessagesPerViewerMedian}/{result.MessagesPerViewerMax}",
                          result.ViewersConverged.ToString(CultureInfo.InvariantCulture), result.CountsExact ? "yes" : "NO",
                          string.Join("+", result.CpuSecondsPerInstance.Select(c => Stats.F(c)))]]));
                    output.WriteLine($"   counts in the database {string.Join(",", result.DatabaseCounts)}; expected {string.Join(",", result.ExpectedCounts)}; one message per vote would be {result.Viewers} per viewer");
                    foreach (var e in result.Errors)
                    {
                        output.WriteLine($"   error: {e}");
                    }
                }

                median = new
                {
                    votesAccepted = Stats.Median(results.Select(r => (double)r.VotesAccepted)),
                    voteP50Ms = Stats.Median(results.Select(r => r.VoteP50Ms)),
                    voteP99Ms = Stats.Median(results.Select(r => r.VoteP99Ms)),
                    messagesPerViewerMedian = Stats.Median(results.Select(r => (double)r.MessagesPerViewerMedian)),
                    messagesPerViewerMax = Stats.Median(results.Select(r => (double)r.MessagesPerViewerMax)),
                    allCountsExact = results.All(r => r.CountsExact && r.ViewersConverged == r.Viewers),
                };
                runs = results.Cast<object>().ToArray();
                break;
            }
        }

        output.WriteLine($"-- median of {s.Runs}: {JsonSerializer.Serialize(median, Json)}");
        return JsonSerializer.Serialize(new
        {
            scenario = s.Scenario,
            date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            cores = Environment.ProcessorCount,
            viewers = s.Viewers,
            instances = s.Instances,
            changes = s.Changes,
            rate = s.Rate,
            seconds = s.Seconds,
            median,
            runs,
        }, Json);
    }

    private static string FanoutTable(IEnumerable<FanoutResult> results) => Stats.Table(
        ["hub", "wire", "viewers", "delivered", "out of order", "cold p99 ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50 host inst / other ms",
         "join s (in flight)", "cpu s hubs", "cpu s PostgreSQL", "cpu s Redis", "hubs+PG cpu s / 250k", "Redis cpu s / 250k", "idle MB", "loaded MB", "KB / viewer", "generator cpu s / s"],
        results.Select(r => new[]
        {
            r.Hub, r.Protocol, r.Viewers.ToString(CultureInfo.InvariantCulture),
            $"{r.Delivered}/{r.Expected} ({Stats.F(r.DeliveredPercent, "0.00")}%)", r.OutOfOrder.ToString(CultureInfo.InvariantCulture),
            r.Warmup > 0 ? $"{Stats.F(r.ColdP99Ms)} ({Stats.F(r.ColdDeliveredPercent, "0.00")}%)" : "-",
            Stats.F(r.P50Ms), Stats.F(r.P95Ms), Stats.F(r.P99Ms), Stats.F(r.MaxMs),
            $"{Stats.F(r.HostInstanceP50Ms)} / {Stats.F(r.OtherInstancesP50Ms)}",
            $"{Stats.F(r.JoinSeconds)} ({r.InFlight})", string.Join("+", r.CpuSecondsPerInstance.Select(c => Stats.F(c, "0.00"))),
            Stats.F(r.PostgresCpuSeconds, "0.00"), Stats.F(r.RedisCpuSeconds, "0.00"), Stats.F(r.ServerCpuPer250k, "0.00"), Stats.F(r.RedisCpuPer250k, "0.00"),
            string.Join("+", r.IdleBytesPerInstance.Select(b => Stats.F(b / 1048576.0, "0"))),
            string.Join("+", r.LoadedBytesPerInstance.Select(b => Stats.F(b / 1048576.0, "0"))),
            Stats.F(r.BytesPerViewer / 1024, "0.0"),
            // The generator's own load over the measured phase: near 1 or more, it, not the server, may set the latency.
            $"{Stats.F(r.GeneratorCpuSeconds, "0.0")} / {Stats.F(r.MeasuredSeconds, "0.0")}",
        }));

    /// <summary>The figures the issue compares, by name, for the median table, the ratios and the JSON line.</summary>
    private static readonly (string Name, string Header, Func<FanoutResult, double> Value, bool Ratio)[] FanoutMetrics =
    [
        ("deliveredPercent", "delivered %", r => r.DeliveredPercent, false),
        ("coldDeliveredPercent", "cold delivered %", r => r.ColdDeliveredPercent, false),
        ("outOfOrder", "out of order", r => r.OutOfOrder, false),
        ("coldP99Ms", "cold p99 ms", r => r.ColdP99Ms, true),
        ("p50Ms", "p50 ms", r => r.P50Ms, true),
        ("p95Ms", "p95 ms", r => r.P95Ms, true),
        ("p99Ms", "p99 ms", r => r.P99Ms, true),
        ("maxMs", "max ms", r => r.MaxMs, true),
        ("hostInstanceP50Ms", "p50 host inst ms", r => r.HostInstanceP50Ms, false),
        ("otherInstancesP50Ms", "p50 other ms", r => r.OtherInstancesP50Ms, false),
        ("joinSeconds", "join s", r => r.JoinSeconds, true),
        ("hubCpuSeconds", "cpu s hubs", r => r.HubCpuSeconds, false),
        ("postgresCpuSeconds", "cpu s PG", r => r.PostgresCpuSeconds, false),
        ("redisCpuSeconds", "cpu s Redis", r => r.RedisCpuSeconds, false),
        ("serverCpuPer250k", "hubs+PG cpu s / 250k", r => r.ServerCpuPer250k, true),
        ("redisCpuPer250k", "Redis cpu s / 250k", r => r.RedisCpuPer250k, true),
        ("bytesPerViewer", "KB / viewer", r => r.BytesPerViewer, true),
        ("deliveriesPerSecond", "deliveries / s", r => r.DeliveriesPerSecond, false),
    ];

    private static Dictionary<string, double> Medians(IReadOnlyList<FanoutResult> results) =>
        FanoutMetrics.ToDictionary(m => m.Name, m => Stats.Median(results.Select(m.Value)));

    private static Dictionary<string, double> RatioMedians(IReadOnlyList<FanoutResult> ours, IReadOnlyList<FanoutResult> other) =>
        FanoutMetrics.Where(m => m.Ratio).ToDictionary(m => m.Name, m => Stats.Median(ours.Zip(other, (o, b) => m.Value(o) / m.Value(b))));

    private static string MedianTable(IReadOnlyList<Dictionary<FanoutTarget, FanoutResult>> results) => Stats.Table(
        ["hub", .. FanoutMetrics.Select(m => m.Header)],
        Enum.GetValues<FanoutTarget>().Select(t =>
        {
            var all = results.Select(r => r[t]).ToArray();
            return (string[])[all[0].Hub, .. FanoutMetrics.Select(m => Stats.F(m.Name == "bytesPerViewer" ? Stats.Median(all.Select(m.Value)) / 1024 : Stats.Median(all.Select(m.Value)), "0.0#"))];
        }));

    /// <summary>ours/Socket.IO and ours/bare for the figures the issue compares (the median of the runs' ratios).</summary>
    private static string RatioTable(IReadOnlyList<Dictionary<FanoutTarget, FanoutResult>> runs, string label)
    {
        var metrics = FanoutMetrics.Where(m => m.Ratio).ToArray();
        var ours = runs.Select(r => r[FanoutTarget.Ours]).ToArray();
        return Stats.Table(
            [label, .. metrics.Select(m => m.Header)],
            new[] { (Name: "ours/socket.io", Target: FanoutTarget.SocketIo), (Name: "ours/bare", Target: FanoutTarget.Bare) }.Select(x =>
            {
                var ratios = RatioMedians(ours, runs.Select(r => r[x.Target]).ToArray());
                return (string[])[x.Name, .. metrics.Select(m => Stats.F(ratios[m.Name], "0.00"))];
            }));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using LiveExchange.Shared;
using Npgsql;

namespace LiveExchange.Bench.Faults;

public sealed record FaultDrillSettings
{
    public int Viewers { get; init; } = 300;

    /// <summary>How long Redis stays away.</summary>
    public double RedisAwaySeconds { get; init; } = 30;

    /// <summary>How long PostgreSQL stays stopped in its restart.</summary>
    public double PostgresAwaySeconds { get; init; } = 5;
}

/// <summary>What one fault did, and what the final-state check found after it.</summary>
public sealed record FaultOutcome(
    string Fault,
    int Affected,
    int Back,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double SlowestCallMs,
    int FailedCalls,
    int Acknowledged,
    int Lost,
    int Doubled,
    int Converged,
    int Clients,
    string Notes);

/// <summary>
/// The fault drill: two hub processes behind one front door, on a PostgreSQL and a Redis of its own,
/// a host and N scripted viewers. Each fault happens mid-session while the host pages and viewers
/// ask and vote; afterwards every client's view and every acknowledgement is checked against the
/// database (0 lost, 0 doubled is the bar).
///   kill      SIGKILL one instance: its viewers come back through the front door to the other.
///   redis     Redis away: writes go on (acknowledged = stored), clients converge when it returns.
///   postgres  PostgreSQL restarted: calls fail fast and clearly meanwhile; retried questions stored once.
/// </summary>
public static class FaultDrill
{
    private const string OrganiserKey = "fault-drill-organiser-key-0123456789";

    public static async Task<FaultOutcome[]> RunAsync(FaultDrillSettings settings, TextWriter output, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var services = await FaultServices.StartAsync();
        var hubSettings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = services.Postgres,
            ["ConnectionStrings:Redis"] = services.Redis,
            ["Realtime:ChannelPrefix"] = "faults-" + Guid.NewGuid().ToString("N"),
            ["Organiser:Key"] = OrganiserKey,
            ["Joining:PerMinutePerAddress"] = "10000000",
            ["Joining:ParticipantsPerAddress"] = "10000000",
            ["Questions:VotesPerAgency"] = "10000000",
            // Gone after 4 s without a heartbeat (one a second): the drill sees A's intervals closed quickly.
            ["Attendance:InstanceTimeoutSeconds"] = "4",
        };
        var a = HubProcess.StartAsync("A", hubSettings);
        var b = HubProcess.StartAsync("B", hubSettings);
        await using var hubA = await a;
        await using var hubB = await b;
        await using var door = new FrontDoor([hubA.BaseAddress, hubB.BaseAddress]);
        output.WriteLine($"== two hubs behind {door.Address}; PostgreSQL :{services.PostgresPort}, Redis :{services.RedisPort}");

        using var http = new HttpClient { BaseAddress = door.Address, Timeout = TimeSpan.FromSeconds(30) };
        var (sessionId, hostToken, code, agencies) = await ScheduleAsync(http);
        using (var upload = new MultipartFormDataContent())
        {
            var file = new ByteArrayContent(Hub.Demo.DemoSession.SampleDeck(5));
            file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            upload.Add(file, "file", "deck.pdf");
            using var asHost = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{sessionId}/deck") { Content = upload };
            asHost.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hostToken);
            (await http.SendAsync(asHost, ct)).EnsureSuccessStatusCode();
        }

        var host = new FaultViewer(door.Address, hostToken, clock);
        await host.StartAsync();
        await host.ConnectedAsync(TimeSpan.FromSeconds(30));
        var viewers = new List<FaultViewer>();
        await Parallel.ForEachAsync(Enumerable.Range(0, settings.Viewers), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, _) =>
        {
            var join = await http.PostAsJsonAsync("/api/join", new
            {
                code,
                agencyId = agencies[i % agencies.Length],
                displayName = $"屏幕{i}",
                headcount = 1 + (i % 7),
                // A fresh session's consent notice is version 1 (the drill never edits it).
                consentVersion = 1,
            }, ct);
            join.EnsureSuccessStatusCode();
            var token = (await join.Content.ReadFromJsonAsync<JoinedReply>(ct))!.ParticipantToken;
            var v = new FaultViewer(door.Address, token, clock);
            await v.StartAsync();
            await v.ConnectedAsync(TimeSpan.FromSeconds(60));
            lock (viewers)
            {
                viewers.Add(v);
            }
        });
        output.WriteLine($"== {viewers.Count} viewers connected after {clock.Elapsed.TotalSeconds:0.0} s");

        var outcomes = new List<FaultOutcome>();
        var page = 1;
        try
        {
            outcomes.Add(await KillAsync());
            outcomes.Add(await RedisAsync());
            outcomes.Add(await PostgresAsync());
        }
        finally
        {
            foreach (var v in viewers)
            {
                await v.DisposeAsync();
            }

            await host.DisposeAsync();
        }

        output.WriteLine(Stats.Table(
            ["fault", "affected", "back", "p50 ms", "p99 ms", "max ms", "slowest call ms", "failed calls", "acked", "lost", "doubled", "converged", "notes"],
            outcomes.Select(o => new[]
            {
                o.Fault, I(o.Affected), I(o.Back), Stats.F(o.P50Ms), Stats.F(o.P99Ms), Stats.F(o.MaxMs), Stats.F(o.SlowestCallMs),
                I(o.FailedCalls), I(o.Acknowledged), I(o.Lost), I(o.Doubled), $"{o.Converged}/{o.Clients}", o.Notes,
            }).ToList()));
        return outcomes.ToArray();

        // --- the faults -------------------------------------------------------------------------

        async Task<FaultOutcome> KillAsync()
        {
            await ActivityAsync("before the kill");
            await using var db = new NpgsqlConnection(services.Postgres + ";Pooling=false");
            var onA = new HashSet<long>(await db.QueryAsync<long>(
                "select participant_id from attendance_intervals where instance_id = 'A' and left_at_ms is null"));
            var affected = viewers.Where(v => onA.Contains(v.ParticipantId)).ToList();
            foreach (var v in viewers.Append(host))
            {
                await v.ForgetDropAsync();
            }

            var killedAt = clock.Elapsed.TotalMilliseconds;
            await hubA.KillAsync();
            output.WriteLine($"-- killed A (SIGKILL) with {affected.Count} viewers on it");
            // The session goes on while they come back: a page change and questions through the front door.
            var during = ActivityAsync("while A is dead", patience: TimeSpan.FromSeconds(30));
            var deadline = clock.Elapsed + TimeSpan.FromSeconds(60);
            while (affected.Any(v => v.BackAtMs is null) && clock.Elapsed < deadline)
            {
                await Task.Delay(100, ct);
            }

            var (slowest, failed, acked) = await during;
            var back = affected.Where(v => v.BackAtMs is not null).Select(v => v.BackAtMs!.Value - killedAt).OrderBy(x => x).ToArray();

            // A's intervals end at its last heartbeat, closed by B once A is overdue.
            var seenA = await db.ExecuteScalarAsync<long>("select seen_at_ms from hub_instances where instance_id = 'A'");
            var open = -1L;
            for (var i = 0; i < 100 && open != 0; i++)
            {
                open = await db.ExecuteScalarAsync<long>("select count(*) from attendance_intervals where instance_id = 'A' and left_at_ms is null");
                if (open != 0)
                {
                    await Task.Delay(200, ct);
                }
            }

            await WaitConvergedAsync(TimeSpan.FromSeconds(30));
            var wrongEnd = await db.ExecuteScalarAsync<long>(
                "select count(*) from attendance_intervals where instance_id = 'A' and left_at_ms is not null and left_at_ms > @seenA and left_at_ms <> joined_at_ms",
                new { seenA });
            var (lost, doubled, converged) = await CheckAsync();
            return new FaultOutcome("kill", affected.Count, back.Length, Stats.Percentile(back, 50), Stats.Percentile(back, 99),
                back.Length == 0 ? 0 : back[^1], slowest, failed, acked, lost, doubled, converged, viewers.Count + 1,
                $"A's intervals open {open}, ended after its last heartbeat {wrongEnd}");
        }

        async Task<FaultOutcome> RedisAsync()
        {
            await services.KillRedisAsync();
            output.WriteLine($"-- Redis killed; back in {settings.RedisAwaySeconds} s");
            var away = Task.Delay(TimeSpan.FromSeconds(settings.RedisAwaySeconds), ct);
            var (slowest, failed, acked) = await ActivityAsync("while Redis is away", patience: TimeSpan.FromSeconds(10));
            // The instance says so: /health/ready reports Redis degraded (and the log has a warning).
            using var direct = new HttpClient { BaseAddress = hubB.BaseAddress };
            var said = "";
            for (var i = 0; i < 40 && !said.Contains("\"redis\",\"status\":\"Degraded\"", StringComparison.Ordinal); i++)
            {
                said = await direct.GetStringAsync("/health/ready", ct);
                await Task.Delay(250, ct);
            }

            var healthSaidSo = said.Contains("\"redis\",\"status\":\"Degraded\"", StringComparison.Ordinal);
            output.WriteLine($"   /health/ready while Redis is away: {said}");
            await away;
            var back = clock.Elapsed.TotalMilliseconds;
            await services.RestartRedisAsync();
            output.WriteLine("-- Redis back");
            var convergedAt = await WaitConvergedAsync(TimeSpan.FromSeconds(60));
            var (lost, doubled, converged) = await CheckAsync();
            var took = convergedAt is null ? double.NaN : convergedAt.Value - back;
            return new FaultOutcome("redis", viewers.Count + 1, converged, took, took, took, slowest, failed, acked, lost, doubled,
                converged, viewers.Count + 1, $"health said degraded: {healthSaidSo}; all converged {Stats.F(took)} ms after Redis returned (no reload)");
        }

        async Task<FaultOutcome> PostgresAsync()
        {
            await services.StopPostgresAsync();
            output.WriteLine($"-- PostgreSQL stopped; back in {settings.PostgresAwaySeconds} s");
            // Calls while it is down: each must fail quickly with a clear, retryable error.
            var probe = viewers.Take(Math.Min(20, viewers.Count)).ToList();
            var outage = new List<(double Ms, string Result)>();
            var started = Stopwatch.StartNew();
            while (started.Elapsed.TotalSeconds < Math.Min(2, settings.PostgresAwaySeconds))
            {
                var results = await Task.WhenAll(probe.Select(async v =>
                {
                    var t = Stopwatch.StartNew();
                    try
                    {
                        await v.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "数据库停了还能提问吗？", "outage-" + Guid.NewGuid().ToString("N"), false);
                        return (t.Elapsed.TotalMilliseconds, "stored");
                    }
                    catch (Microsoft.AspNetCore.SignalR.HubException e)
                    {
                        return (t.Elapsed.TotalMilliseconds, e.Message.Contains("[unavailable]", StringComparison.Ordinal) ? "unavailable" : e.Message);
                    }
                }));
                outage.AddRange(results);
                await Task.Delay(250, ct); // A person pressing "send" again, not a loop (the call budget would refuse that).
            }

            // Questions asked now and retried (same key) until the database is back: stored once each.
            var restart = Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, settings.PostgresAwaySeconds - started.Elapsed.TotalSeconds)), ct);
                await services.StartPostgresAsync();
                output.WriteLine("-- PostgreSQL back");
            }, ct);
            var (slowest, failed, acked) = await ActivityAsync("across the PostgreSQL restart", patience: TimeSpan.FromSeconds(60));
            await restart;
            await ActivityAsync("after PostgreSQL returned", patience: TimeSpan.FromSeconds(30));
            await WaitConvergedAsync(TimeSpan.FromSeconds(30));
            var (lost, doubled, converged) = await CheckAsync();
            var unclear = outage.Count(o => o.Result is not ("unavailable" or "stored"));
            foreach (var other in outage.Where(o => o.Result is not ("unavailable" or "stored")).Select(o => o.Result).Distinct().Take(3))
            {
                output.WriteLine($"   other answer during the outage: {other}");
            }
            var storedDuringOutage = outage.Count(o => o.Result == "stored");
            var times = outage.Select(o => o.Ms).OrderBy(x => x).ToArray();
            return new FaultOutcome("postgres", outage.Count, outage.Count(o => o.Result == "unavailable"),
                Stats.Percentile(times, 50), Stats.Percentile(times, 99), times.Length == 0 ? 0 : times[^1], slowest, failed, acked,
                lost, doubled, converged, viewers.Count + 1,
                $"outage calls: {outage.Count(o => o.Result == "unavailable")} unavailable, {storedDuringOutage} stored, {unclear} other; p50/p99/max are those calls' times");
        }

        // --- the session going on, and the checks -------------------------------------------------

        async Task<(double SlowestMs, int Failed, int Acked)> ActivityAsync(string label, TimeSpan? patience = null)
        {
            var wait = patience ?? TimeSpan.FromSeconds(20);
            var slowest = 0.0;
            var failed = 0;
            page = page % 5 + 1;
            var target = page;
            var paging = Task.Run(async () =>
            {
                var deadline = clock.Elapsed + wait;
                while (true)
                {
                    var t = Stopwatch.StartNew();
                    try
                    {
                        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), target);
                        return t.Elapsed.TotalMilliseconds;
                    }
                    catch (Exception) when (clock.Elapsed < deadline)
                    {
                        Interlocked.Increment(ref failed);
                        await Task.Delay(300, ct);
                    }
                }
            }, ct);
            var askers = viewers.Where((_, i) => i % 10 == page % 10).ToList();
            var asked = await Task.WhenAll(askers.Select(async v =>
            {
                var t = Stopwatch.StartNew();
                await v.AskUntilStoredAsync($"{label}：{Guid.NewGuid().ToString("N")[..6]}", wait);
                return t.Elapsed.TotalMilliseconds;
            }));
            slowest = Math.Max(await paging, asked.DefaultIfEmpty(0).Max());
            // A few votes on the newest questions (one attempt each; only acknowledged ones are checked).
            var known = host.View().Questions.Keys.OrderByDescending(id => id).Take(3).ToArray();
            foreach (var (v, i) in viewers.Select((v, i) => (v, i)).Where(x => x.i % 7 == page % 7))
            {
                if (known.Length > 0 && !await v.VoteAsync(known[i % known.Length]))
                {
                    failed++;
                }
            }

            output.WriteLine($"   {label}: page {target}, {askers.Count} questions acknowledged, slowest call {slowest:0} ms, {failed} failed attempts");
            return (slowest, failed, askers.Count);
        }

        async Task<double?> WaitConvergedAsync(TimeSpan timeout)
        {
            var deadline = clock.Elapsed + timeout;
            while (clock.Elapsed < deadline)
            {
                var (_, _, converged) = await CheckAsync(quiet: true);
                if (converged == viewers.Count + 1)
                {
                    return clock.Elapsed.TotalMilliseconds;
                }

                await Task.Delay(250, ct);
            }

            return null;
        }

        async Task<(int Lost, int Doubled, int Converged)> CheckAsync(bool quiet = false)
        {
            await using var db = new NpgsqlConnection(services.Postgres + ";Pooling=false");
            var dbPage = await db.ExecuteScalarAsync<int>("select current_page from sessions where id = @sessionId", new { sessionId });
            var dbQuestions = (await db.QueryAsync<(long Id, string Text, long Votes, string? Key)>(
                "select q.id, q.text, (select count(*) from question_votes v where v.question_id = q.id), q.client_key from questions q where q.session_id = @sessionId",
                new { sessionId })).ToList();
            var dbVotes = (await db.QueryAsync<(long QuestionId, long ParticipantId)>(
                "select v.question_id, v.participant_id from question_votes v join questions q on q.id = v.question_id where q.session_id = @sessionId",
                new { sessionId })).ToHashSet();
            var byKey = dbQuestions.Where(q => q.Key is not null).GroupBy(q => q.Key!).ToDictionary(g => g.Key, g => g.Count());
            var clients = viewers.Append(host).ToList();
            var lost = 0;
            var doubled = byKey.Values.Count(n => n > 1);
            foreach (var v in clients)
            {
                lost += v.AcknowledgedQuestions.Keys.Count(k => !byKey.ContainsKey(k));
                lost += v.AcknowledgedVotes.Count(q => !dbVotes.Contains((q, v.ParticipantId)));
            }

            var converged = clients.Count(v =>
            {
                var view = v.View();
                return view.Page == dbPage
                    && view.Questions.Count == dbQuestions.Count
                    && dbQuestions.All(q => view.Questions.TryGetValue(q.Id, out var text) && text == q.Text
                        && view.Counts.GetValueOrDefault(q.Id) == q.Votes);
            });
            if (!quiet)
            {
                foreach (var v in clients.Where(v => v.View() is var view && (view.Page != dbPage || dbQuestions.Any(q => view.Counts.GetValueOrDefault(q.Id) != q.Votes)
                             || view.Questions.Count != dbQuestions.Count)).Take(3))
                {
                    var view = v.View();
                    var wrong = dbQuestions.Where(q => view.Counts.GetValueOrDefault(q.Id) != q.Votes).Select(q => $"q{q.Id}: {view.Counts.GetValueOrDefault(q.Id)} not {q.Votes}");
                    output.WriteLine($"   not converged: participant {v.ParticipantId}: page {view.Page}, {view.Questions.Count} questions; {string.Join(", ", wrong)}");
                }

                output.WriteLine($"   check: page {dbPage}, {dbQuestions.Count} questions, {dbVotes.Count} votes in the database; lost {lost}, doubled {doubled}, converged {converged}/{clients.Count}");
            }

            return (lost, doubled, converged);
        }
    }

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static async Task<(long SessionId, string HostToken, string Code, long[] Agencies)> ScheduleAsync(HttpClient http)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OrganiserKey);
        var ids = new List<long>();
        foreach (var (name, city) in new[] { ("益家乐社会工作服务中心", "镇江"), ("邢台市益襄社会工作服务中心", "邢台"), ("邢台市桥东区阳光社区服务社", "邢台"), ("邢台市夕阳红为老服务社", "邢台") })
        {
            var created = await http.PostAsJsonAsync("/api/agencies", new { name, city, province = "河北" });
            created.EnsureSuccessStatusCode();
            ids.Add((await created.Content.ReadFromJsonAsync<IdReply>())!.Id);
        }

        var scheduled = await http.PostAsJsonAsync("/api/sessions", new
        {
            title = "故障演练",
            description = "",
            hostAgencyId = ids[0],
            invitedAgencyIds = ids.Skip(1).ToArray(),
            startsAt = Cluster.LocalTime(DateTimeOffset.UtcNow.AddMinutes(-30)),
            endsAt = Cluster.LocalTime(DateTimeOffset.UtcNow.AddHours(3)),
            timeZone = "Asia/Shanghai",
        });
        scheduled.EnsureSuccessStatusCode();
        var s = (await scheduled.Content.ReadFromJsonAsync<SessionReply>())!;
        http.DefaultRequestHeaders.Authorization = null;
        return (s.Id, s.HostToken, s.Code, ids.Skip(1).ToArray());
    }

    private sealed record IdReply(long Id);

    private sealed record SessionReply(long Id, string Code, string HostToken);

    private sealed record JoinedReply(string ParticipantToken);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LiveExchange.Hub.Polls;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR.Client;

namespace LiveExchange.Bench.Scenarios;

public sealed record PollStormResult(
    int Viewers,
    int Instances,
    double Seconds,
    int AnswersAccepted,
    double AnswerP50Ms,
    double AnswerP99Ms,
    double ToHostChartP50Ms,
    double ToHostChartP99Ms,
    int HostMessages,
    int MessagesPerViewerMin,
    int MessagesPerViewerMedian,
    int MessagesPerViewerMax,
    int MessagesPerViewerBound,
    int ViewersConverged,
    bool DatabaseExact,
    bool HostExact,
    bool FinalExact,
    long[] DatabaseCounts,
    long[] ExpectedCounts,
    double[] CpuSecondsPerInstance,
    string[] Errors);

/// <summary>
/// N viewers spread over the instances answer one live poll within T seconds (weighted by headcount, 1 to
/// 5 people a screen). Reports: every answer counted exactly (the database against what was sent; the
/// host's last live results and the final ones against both); result messages per viewer against their
/// bound; and the time from sending an answer to the host's chart counting it.
/// <para>
/// The host's chart counts answer i when it receives results of at least rank(i) screens, where rank(i) is
/// the answer's place in the order the answers were acknowledged: a result is read in one consistent
/// transaction, so it holds every answer committed before it; the first such result after the
/// acknowledgement is the one that shows this answer (give or take answers committed in a different
/// order than they were acknowledged, a few milliseconds apart).
/// </para>
/// </summary>
public static class PollStorm
{
    private const int Options = 4;

    /// <summary>How long after the last answer the bench waits for results to settle before it closes the poll.</summary>
    private const double DrainSeconds = 2;

    /// <summary>
    /// Result messages one viewer may receive: each instance sends a session at most one per
    /// <see cref="PollFanout.Window"/> while answers keep coming, over the storm and its drain, plus one to spare.
    /// </summary>
    public static int Bound(int instances, double seconds) =>
        instances * ((int)Math.Ceiling((seconds + DrainSeconds) / PollFanout.Window.TotalSeconds) + 1);

    public static async Task<PollStormResult> RunAsync(BenchSettings s, CancellationToken ct)
    {
        await using var cluster = await Cluster.StartOursAsync(s);
        var (session, agencyId) = await cluster.ScheduleAsync(deckPages: 0);
        var viewers = new BenchViewer[s.Viewers];
        var viewerMessages = new int[s.Viewers];
        var lastSeen = new PollResults?[s.Viewers];
        HubConnection? host = null;
        try
        {
            // The host prepares a live poll counted by headcount, over HTTP.
            using var prepare = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{session.Id}/polls")
            {
                Content = JsonContent.Create(new PollDraftInput(PollKinds.Single, "下一次交流最想讨论的主题？",
                    ["社区防疫", "为老服务", "青少年服务", "志愿者管理"], PollResultModes.Live, PollCountings.People)),
            };
            prepare.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.HostToken);
            var preparing = await cluster.Http(0).SendAsync(prepare, ct);
            preparing.EnsureSuccessStatusCode();
            var poll = (await preparing.Content.ReadFromJsonAsync<PollView>(ct))!;

            // The host's chart: every results message, as received, on instance 0.
            var hostReceipts = new ConcurrentQueue<(long At, PollResults Results)>();
            host = BenchViewer.Create(new Uri(cluster.Url(0), ExchangeHubRoute.Path), session.HostToken, 0).Connection;
            host.On<PollResults>(nameof(IExchangeClient.PollResultsChanged), r => hostReceipts.Enqueue((Stopwatch.GetTimestamp(), r)));
            await host.StartAsync(ct);

            await BenchViewer.ForAllAsync(s.Viewers, 32, async i =>
            {
                var token = await cluster.JoinAsync(i, session, agencyId, ct);
                var viewer = viewers[i] = BenchViewer.Create(new Uri(cluster.Url(i), ExchangeHubRoute.Path), token, 0);
                viewer.Connection.On<PollResults>(nameof(IExchangeClient.PollResultsChanged), r =>
                {
                    Interlocked.Increment(ref viewerMessages[i]);
                    lock (viewer)
                    {
                        if (lastSeen[i] is not { } seen || r.Sequence > seen.Sequence)
                        {
                            lastSeen[i] = r;
                        }
                    }
                });
                await viewer.Connection.StartAsync(ct);
                await viewer.Snapshot.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }, ct);

            await host.InvokeAsync<PollsState>(nameof(IExchangeHub.LaunchPoll), poll.Id, ct);
            await Task.Delay(1000, ct); // every viewer has the launch

            var cpuBefore = cluster.CpuTimes();
            var sent = new long[s.Viewers];
            var acknowledged = new ConcurrentQueue<(int Viewer, long At)>();
            var latencies = new ConcurrentBag<double>();
            var errors = new ConcurrentBag<string>();
            await BenchViewer.SpreadAsync(s.Viewers, s.Seconds, async i =>
            {
                sent[i] = Stopwatch.GetTimestamp();
                try
                {
                    await viewers[i].Connection.InvokeAsync<MyPollAnswer>(nameof(IExchangeHub.AnswerPoll), poll.Id,
                        new PollAnswerInput([i % Options], null, null), $"bench-{i}", ct);
                    var at = Stopwatch.GetTimestamp();
                    acknowledged.Enqueue((i, at));
                    latencies.Add(Stopwatch.GetElapsedTime(sent[i], at).TotalMilliseconds);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                }
            }, ct);

            // What was sent, both ways: screens per option and the people they speak for (1 + i % 5).
            var expectedScreens = Enumerable.Range(0, Options).Select(o => (long)Enumerable.Range(0, s.Viewers).Count(i => i % Options == o)).ToArray();
            var expectedPeople = Enumerable.Range(0, Options).Select(o => (long)Enumerable.Range(0, s.Viewers).Where(i => i % Options == o).Sum(i => 1 + (i % 5))).ToArray();
            bool Exact(PollResults? r) => r is not null && r.Screens == s.Viewers
                && Enumerable.Range(0, Options).All(o => r.Items.SingleOrDefault(x => x.Item == $"{o}") is { } c && c.Screens == expectedScreens[o] && c.People == expectedPeople[o]);
            var deadline = Stopwatch.GetTimestamp() + (long)(DrainSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline && !(Exact(Newest(hostReceipts)) && lastSeen.All(Exact)))
            {
                await Task.Delay(50, ct);
            }

            await Task.Delay(2 * (int)PollFanout.Window.TotalMilliseconds, ct);
            var cpuAfter = cluster.CpuTimes();
            var hostExact = Exact(Newest(hostReceipts));
            var converged = lastSeen.Count(Exact);
            var closed = await host.InvokeAsync<PollsState>(nameof(IExchangeHub.ClosePoll), poll.Id, ct);
            var finalExact = Exact(closed.Closed.Single(p => p.Id == poll.Id).Tally);

            var rows = await cluster.QueryPairsAsync(
                "select v.item::bigint, count(*) from poll_votes v where v.poll_id = @p group by v.item order by 1", new { p = poll.Id });
            var database = Enumerable.Range(0, Options).Select(o => rows.SingleOrDefault(r => r.Id == o).Votes).ToArray();
            var answers = await cluster.CountAsync("select count(*) from poll_answers where poll_id = @p", new { p = poll.Id });

            // Answer to the host's chart, by acknowledgement rank (see the class comment).
            var receipts = hostReceipts.ToArray();
            var toChart = new List<double>();
            var rank = 0;
            foreach (var (viewer, at) in acknowledged.OrderBy(a => a.At))
            {
                rank++;
                var shown = receipts.FirstOrDefault(r => r.At >= at && r.Results.Screens >= rank);
                if (shown.Results is not null)
                {
                    toChart.Add(Stopwatch.GetElapsedTime(sent[viewer], shown.At).TotalMilliseconds);
                }
            }

            var messages = viewerMessages.Order().ToArray();
            var l = latencies.ToArray();
            return new PollStormResult(
                s.Viewers, s.Instances, s.Seconds, l.Length,
                Stats.Percentile(l, 50), Stats.Percentile(l, 99),
                Stats.Percentile(toChart, 50), Stats.Percentile(toChart, 99),
                receipts.Length, messages[0], messages[messages.Length / 2], messages[^1], Bound(s.Instances, s.Seconds),
                converged, answers == s.Viewers && database.SequenceEqual(expectedScreens), hostExact, finalExact,
                database, expectedScreens,
                cpuAfter.Zip(cpuBefore, (a, b) => (a - b).TotalSeconds).ToArray(),
                errors.GroupBy(e => e).Select(g => $"{g.Count()}× {g.Key}").ToArray());
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }

            await BenchViewer.DisposeAllAsync(viewers);
        }
    }

    private static PollResults? Newest(IEnumerable<(long At, PollResults Results)> receipts) =>
        receipts.Select(r => r.Results).MaxBy(r => r.Sequence);
}

using LiveExchange.Bench;
using LiveExchange.Bench.Scenarios;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Bench;

/// <summary>
/// The benchmark's scenarios at a small size, so the bench cannot rot. These assert what the bench
/// checks (everything delivered, the database exact, votes coalesced), never how fast.
/// </summary>
public sealed class BenchQuickTests
{
    private static BenchSettings Quick(string scenario) => new()
    {
        Scenario = scenario,
        Viewers = 24,
        Instances = 2,
        Changes = 4,
        Rate = 8,
        Seconds = 1,
        Questions = 3,
        Postgres = TestServers.Postgres,
        Redis = TestServers.Redis,
        TimeoutSeconds = 120,
    };

    [Fact]
    public async Task Fanout_delivers_every_page_change_to_every_viewer_in_order_on_ours_bare_and_socket_io()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = new StringWriter();
        var settings = Quick("fanout") with { Viewers = 36, Warmup = 3 };
        var json = await BenchRunner.RunAsync(settings, output, timeout.Token);

        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var run = doc.RootElement.GetProperty("runs")[0];
        foreach (var target in (string[])["ours", "bare", "socketIo"])
        {
            var result = run.GetProperty(target);
            // Each viewer keeps a page's first arrival only, so these counts mean every viewer got every change.
            Assert.Equal(36 * 4, result.GetProperty("delivered").GetInt64());
            Assert.Equal(36 * 3, result.GetProperty("coldDelivered").GetInt64());
            Assert.Equal(0, result.GetProperty("outOfOrder").GetInt32());
            Assert.Equal(2, result.GetProperty("instances").GetInt32());
        }

        var median = doc.RootElement.GetProperty("median");
        Assert.Equal(100, median.GetProperty("delivered").GetDouble());
        foreach (var ratios in (string[])["oursOverSocketIo", "oursOverBare"])
        {
            Assert.True(median.GetProperty(ratios).GetProperty("p99Ms").GetDouble() > 0, output.ToString());
        }

        Assert.Contains("ours/socket.io", output.ToString());
        Assert.Contains("ours/bare", output.ToString());
    }

    [Fact]
    public async Task Fanout_viewers_speaking_messagepack_get_every_change_in_order_from_our_hub_and_the_bare_hub()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var settings = Quick("fanout") with { Protocol = "messagepack", Warmup = 2 };

        // Ours: the join's snapshot and every change arrive in MessagePack.
        foreach (var target in new[] { FanoutTarget.Ours, FanoutTarget.Bare })
        {
            var result = await Fanout.RunAsync(settings, target, timeout.Token);

            Assert.Equal("messagepack", result.Protocol);
            Assert.Equal(24 * 4, result.Delivered);
            Assert.Equal(24 * 2, result.ColdDelivered);
            Assert.Equal(0, result.OutOfOrder);
        }
    }

    [Fact]
    public async Task Stalled_a_viewer_that_stops_reading_costs_the_others_no_change()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var settings = Quick("stalled") with { Warmup = 2 };

        // A busy session (100 long questions), one viewer asking for 20 snapshots through a 4 KB window, never reading.
        var result = await Fanout.RunAsync(settings, FanoutTarget.Ours, timeout.Token, stalled: 1, busy: true);

        Assert.Equal(24 * 4, result.Delivered);
        Assert.Equal(24 * 2, result.ColdDelivered);
        Assert.Equal(0, result.OutOfOrder);
    }

    [Fact]
    public async Task Joinstorm_leaves_one_participant_and_one_open_interval_per_viewer()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await JoinStorm.RunAsync(Quick("joinstorm"), timeout.Token);

        Assert.Empty(result.Errors);
        Assert.Equal(24, result.Succeeded);
        Assert.Equal(24, result.AttendanceRows);
        Assert.Equal(24, result.Participants);
        // The hubs' /metrics carry Npgsql's command counter, which the round trips per join come from.
        Assert.True(result.CommandsPerJoin > 0, $"{result.CommandsPerJoin} database commands per join");
    }

    [Fact]
    public async Task Votestorm_counts_exactly_and_coalesces_the_broadcasts()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var settings = Quick("votestorm") with { Viewers = 60 };
        var result = await VoteStorm.RunAsync(settings, timeout.Token);

        Assert.Empty(result.Errors);
        Assert.Equal(60, result.VotesAccepted);
        Assert.True(result.CountsExact);
        Assert.Equal([20L, 20L, 20L], result.DatabaseCounts);
        Assert.Equal(60, result.ViewersConverged);
        // One message per vote would be 60 for every viewer.
        Assert.True(result.MessagesPerViewerMax < 30, $"{result.MessagesPerViewerMax} vote messages reached one viewer");
    }

    // --- Reactions ---
    [Fact]
    public async Task Reactionstorm_counts_exactly_and_keeps_messages_per_viewer_within_the_bound()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var settings = Quick("reactionstorm") with { Viewers = 40, Seconds = 2 };
        var result = await ReactionStorm.RunAsync(settings, timeout.Token);

        Assert.Empty(result.Errors);
        Assert.Equal(120, result.ReactionsAccepted);
        Assert.True(result.TotalsExact);
        Assert.Equal(120, result.DatabaseTotals.Values.Sum());
        Assert.Equal(40, result.ViewersConverged);
        // One message per reaction would be 120 for every viewer; the bound allows instances × windows.
        Assert.InRange(result.MaxMessagesPerViewer, 1, result.MessagesBound);
        Assert.True(result.MaxMessagesPerViewer < 60, $"{result.MaxMessagesPerViewer} reaction messages reached one viewer");
    }

    // --- Polls ---
    [Fact]
    public async Task Pollstorm_counts_every_answer_exactly_and_bounds_the_result_messages()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var settings = Quick("pollstorm") with { Viewers = 60 };
        var result = await PollStorm.RunAsync(settings, timeout.Token);

        Assert.Empty(result.Errors);
        Assert.Equal(60, result.AnswersAccepted);
        Assert.True(result.DatabaseExact, $"database {string.Join(",", result.DatabaseCounts)}, expected {string.Join(",", result.ExpectedCounts)}");
        Assert.Equal([15L, 15L, 15L, 15L], result.DatabaseCounts);
        Assert.True(result.HostExact, "the host's last live results are not the exact counts");
        Assert.True(result.FinalExact, "the final results are not the exact counts");
        Assert.Equal(60, result.ViewersConverged);
        Assert.True(result.ToHostChartP99Ms > 0);
        // One message per answer would be 60 for every viewer; the bound is per instance and window.
        Assert.True(result.MessagesPerViewerMax <= result.MessagesPerViewerBound, $"{result.MessagesPerViewerMax} result messages reached one viewer (bound {result.MessagesPerViewerBound})");
    }
}

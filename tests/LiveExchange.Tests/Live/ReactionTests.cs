using System.Diagnostics;
using Dapper;
using LiveExchange.Hub.Reactions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;
using LiveExchange.Tests.ScaleOut;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LiveExchange.Tests.Live;

/// <summary>Reactions through the hub, on both databases: coalesced, exact, bounded, with a budget of their own.</summary>
public abstract class ReactionTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task A_burst_from_many_viewers_reaches_every_screen_as_few_messages_with_exact_totals_equal_to_the_database()
    {
        var (session, invited) = await _api.ScheduleAsync();
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var viewers = new List<LiveClient>();
        for (var i = 0; i < 9; i++)
        {
            var joined = await _api.JoinAsync(session.Code, invited[i % invited.Length].Id, $"观众{i}", 4);
            viewers.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
        }

        try
        {
            // Each viewer sends its whole budget's burst (10) at once, kinds in turn: 90 reactions.
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(viewers.Select((v, i) => Task.WhenAll(Enumerable.Range(0, ReactionFanout.Burst)
                .Select(k => v.Connection.InvokeAsync(nameof(IExchangeHub.React), ReactionKinds.All[(i + k) % ReactionKinds.All.Count])))));
            var sending = clock.Elapsed;
            var sent = viewers.Count * ReactionFanout.Burst;
            var expected = Enumerable.Range(0, viewers.Count)
                .SelectMany(i => Enumerable.Range(0, ReactionFanout.Burst).Select(k => ReactionKinds.All[(i + k) % ReactionKinds.All.Count]))
                .GroupBy(k => k).ToDictionary(g => g.Key, g => (long)g.Count());

            foreach (var screen in viewers.Append(host))
            {
                await screen.WaitForAsync<ReactionsChanged>(r => Same(expected, Totals(r.Totals)));
            }

            // One more window, so a late message would be counted below.
            await Task.Delay(ReactionFanout.Window * 2);
            var elapsed = clock.Elapsed;
            Assert.Equal(expected, await StoredAsync(session.Id));
            Assert.Equal(expected, Totals((await viewers[0].InvokeAsync<ReactionTotals>(nameof(IExchangeHub.GetReactions))).Totals));

            // The organiser's export lists every kind with its total (the CSV after its title lines).
            using var organiser = _api.Organiser();
            var csv = System.Text.Encoding.UTF8.GetString(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/reactions/reactions.csv?lang=en"));
            var lines = csv.TrimStart('\uFEFF').Split("\r\n");
            var header = Array.IndexOf(lines, "Reaction,Name,Count");
            Assert.True(header >= 0, csv);
            Assert.Equal(
                ["👍,Like," + expected[ReactionKinds.Like], "👏,Applause," + expected[ReactionKinds.Clap], "❤️,Love it," + expected[ReactionKinds.Love],
                 "💡,Insightful," + expected[ReactionKinds.Idea], "❓,Puzzled," + expected[ReactionKinds.Question]],
                lines[(header + 1)..(header + 6)]);

            // One instance sends at most one message per window, and only for windows that had reactions:
            // those overlapping the sending (+ one window for the last flush, + one for the edges). So far
            // fewer than the reactions sent, and every reaction is announced exactly once across them.
            var bound = Math.Min((int)Math.Ceiling(elapsed / ReactionFanout.Window) + 1, (int)Math.Ceiling(sending / ReactionFanout.Window) + 2);
            foreach (var screen in viewers.Append(host))
            {
                var messages = screen.Received.OfType<ReactionsChanged>().ToArray();
                Assert.InRange(messages.Length, 1, bound);
                Assert.True(messages.Length < sent / 5, $"{messages.Length} messages for {sent} reactions");
                Assert.Equal(sent, messages.Sum(m => m.Burst.Sum(b => b.Count)));
            }
        }
        finally
        {
            foreach (var v in viewers)
            {
                await v.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Unknown_kinds_and_hosts_are_refused()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);

        foreach (var kind in new[] { "boo", "CLAP", "", "<img src=x>", null })
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeAsync(nameof(IExchangeHub.React), kind));
            Assert.Contains("[unknown_reaction]", refused.Message);
        }

        var hostReacts = await Assert.ThrowsAsync<HubException>(() => host.Connection.InvokeAsync(nameof(IExchangeHub.React), ReactionKinds.Clap));
        Assert.Contains("[viewer_only]", hostReacts.Message);

        // Nothing refused was counted; a good one is.
        await viewer.Connection.InvokeAsync(nameof(IExchangeHub.React), ReactionKinds.Idea);
        await host.WaitForAsync<ReactionsChanged>(r => r.Totals.SequenceEqual([new ReactionCount(ReactionKinds.Idea, 1)]));
        Assert.Equal(new Dictionary<string, long> { [ReactionKinds.Idea] = 1 }, await StoredAsync(session.Id));
    }

    [Fact]
    public async Task A_button_masher_is_refused_beyond_the_reaction_budget_without_touching_the_budget_for_questions()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);

        var pressing = Stopwatch.StartNew();
        var presses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            try
            {
                await viewer.Connection.InvokeAsync(nameof(IExchangeHub.React), ReactionKinds.Clap);
                return "ok";
            }
            catch (HubException e)
            {
                return e.Message.Contains("[rate_limited]") ? "limited" : e.Message;
            }
        }));
        Assert.All(presses, p => Assert.True(p is "ok" or "limited", p));
        var accepted = presses.Count(p => p == "ok");
        // The burst, plus what refilled while the 40 calls were in flight (they take far less than the
        // 6 s that would refill 30; a slow machine is allowed for by the time it took).
        var refilled = (int)Math.Ceiling(pressing.Elapsed.TotalSeconds * ReactionFanout.PerSecond);
        Assert.InRange(accepted, ReactionFanout.Burst, ReactionFanout.Burst + refilled);
        Assert.Contains("limited", presses);

        // The other lane is untouched: a question goes through at once, and then its budget's whole burst.
        var asked = await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "鼓掌之后还能提问吗？", (string?)null);
        Assert.Equal("鼓掌之后还能提问吗？", asked.Text);
        for (var i = 0; i < 15; i++)
        {
            await viewer.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
        }

        // Only accepted reactions count.
        await viewer.WaitForAsync<ReactionsChanged>(r => r.Totals.SequenceEqual([new ReactionCount(ReactionKinds.Clap, accepted)]));
        Assert.Equal(new Dictionary<string, long> { [ReactionKinds.Clap] = accepted }, await StoredAsync(session.Id));

        // And the reverse: with the state budget spent, reactions still go (their budget has refilled by now).
        await Task.Delay(TimeSpan.FromSeconds(2));
        var snapshots = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            try
            {
                await viewer.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
                return true;
            }
            catch (HubException e) when (e.Message.Contains("[rate_limited]"))
            {
                return false;
            }
        }));
        Assert.Contains(false, snapshots);
        await viewer.Connection.InvokeAsync(nameof(IExchangeHub.React), ReactionKinds.Love);
        await viewer.WaitForAsync<ReactionsChanged>(r => r.Totals.Contains(new ReactionCount(ReactionKinds.Love, 1)));
    }

    internal static bool Same(Dictionary<string, long> expected, Dictionary<string, long> seen) =>
        seen.Count == expected.Count && expected.All(e => seen.TryGetValue(e.Key, out var n) && n == e.Value);

    internal static Dictionary<string, long> Totals(IEnumerable<ReactionCount> counts) => counts.ToDictionary(c => c.Kind, c => c.Count);

    private async Task<Dictionary<string, long>> StoredAsync(long sessionId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        var rows = await connection.QueryAsync<(string Kind, long Total)>(
            "select kind, total from session_reactions where session_id = @sessionId", new { sessionId });
        return rows.ToDictionary(r => r.Kind, r => r.Total);
    }
}

public sealed class ReactionTestsOnPostgres(PostgresAppFixture fixture) : ReactionTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class ReactionTestsOnSqlite(SqliteAppFixture fixture) : ReactionTests(fixture.App), IClassFixture<SqliteAppFixture>;

/// <summary>Reactions across two hub processes on one PostgreSQL and one Redis.</summary>
public sealed class ReactionTestsOnTwoInstances(TwoInstances hubs) : IClassFixture<TwoInstances>
{
    private readonly Api _onA = new(hubs.A.BaseAddress);
    private readonly Api _onB = new(hubs.B.BaseAddress);

    [Fact]
    public async Task Viewers_on_A_and_B_react_and_screens_on_both_see_the_same_exact_totals()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        await using var host = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        var onA = new List<LiveClient>();
        var onB = new List<LiveClient>();
        for (var i = 0; i < 3; i++)
        {
            onA.Add(await LiveClient.ConnectAsync(hubs.A.BaseAddress, (await _onA.JoinAsync(session.Code, invited[i].Id, $"甲{i}", 5)).ParticipantToken));
            onB.Add(await LiveClient.ConnectAsync(hubs.B.BaseAddress, (await _onB.JoinAsync(session.Code, invited[i].Id, $"乙{i}", 5)).ParticipantToken));
        }

        try
        {
            var clock = Stopwatch.StartNew();
            // On A: claps and likes; on B: claps and ideas. Both instances add to the same clap total.
            await Task.WhenAll(
                onA.Select(v => Task.WhenAll(Enumerable.Range(0, 8).Select(k => v.Connection.InvokeAsync(nameof(IExchangeHub.React), k % 2 == 0 ? ReactionKinds.Clap : ReactionKinds.Like))))
                    .Concat(onB.Select(v => Task.WhenAll(Enumerable.Range(0, 6).Select(k => v.Connection.InvokeAsync(nameof(IExchangeHub.React), k % 3 == 0 ? ReactionKinds.Idea : ReactionKinds.Clap))))));
            var sending = clock.Elapsed;
            var expected = new Dictionary<string, long> { [ReactionKinds.Clap] = 3 * 4 + 3 * 4, [ReactionKinds.Like] = 3 * 4, [ReactionKinds.Idea] = 3 * 2 };

            foreach (var screen in onA.Concat(onB).Append(host))
            {
                await screen.WaitForAsync<ReactionsChanged>(r => ReactionTests.Same(expected, ReactionTests.Totals(r.Totals)));
            }

            await Task.Delay(ReactionFanout.Window * 2);
            var elapsed = clock.Elapsed;
            await using var db = new NpgsqlConnection(hubs.Database);
            var stored = (await db.QueryAsync<(string Kind, long Total)>("select kind, total from session_reactions where session_id = @id", new { id = session.Id }))
                .ToDictionary(r => r.Kind, r => r.Total);
            Assert.Equal(expected, stored);
            Assert.Equal(expected, ReactionTests.Totals((await onB[0].InvokeAsync<ReactionTotals>(nameof(IExchangeHub.GetReactions))).Totals));

            // Each instance sends at most one message per window: a viewer hears from both, and every
            // reaction is announced exactly once (by the instance that received it).
            var bound = 2 * Math.Min((int)Math.Ceiling(elapsed / ReactionFanout.Window) + 1, (int)Math.Ceiling(sending / ReactionFanout.Window) + 2);
            foreach (var screen in onA.Concat(onB).Append(host))
            {
                var messages = screen.Received.OfType<ReactionsChanged>().ToArray();
                Assert.InRange(messages.Length, 2, bound);
                Assert.Equal(expected.Values.Sum(), messages.Sum(m => m.Burst.Sum(b => b.Count)));
            }
        }
        finally
        {
            foreach (var v in onA.Concat(onB))
            {
                await v.DisposeAsync();
            }
        }
    }
}

/// <summary>Reactions in Chromium: the viewer's bar on a phone, floating counts on the host's and the viewer's screens.</summary>
[Collection(LiveExchange.Tests.Browser.BrowserCollection.Name)]
public sealed class ReactionsInBrowserTests(LiveExchange.Tests.Browser.BrowserFixture fixture) : IClassFixture<LiveExchange.Tests.Browser.BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task A_viewer_claps_on_a_phone_and_the_host_and_the_viewer_see_the_floating_count()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // The host asked for reduced motion: counts show without moving.
        await using var hostContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ReducedMotion = Microsoft.Playwright.ReducedMotion.Reduce });
        var host = await hostContext.NewPageAsync();
        host.PageError += (_, e) => logs.Enqueue($"host error: {e}");
        await host.GotoAsync(new Uri(_api.BaseAddress, session.HostLink).ToString());
        await Microsoft.Playwright.Assertions.Expect(host.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");

        await using var viewerContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true });
        var viewer = await viewerContext.NewPageAsync();
        viewer.PageError += (_, e) => logs.Enqueue($"viewer error: {e}");
        viewer.Console += (_, m) => logs.Enqueue($"viewer {m.Type}: {m.Text}");
        try
        {
            await viewer.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());
            await viewer.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await viewer.Locator("#display-name").FillAsync("李华");
            await viewer.Locator("#headcount").FillAsync("8");
            await viewer.Locator("#join").ClickAsync();
            // Polled, not WaitForURLAsync (SETUP-NOTES: a navigation between its check and its subscription is missed).
            await Microsoft.Playwright.Assertions.Expect(viewer).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/viewer\\.html\\?code="));
            await Microsoft.Playwright.Assertions.Expect(viewer.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        }
        catch (Exception e)
        {
            Assert.Fail($"no connected viewer page; url {viewer.Url}: {e.Message}\n{string.Join("\n", logs)}");
        }

        // Five buttons, thumb-sized, labelled in Chinese.
        var clap = viewer.Locator("#reaction-bar .reaction-button[data-kind=clap]");
        Assert.Equal(5, await viewer.Locator("#reaction-bar .reaction-button").CountAsync());
        await Microsoft.Playwright.Assertions.Expect(clap).ToHaveAttributeAsync("aria-label", "鼓掌（已有 0 个）");
        var box = (await clap.BoundingBoxAsync())!;
        Assert.True(box.Width >= 44 && box.Height >= 44, $"{box.Width}×{box.Height}");

        for (var i = 0; i < 4; i++)
        {
            await clap.ClickAsync();
        }

        await viewer.Locator("#reaction-bar .reaction-button[data-kind=idea]").ClickAsync();

        // Both screens float the coalesced count (one element per kind, its count added to), the host's over the slide.
        foreach (var screen in new[] { host, viewer })
        {
            var floating = screen.Locator("#reaction-overlay .reaction-float[data-kind=clap]");
            await Microsoft.Playwright.Assertions.Expect(floating).ToHaveTextAsync("👏 ×4");
            await Microsoft.Playwright.Assertions.Expect(screen.Locator("#reaction-overlay .reaction-float[data-kind=idea]")).ToHaveTextAsync("💡");
            Assert.InRange(await screen.Locator("#reaction-overlay .reaction-float").CountAsync(), 1, 5);
            Assert.Equal("none", await screen.Locator("#reaction-overlay").EvaluateAsync<string>("e => getComputedStyle(e).pointerEvents"));
        }

        Assert.Equal("none", await host.Locator("#reaction-overlay .reaction-float").First.EvaluateAsync<string>("e => getComputedStyle(e).animationName"));
        Assert.Equal("reaction-rise", await viewer.Locator("#reaction-overlay .reaction-float").First.EvaluateAsync<string>("e => getComputedStyle(e).animationName"));
        Assert.Equal(1, await host.Locator(".slide-stage #reaction-overlay").CountAsync());

        // The totals on the viewer's buttons are the stored ones; in English after the switch.
        await Microsoft.Playwright.Assertions.Expect(clap).ToHaveAttributeAsync("data-total", "4");
        await viewer.Locator("#lang-switch").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(clap).ToHaveAttributeAsync("aria-label", "Applause (4 so far)");

        // Gone after a while: nothing piles up.
        await Microsoft.Playwright.Assertions.Expect(host.Locator("#reaction-overlay .reaction-float")).ToHaveCountAsync(0, new() { Timeout = 10_000 });

        // A reload reads the totals back (GetReactions), though no new reaction came.
        await viewer.ReloadAsync();
        await Microsoft.Playwright.Assertions.Expect(viewer.Locator("#reaction-bar .reaction-button[data-kind=clap]")).ToHaveAttributeAsync("data-total", "4");
        Assert.DoesNotContain(logs, l => l.Contains("error", StringComparison.OrdinalIgnoreCase) && l.StartsWith("viewer error", StringComparison.Ordinal));
    }
}

using System.Text.Json;
using LiveExchange.Hub.Demo;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// A viewer's page misses one event of one stream (dropped on its WebSocket, as a buggy proxy or a lost
/// message would): it reloads that stream alone and carries on; the other streams are not reloaded.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class StreamGapInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task A_gap_in_the_slides_stream_reloads_the_slides_only()
    {
        var (session, invited) = await _api.ScheduleAsync("断流测试");
        await _api.UploadDeckAsync(session, DemoSession.SampleDeck(5));
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var asker = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var askerClient = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);

        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await context.AddInitScriptAsync($"localStorage.setItem({JsonSerializer.Serialize("lx.participant." + session.Code)}, {JsonSerializer.Serialize(joined.ParticipantToken)});");
        var page = await context.NewPageAsync();
        // The page 3 change is dropped once.
        var tap = await HubSocketTap.AttachAsync(page, r => r.Contains("\"target\":\"PageChanged\"") && r.Contains("\"page\":3"));
        var invoked = tap.Invoked;
        await page.GotoAsync(new Uri(_api.BaseAddress, $"/viewer.html?code={session.Code}").ToString());
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");

        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2);
        await Assertions.Expect(page.Locator("#page-indicator")).ToHaveAttributeAsync("data-page", "2");
        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 3); // Never reaches the page.
        await askerClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "缺页之后问题还在吗？", (string?)null, false);
        await Assertions.Expect(page.Locator("#questions .question-text")).ToHaveTextAsync("缺页之后问题还在吗？");
        await Assertions.Expect(page.Locator("#page-indicator")).ToHaveAttributeAsync("data-page", "2");

        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 4); // Version 3 of the stream after 1: a gap.
        await Assertions.Expect(page.Locator("#page-indicator")).ToHaveAttributeAsync("data-page", "4");
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "4");

        Assert.True(tap.Dropped);
        var reloads = invoked.Where(t => t.StartsWith("Get", StringComparison.Ordinal) && t != nameof(IExchangeHub.GetReactions) && t != nameof(IExchangeHub.GetRoom)).ToArray();
        Assert.Equal([nameof(IExchangeHub.GetSlides)], reloads);
        // Reaction totals are counts, not a stream: read once after connecting, not again on the gap.
        Assert.Single(invoked, t => t == nameof(IExchangeHub.GetReactions));
        // The room roster comes whole with its own version: read once per snapshot, not on another stream's gap.
        Assert.Single(invoked, t => t == nameof(IExchangeHub.GetRoom));
    }

}

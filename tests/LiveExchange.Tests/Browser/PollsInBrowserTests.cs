using System.Text.RegularExpressions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;
using static LiveExchange.Tests.Polls.PollSteps;

namespace LiveExchange.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class PollsInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task The_host_prepares_and_launches_a_poll_a_phone_answers_and_changes_the_chart_shows_on_both_after_closing()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var failures = new List<string>();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // The host prepares a hidden poll, weighted by headcount, on its page.
        await using var hostContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var host = await hostContext.NewPageAsync();
        host.PageError += (_, e) => failures.Add($"host: {e}");
        await host.GotoAsync(new Uri(_api.BaseAddress, session.HostLink).ToString());
        await Expect(host.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        await host.Locator("#poll-kind").SelectOptionAsync(PollKinds.Single);
        await host.Locator("#poll-question-input").FillAsync("您的机构下一步最想开展哪项服务？");
        await host.Locator("#poll-options").FillAsync("社区防疫\n为老服务\n青少年服务");
        await host.Locator("#poll-results").SelectOptionAsync(PollResultModes.Hidden);
        await host.Locator("#poll-counting").SelectOptionAsync(PollCountings.People);
        await host.Locator("#poll-save").ClickAsync();
        await Expect(host.Locator("#poll-list li")).ToHaveCountAsync(1);
        await Expect(host.Locator("#poll-list li .poll-state")).ToHaveTextAsync("草稿");

        // A phone, upright, joins for six people.
        await using var phoneContext = await fixture.Browser.NewContextAsync(new()
        {
            Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true,
        });
        var phone = await phoneContext.NewPageAsync();
        phone.PageError += (_, e) => failures.Add($"phone: {e}");
        phone.Console += (_, m) => log.Enqueue($"phone {m.Type}: {m.Text}");
        await phone.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());
        await phone.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await phone.Locator("#display-name").FillAsync("李华");
        await phone.Locator("#headcount").FillAsync("6");
        await phone.Locator("#join").ClickAsync();
        try
        {
            await Expect(phone).ToHaveURLAsync(new Regex("viewer\\.html\\?code="));
            await Expect(phone.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        }
        catch (PlaywrightException)
        {
            Assert.Fail($"the phone did not get to the viewer page: {phone.Url}\n{string.Join("\n", log)}");
        }

        // A second screen of three people, from a program.
        var other = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        await using var second = await LiveClient.ConnectAsync(_api.BaseAddress, other.ParticipantToken);

        await host.Locator("#poll-list .poll-launch").ClickAsync();
        await Expect(host.Locator("#poll-list li .poll-state")).ToHaveTextAsync("进行中");
        await Expect(phone.Locator("#poll-card")).ToBeVisibleAsync();
        await Expect(phone.Locator("#poll-card .poll-question")).ToHaveTextAsync("您的机构下一步最想开展哪项服务？");
        await phone.Locator("#poll-card .poll-choice", new() { HasText = "为老服务" }).TapAsync();
        await phone.Locator("#poll-submit").TapAsync();
        await Expect(phone.Locator("#poll-card .poll-mine")).ToHaveTextAsync("您的答案：为老服务");
        await Expect(phone.Locator("#poll-card .poll-hidden")).ToHaveTextAsync("结果将在投票结束后公布。");
        var polls = await second.WaitForAsync<PollsState>(p => p.Open is not null);
        await ChooseAsync(second, polls.Open!.Id, null, 0);

        // The host sees them come in, weighted: 3 of 9 people and 6 of 9.
        var hostChart = host.Locator("#poll-host-results");
        await Expect(hostChart.Locator(".poll-summary")).ToHaveTextAsync("按人数加权：2 块屏幕共 9 人");
        await Expect(hostChart.Locator("li[data-item='0'] .poll-value")).ToHaveTextAsync("3 (33%)");
        await Expect(hostChart.Locator("li[data-item='1'] .poll-value")).ToHaveTextAsync("6 (67%)");
        Assert.Equal(0, await phone.Locator("#poll-card .poll-chart").CountAsync()); // hidden from viewers

        // The phone changes its mind; the form keeps its choice through updates.
        await phone.Locator("#poll-card .poll-choice", new() { HasText = "青少年服务" }).TapAsync();
        await phone.Locator("#poll-submit").TapAsync();
        await Expect(phone.Locator("#poll-card .poll-mine")).ToHaveTextAsync("您的答案：青少年服务");
        await Expect(hostChart.Locator("li[data-item='2'] .poll-value")).ToHaveTextAsync("6 (67%)");
        await Expect(hostChart.Locator("li[data-item='1'] .poll-value")).ToHaveTextAsync("0 (0%)");

        // Closed: the final chart on both screens, with the same numbers as text.
        await host.Locator("#poll-list .poll-close").ClickAsync();
        await Expect(host.Locator("#poll-list li .poll-state")).ToHaveTextAsync("已结束");
        foreach (var chart in new[] { hostChart, phone.Locator("#poll-card .poll-results") })
        {
            await Expect(chart.Locator(".poll-summary")).ToHaveTextAsync("按人数加权：2 块屏幕共 9 人");
            await Expect(chart.Locator("li[data-item='0'] .poll-value")).ToHaveTextAsync("3 (33%)");
            await Expect(chart.Locator("li[data-item='1'] .poll-value")).ToHaveTextAsync("0 (0%)");
            await Expect(chart.Locator("li[data-item='2'] .poll-value")).ToHaveTextAsync("6 (67%)");
            await Expect(chart.Locator("li[data-item='2'] .poll-label")).ToHaveTextAsync("青少年服务");
        }

        await Expect(phone.Locator("#poll-card h2")).ToHaveTextAsync("投票已结束");
        await Expect(phone.Locator("#poll-form, #poll-card form")).ToBeHiddenAsync();

        // The chart fits the phone's width: nothing to scroll sideways.
        var card = (await phone.Locator("#poll-card").BoundingBoxAsync())!;
        Assert.True(card.X >= 0 && card.X + card.Width <= 390 + 1, $"poll card from {card.X} to {card.X + card.Width} on a 390 px wide screen");
        var bar = (await phone.Locator("#poll-card li[data-item='2'] .poll-fill").BoundingBoxAsync())!;
        var track = (await phone.Locator("#poll-card li[data-item='2'] .poll-bar").BoundingBoxAsync())!;
        Assert.InRange(bar.Width / track.Width, 0.6, 0.73); // two thirds, drawn

        // In English too.
        await phone.Locator("#lang-switch").TapAsync();
        await Expect(phone.Locator("#poll-card .poll-summary")).ToHaveTextAsync("Weighted by headcount: 9 people on 2 screens");
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Words_typed_on_a_phone_become_a_word_cloud_with_their_counts_and_a_rating_shows_its_average()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var words = await PrepareAsync(_api, session, PollKinds.Words, "用一个词形容今天的交流");
        var rating = await PrepareAsync(_api, session, PollKinds.Rating, "今天的内容对您有帮助吗？", counting: PollCountings.People);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var other = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        await using var second = await LiveClient.ConnectAsync(_api.BaseAddress, other.ParticipantToken);

        await using var phoneContext = await fixture.Browser.NewContextAsync(new()
        {
            Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true,
        });
        var phone = await phoneContext.NewPageAsync();
        var failures = new List<string>();
        phone.PageError += (_, e) => failures.Add($"phone: {e}");
        await phone.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());
        await phone.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await phone.Locator("#display-name").FillAsync("李华");
        await phone.Locator("#headcount").FillAsync("6");
        await phone.Locator("#join").ClickAsync();
        await Expect(phone).ToHaveURLAsync(new Regex("viewer\\.html\\?code="));
        await Expect(phone.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");

        // Words, separated by a Chinese comma; the other screen says one of them in other letters.
        await LaunchAsync(host, words.Id);
        await phone.Locator("#poll-card input[name=words]").FillAsync("Team Work，社区");
        await phone.Locator("#poll-submit").TapAsync();
        await Expect(phone.Locator("#poll-card .poll-mine")).ToHaveTextAsync("您的答案：team work、社区");
        await SayAsync(second, words.Id, "team  WORK");
        await CloseAsync(host, words.Id);
        var cloud = phone.Locator("#poll-card .poll-cloud");
        await Expect(cloud.Locator("li")).ToHaveCountAsync(2);
        await Expect(cloud.Locator("li").First).ToHaveTextAsync("team work 2");
        await Expect(cloud.Locator("li").Nth(1)).ToHaveTextAsync("社区 1");

        // A rating weighted by headcount: 6 people give 5 stars and 3 give 2, an average of 4.
        await LaunchAsync(host, rating.Id);
        await phone.Locator("#poll-card .poll-choice", new() { HasText = "★ 5" }).TapAsync();
        await phone.Locator("#poll-submit").TapAsync();
        await Expect(phone.Locator("#poll-card .poll-mine")).ToHaveTextAsync("您的答案：★ 5");
        await RateAsync(second, rating.Id, 2);
        await Expect(phone.Locator("#poll-card li[data-item='5'] .poll-value")).ToHaveTextAsync("6 (67%)"); // live results
        await CloseAsync(host, rating.Id);
        await Expect(phone.Locator("#poll-card h2")).ToHaveTextAsync("投票已结束");
        await Expect(phone.Locator("#poll-card .poll-average")).ToHaveTextAsync("平均 4.0 星");
        await Expect(phone.Locator("#poll-card li[data-item='2'] .poll-value")).ToHaveTextAsync("3 (33%)");
        Assert.Empty(failures);
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}

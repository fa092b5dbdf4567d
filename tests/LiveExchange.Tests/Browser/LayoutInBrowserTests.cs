using System.Text.Json;
using LiveExchange.Hub.Demo;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// How agencies watch: a room's projector, a phone upright or on its side; and the embedded default
/// (no media server), where the video area says so in both languages.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LayoutInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task Projector_mode_fills_the_screen_a_phone_on_its_side_shows_the_whole_slide_and_video_says_it_is_not_configured()
    {
        var (session, invited) = await _api.ScheduleAsync("投影测试");
        await _api.UploadDeckAsync(session, DemoSession.SampleDeck(3));
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "会议室大屏", 12);
        var asker = await _api.JoinAsync(session.Code, invited[1].Id, "提问者");
        await using (var client = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken))
        {
            for (var i = 0; i < 5; i++)
            {
                await client.InvokeAsync<LiveExchange.Shared.QuestionView>(nameof(LiveExchange.Shared.IExchangeHub.AskQuestion), $"第{i}个问题：" + new string('问', 120), (string?)null, false);
            }
        }

        var init = $"localStorage.setItem({JsonSerializer.Serialize("lx.participant." + session.Code)}, {JsonSerializer.Serialize(joined.ParticipantToken)});";
        var url = new Uri(_api.BaseAddress, $"/viewer.html?code={session.Code}").ToString();

        // A 1080p screen in a meeting room: full screen puts the slide over (nearly) all of it.
        await using (var room = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 1920, Height = 1080 } }))
        {
            await room.AddInitScriptAsync(init);
            var page = await room.NewPageAsync();
            await page.GotoAsync(url);
            await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");
            await Assertions.Expect(page.Locator("#video-notice")).ToHaveTextAsync("本服务器未配置视频直播：幻灯片和提问照常可用。");
            await Assertions.Expect(page.Locator("#raise-hand")).ToBeHiddenAsync();
            await page.Locator("#lang-switch").ClickAsync();
            await Assertions.Expect(page.Locator("#video-notice")).ToHaveTextAsync("Video is not configured on this server: slides and questions work as usual.");

            var before = await page.Locator("#slide-canvas").BoundingBoxAsync();
            await page.Locator("#projector").ClickAsync();
            await Assertions.Expect(page.Locator("body")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("projector"));
            await WaitUntilAsync(async () => (await page.Locator("#slide-canvas").BoundingBoxAsync())!.Height > 1000, "the slide fills the projector's height");
            var after = (await page.Locator("#slide-canvas").BoundingBoxAsync())!;
            Assert.True(after.Width * after.Height > 3 * before!.Width * before.Height / 2, $"projector {after.Width}x{after.Height} against {before.Width}x{before.Height}");
        }

        // A phone on its side: the whole slide is on screen.
        await using (var phone = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 844, Height = 390 }, IsMobile = true, HasTouch = true }))
        {
            await phone.AddInitScriptAsync(init);
            var page = await phone.NewPageAsync();
            await page.GotoAsync(url);
            await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");
            var box = (await page.Locator("#slide-canvas").BoundingBoxAsync())!;
            Assert.True(box.Y >= 0 && box.Y + box.Height <= 390 + 1, $"slide from {box.Y} to {box.Y + box.Height} on a 390 px high screen");
        }

        // A phone upright: the slide stays pinned at the top while the questions scroll.
        await using (var upright = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true }))
        {
            await upright.AddInitScriptAsync(init);
            var page = await upright.NewPageAsync();
            await page.GotoAsync(url);
            await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");
            await Assertions.Expect(page.Locator("#questions li")).ToHaveCountAsync(5);
            await page.EvaluateAsync("() => window.scrollTo(0, document.body.scrollHeight)");
            await WaitUntilAsync(async () => await page.EvaluateAsync<double>("() => window.scrollY") > 200, "the page scrolls");
            await WaitUntilAsync(async () => (await page.Locator("#media-area").BoundingBoxAsync())!.Y is >= -1 and <= 1, "the slide is pinned at the top");
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail(what);
    }
}

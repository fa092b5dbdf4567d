using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using LiveExchange.Tests.Browser;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Presenting;

/// <summary>Private paging on a phone, the offered download, and the presenter view driving the session, in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PresentingInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    private async Task<IPage> JoinAsViewerAsync(IBrowserContext context, SessionScheduled session, Agency agency, List<string> failures)
    {
        var viewer = await context.NewPageAsync();
        viewer.PageError += (_, e) => failures.Add($"viewer: {e}");
        await viewer.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());
        await viewer.Locator("#agency").SelectOptionAsync(agency.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await viewer.Locator("#display-name").FillAsync("李华");
        await viewer.Locator("#join").ClickAsync();
        // Polled, not WaitForURLAsync (playwright-dotnet #3364; SETUP-NOTES).
        await Assertions.Expect(viewer).ToHaveURLAsync(new Regex("/viewer\\.html\\?code="));
        await Expect(viewer.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        return viewer;
    }

    private static Task SwipeAsync(IPage page, int dx) => page.EvaluateAsync("""
        dx => {
          const area = document.querySelector(".slide-stage");
          const box = area.getBoundingClientRect();
          const y = box.top + box.height / 2, x0 = box.left + box.width / 2;
          const touch = (x) => new Touch({ identifier: 1, target: area, clientX: x, clientY: y });
          area.dispatchEvent(new TouchEvent("touchstart", { touches: [touch(x0)], changedTouches: [touch(x0)], bubbles: true }));
          area.dispatchEvent(new TouchEvent("touchend", { touches: [], changedTouches: [touch(x0 + dx)], bubbles: true }));
        }
        """, dx);

    [Fact]
    public async Task A_viewer_on_a_phone_pages_privately_while_the_host_moves_on_goes_back_to_live_and_downloads_only_when_allowed()
    {
        var (session, invited) = await _api.ScheduleAsync();
        Assert.Equal(HttpStatusCode.Created, (await _api.UploadDeckAsync(session, DemoSession.SampleDeck(24), "讲稿.pdf")).StatusCode);
        await using var driver = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var failures = new List<string>();

        await using var phone = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true });
        var viewer = await JoinAsViewerAsync(phone, session, invited[0], failures);
        var slide = viewer.Locator("#slide-canvas");
        var paging = viewer.Locator("#paging");
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "1");
        await Expect(paging).ToHaveAttributeAsync("data-mode", "live");
        await Expect(viewer.Locator("#back-to-live")).ToBeHiddenAsync();
        await Expect(viewer.Locator("#download-deck")).ToBeHiddenAsync();

        // Forward on its own, by the button and by a swipe to the left.
        await viewer.Locator("#paging-next").ClickAsync();
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "2");
        await SwipeAsync(viewer, -150);
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "3");
        await Expect(paging).ToHaveAttributeAsync("data-mode", "private");
        await Expect(viewer.Locator("#paging-status")).ToHaveTextAsync("您在看第 3 页，直播在第 1 页。");

        // The host moves on: the viewer stays where it is, told where live is.
        await driver.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 7);
        await Expect(viewer.Locator("#back-to-live")).ToHaveTextAsync("回到直播页（第 7 页）");
        await Expect(viewer.Locator("#paging-status")).ToHaveTextAsync("您在看第 3 页，直播在第 7 页。");
        Assert.Equal("3", await slide.GetAttributeAsync("data-rendered-page"));

        // The strip: the live page marked, thumbnails drawn as they come into view only (24 pages, a narrow phone).
        await viewer.Locator("#paging-pages").ClickAsync();
        var liveThumb = viewer.Locator("#page-strip button.thumb.live");
        await Expect(liveThumb).ToHaveAttributeAsync("data-page", "7");
        await Expect(liveThumb.Locator(".thumb-live")).ToHaveTextAsync("直播");
        await Expect(viewer.Locator("#page-strip button.thumb.shown")).ToHaveAttributeAsync("data-page", "3");
        await Expect(viewer.Locator("#page-strip button[data-page='3'] canvas")).ToHaveAttributeAsync("data-drawn-page", "3");
        Assert.Null(await viewer.Locator("#page-strip button[data-page='24'] canvas").GetAttributeAsync("data-drawn-page"));
        // Back one by a swipe to the right, then a thumbnail.
        await SwipeAsync(viewer, 150);
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "2");
        await viewer.Locator("#page-strip button[data-page='5']").ClickAsync();
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "5");

        // Back to live: the live page, and following it again.
        await viewer.Locator("#back-to-live").ClickAsync();
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "7");
        await Expect(paging).ToHaveAttributeAsync("data-mode", "live");
        await Expect(viewer.Locator("#back-to-live")).ToBeHiddenAsync();
        await driver.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 8);
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "8");

        // Nothing on the phone is wider than the screen.
        Assert.True(await viewer.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
            $"the page is {await viewer.EvaluateAsync<int>("() => document.documentElement.scrollWidth")} px wide on a 390 px phone");

        // The host allows the download on its page: the button appears on the phone, and saves the deck.
        await using var laptop = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var host = await laptop.NewPageAsync();
        host.PageError += (_, e) => failures.Add($"host: {e}");
        await host.GotoAsync(new Uri(_api.BaseAddress, session.HostLink).ToString());
        var allow = host.Locator("#deck-downloadable");
        await Expect(allow).Not.ToBeCheckedAsync();
        await allow.CheckAsync();
        await Expect(viewer.Locator("#download-deck")).ToBeVisibleAsync();
        await Expect(viewer.Locator("#download-deck")).ToHaveTextAsync("下载讲稿");
        var download = await viewer.RunAndWaitForDownloadAsync(() => viewer.Locator("#download-deck").ClickAsync());
        Assert.Equal("讲稿.pdf", download.SuggestedFilename);
        var saved = await download.PathAsync();
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(saved!).AsSpan(0, 5)));

        // And taken back: the button goes, on this screen and on a reload.
        await allow.UncheckAsync();
        await Expect(viewer.Locator("#download-deck")).ToBeHiddenAsync();
        await viewer.ReloadAsync();
        await Expect(slide).ToHaveAttributeAsync("data-rendered-page", "8");
        await Expect(viewer.Locator("#download-deck")).ToBeHiddenAsync();
        Assert.Empty(failures);
    }

    [Fact]
    public async Task The_presenter_view_shows_current_and_next_slide_notes_timer_and_questions_and_drives_the_viewers()
    {
        var (session, invited) = await _api.ScheduleAsync();
        Assert.Equal(HttpStatusCode.Created, (await _api.UploadDeckAsync(session, DemoSession.SampleDeck(5))).StatusCode);
        // A part that was planned for ten minutes and started half an hour ago: over time.
        using (var organiser = _api.Organiser())
        {
            var start = session.StartsAt;
            var agenda = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/agenda", new
            {
                segments = new object[]
                {
                    new { title = "疫情防控经验分享", agencyId = (long?)session.HostAgency.Id, startsAt = LiveExchange.Bench.Cluster.LocalTime(start), endsAt = LiveExchange.Bench.Cluster.LocalTime(start.AddMinutes(10)) },
                },
            });
            Assert.True(agenda.IsSuccessStatusCode, await agenda.Content.ReadAsStringAsync());
        }

        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "志愿者怎么排班？", (string?)null, false);
        var failures = new List<string>();

        await using var laptop = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 1400, Height = 900 } });
        var host = await laptop.NewPageAsync();
        host.PageError += (_, e) => failures.Add($"host: {e}");
        await host.GotoAsync(new Uri(_api.BaseAddress, session.HostLink).ToString());
        await Expect(host.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");

        // A note typed on the host page for page 1.
        var hostNotes = host.Locator("#host-notes-text");
        await hostNotes.FillAsync("先问候邢台的伙伴，再讲三个社区故事。");
        await Expect(host.Locator("#host-notes .notes-status")).ToHaveTextAsync("已保存");

        // The presenter view: a window of its own (no second display in a headless browser).
        var presenter = await laptop.RunAndWaitForPageAsync(() => host.Locator("#open-presenter").ClickAsync());
        presenter.PageError += (_, e) => failures.Add($"presenter: {e}");
        await Expect(presenter).ToHaveURLAsync(new Regex("/presenter\\.html"));
        await Expect(presenter.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        await Expect(presenter).Not.ToHaveURLAsync(new Regex("token")); // Taken from the fragment, kept in the tab (polled: the script may not have run yet).
        await Expect(presenter.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");
        await Expect(presenter.Locator("#next-slide")).ToHaveAttributeAsync("data-drawn-page", "2");
        await Expect(presenter.Locator("#presenter-notes-text")).ToHaveValueAsync("先问候邢台的伙伴，再讲三个社区故事。");
        var timer = presenter.Locator("#agenda-timer");
        await Expect(timer).ToHaveClassAsync(new Regex("\\bover\\b"));
        await Expect(timer).ToContainTextAsync("疫情防控经验分享");
        await Expect(timer).ToContainTextAsync("计划 10:00，超时");
        await Expect(timer).ToHaveCSSAsync("color", "rgb(138, 28, 19)");
        await Expect(presenter.Locator("#questions .question-text")).ToHaveTextAsync("志愿者怎么排班？");
        await Expect(presenter.Locator("#reception")).Not.ToBeEmptyAsync();

        // Driving from the presenter view: the arrow key moves every viewer and the host page.
        await presenter.Locator("body").ClickAsync(new() { Position = new() { X = 1, Y = 1 } });
        await presenter.Keyboard.PressAsync("ArrowRight");
        await viewer.WaitForAsync<PageChanged>(p => p.Page == 2);
        await Expect(host.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "2");
        await Expect(presenter.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "2");
        await Expect(presenter.Locator("#next-slide")).ToHaveAttributeAsync("data-drawn-page", "3");
        await presenter.Locator("#next-page").ClickAsync();
        await viewer.WaitForAsync<PageChanged>(p => p.Page == 3);
        // The presenter view shows page 3 before the note is typed: typed while it still showed page 2, the
        // note would be page 2's (the viewer's client above can hear of the change before this page does).
        await Expect(presenter.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "3");
        await Expect(host.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "3");

        // A note typed in the presenter view reaches the host page through the hub.
        await presenter.Locator("#presenter-notes-text").FillAsync("第三页：请阳光社区补充。");
        await presenter.Locator("#presenter-notes-text").BlurAsync();
        await Expect(host.Locator("#host-notes-text")).ToHaveValueAsync("第三页：请阳光社区补充。");

        // A new question shows there too; the viewer never received a note.
        await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "老人独居怎么联系？", (string?)null, false);
        await Expect(presenter.Locator("#questions .question-text")).ToHaveCountAsync(2);
        Assert.Empty(viewer.Received.OfType<SlideNoteChanged>());

        // The last page: no next slide.
        await presenter.Locator("#goto-page-input").FillAsync("5");
        await presenter.Locator("#goto-page").ClickAsync();
        await viewer.WaitForAsync<PageChanged>(p => p.Page == 5);
        await Expect(presenter.Locator("#no-next")).ToBeVisibleAsync();

        // English throughout.
        await presenter.Locator("#lang-switch").ClickAsync();
        await Expect(timer).ToContainTextAsync("of 10:00,");
        await Expect(presenter.Locator("#no-next")).ToHaveTextAsync("This is the last slide.");

        // The moderator link is not the presenter's: the view says so and shows no notes.
        await using var moderatorContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var moderator = await moderatorContext.NewPageAsync();
        await moderator.GotoAsync(new Uri(_api.BaseAddress, "/presenter.html#token=" + LiveExchange.Tests.Live.ModerationBehaviour.ModeratorToken(session)).ToString());
        await Expect(moderator.Locator("#error")).ToHaveTextAsync("演讲者视图只能用主持人链接打开。");
        await Expect(moderator.Locator("#presenter-notes-text")).ToHaveValueAsync("");
        Assert.Empty(failures);
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}

using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ModerationInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task A_moderator_runs_the_queue_while_a_viewer_asks_in_Chinese_and_the_viewer_sees_the_pin_and_the_reply()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using (var organiser = _api.Organiser())
        {
            var set = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/moderation", new { questionsNeedApproval = true });
            Assert.True(set.IsSuccessStatusCode);
        }

        var failures = new List<string>();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        async Task<IPage> OpenAsync(IBrowserContext context, string name, string link)
        {
            var page = await context.NewPageAsync();
            page.PageError += (_, e) => failures.Add($"{name}: {e}");
            page.Console += (_, m) => logs.Enqueue($"{name} {m.Type}: {m.Text}");
            await page.GotoAsync(new Uri(_api.BaseAddress, link).ToString());
            return page;
        }

        await using var moderatorContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await using var hostContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await using var viewerContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 } });
        var moderator = await OpenAsync(moderatorContext, "moderator", session.ModeratorLink);
        var host = await OpenAsync(hostContext, "host", session.HostLink);
        var viewer = await OpenAsync(viewerContext, "viewer", session.ViewerLink);
        try
        {
            // The moderator link opens the host page in moderator mode: the queue, no page turning, no camera.
            await Expect(moderator.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
            await Expect(moderator.Locator("#moderation")).ToBeVisibleAsync();
            await Expect(moderator.Locator("#moderator-mode")).ToBeVisibleAsync();
            await Expect(moderator.Locator("#next-page")).ToBeHiddenAsync();
            await Expect(moderator.Locator("#go-live")).ToBeHiddenAsync();
            await Expect(host.Locator("#moderation")).ToBeVisibleAsync(); // the host moderates too
            await Expect(host.Locator("#next-page")).ToBeVisibleAsync();

            await viewer.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await viewer.Locator("#display-name").FillAsync("李华");
            await viewer.Locator("#join").ClickAsync();
            await Expect(viewer).ToHaveURLAsync(new Regex("/viewer\\.html\\?code="));
            await Expect(viewer.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
            await Expect(viewer.Locator("#approval-hint")).ToBeVisibleAsync();

            // Asked in Chinese: the asker sees it waiting; the moderator sees it to approve; the presenter's list has nothing yet.
            const string question = "我们社区的独居老人每天怎么联系？";
            await viewer.Locator("#question-text").FillAsync(question);
            await viewer.Locator("#ask-question").ClickAsync();
            var mine = viewer.Locator("#questions .question", new() { HasText = question });
            await Expect(mine.Locator(".question-badge")).ToHaveTextAsync("等待审核");
            var queued = moderator.Locator("#mod-queue li", new() { HasText = question });
            await Expect(queued.Locator(".mod-status")).ToHaveTextAsync("待审核");
            await Expect(moderator.Locator(".mod-pending")).ToContainTextAsync("1");
            await Expect(host.Locator("#questions .question")).ToHaveCountAsync(0);

            // Another agency asks anonymously (a .NET client); the moderator approves both.
            var other = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏");
            await using var otherClient = await LiveClient.ConnectAsync(_api.BaseAddress, other.ParticipantToken);
            await otherClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "经费从哪里来？", (string?)null, true);
            var anonymous = moderator.Locator("#mod-queue li", new() { HasText = "经费从哪里来？" });
            await Expect(anonymous.Locator(".question-author")).ToContainTextAsync(invited[1].Name); // the moderator sees who
            await queued.Locator(".mod-approve").ClickAsync();
            await anonymous.Locator(".mod-approve").ClickAsync();
            await Expect(mine.Locator(".question-badge")).ToBeHiddenAsync();
            var anonymousOnViewer = viewer.Locator("#questions .question", new() { HasText = "经费从哪里来？" });
            await Expect(anonymousOnViewer.Locator(".question-author")).ToHaveTextAsync("匿名");
            await Expect(anonymousOnViewer).Not.ToContainTextAsync(invited[1].Name);
            await Expect(host.Locator("#questions .question", new() { HasText = "经费从哪里来？" })).Not.ToContainTextAsync(invited[1].Name);

            // Pinned as "now answering": highlighted on the viewer's and the presenter's screens.
            await queued.Locator(".mod-pin").ClickAsync();
            await Expect(viewer.Locator("#questions .question.pinned .question-text")).ToHaveTextAsync(question);
            await Expect(host.Locator("#questions .question.pinned .question-text")).ToHaveTextAsync(question);
            await Expect(viewer.Locator("#questions .question").First).ToHaveClassAsync(new Regex("pinned"));

            // A written reply, then answered: the viewer sees both; the pin goes.
            await queued.Locator(".mod-reply").ClickAsync();
            await queued.Locator("textarea").FillAsync("每天上午社工打电话，下午志愿者上门。");
            await queued.Locator(".mod-reply-send").ClickAsync();
            await Expect(mine.Locator(".question-reply")).ToContainTextAsync("每天上午社工打电话，下午志愿者上门。");
            await queued.Locator(".mod-answer").ClickAsync();
            await Expect(mine.Locator(".question-badge")).ToHaveTextAsync("已回答");
            await Expect(viewer.Locator("#questions .question.pinned")).ToHaveCountAsync(0);
            await moderator.Locator(".mod-filter[data-filter='answered']").ClickAsync();
            await Expect(moderator.Locator("#mod-queue li")).ToHaveCountAsync(1);
            await Expect(moderator.Locator("#mod-queue li .question-text")).ToHaveTextAsync(question);

            Assert.Empty(failures);
        }
        catch
        {
            Console.WriteLine($"moderator {moderator.Url}, host {host.Url}, viewer {viewer.Url}\n{string.Join("\n", logs)}\n{string.Join("\n", failures)}");
            throw;
        }
    }

    /// <summary>
    /// The queue comes one question at a time; a moderator's page that misses one (dropped on its WebSocket,
    /// as a lost message would be) notices at the next, reloads the queue whole once, and goes on applying
    /// single questions after it.
    /// </summary>
    [Fact]
    public async Task A_moderator_page_that_misses_one_question_reloads_the_whole_queue_and_carries_on()
    {
        var (session, invited) = await _api.ScheduleAsync("漏消息的审核");
        using (var organiser = _api.Organiser())
        {
            Assert.True((await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/moderation", new { questionsNeedApproval = true })).IsSuccessStatusCode);
        }

        var asker = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var askerClient = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var page = await context.NewPageAsync();
        var failures = new ConcurrentQueue<string>();
        page.PageError += (_, e) => failures.Enqueue(e);
        // Non-ASCII text arrives escaped, so the second question is found by an ASCII word in it. Its change
        // to the queue is dropped, once.
        var tap = await HubSocketTap.AttachAsync(page, r => r.Contains("\"target\":\"ModerationQuestionChanged\"") && r.Contains("missed-once"));
        var invoked = tap.Invoked;
        await page.GotoAsync(new Uri(_api.BaseAddress, session.ModeratorLink).ToString());
        await Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        await Expect(page.Locator("#moderation")).ToBeVisibleAsync();
        var queue = page.Locator("#mod-queue li");

        var first = await askerClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "第一个问题", (string?)null, false);
        await Expect(queue).ToHaveCountAsync(1);
        var missed = await askerClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "漏掉的问题 missed-once <b>不加粗</b>", (string?)null, false);
        for (var i = 0; i < 200 && !tap.Dropped; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(tap.Dropped);
        await Expect(queue).ToHaveCountAsync(1); // not applied: the page never had it
        Assert.DoesNotContain(nameof(IExchangeHub.GetModeration), invoked);

        // The next change is two versions ahead: the page reloads the queue whole and shows all three.
        var third = await askerClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "第三个问题", (string?)null, false);
        await Expect(queue).ToHaveCountAsync(3);
        await Expect(page.Locator(".mod-pending")).ToContainTextAsync("3");
        var missedItem = page.Locator($"#mod-queue li[data-question-id='{missed.Id}']");
        await Expect(missedItem.Locator(".question-text")).ToHaveTextAsync("漏掉的问题 missed-once <b>不加粗</b>"); // user text stays text
        Assert.Equal(0, await missedItem.Locator(".question-text b").CountAsync());
        Assert.Single(invoked, t => t == nameof(IExchangeHub.GetModeration));

        // After the reload, single changes apply again: approved from the page, the queue follows, no second reload.
        await missedItem.Locator(".mod-approve").ClickAsync();
        await Expect(missedItem).ToHaveAttributeAsync("data-status", QuestionStatuses.Live);
        await askerClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), first.Id, "第一个问题（改过）");
        await Expect(page.Locator($"#mod-queue li[data-question-id='{first.Id}'] .question-text")).ToHaveTextAsync("第一个问题（改过）");
        Assert.Equal([first.Id, missed.Id, third.Id], (await askerClient.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions))).Mine!.Select(q => q.Id).Order());
        Assert.Single(invoked, t => t == nameof(IExchangeHub.GetModeration));
        Assert.Empty(failures);
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}

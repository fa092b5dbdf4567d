using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using LiveExchange.Hub.Attendance;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// Room rosters and consent in the pages: the join page shows the organiser's notice before joining and
/// refuses an out-of-date acceptance; a roster typed with Chinese names is the headcount; the viewer page
/// adds a late arrival; the people export has them all.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PeopleInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task A_room_reads_the_notice_joins_with_its_roster_adds_a_late_arrival_and_the_export_lists_everyone()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        var failures = new List<string>();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });

        // The organiser writes its own notice and a shorter period in the session editor.
        var organiserPage = await context.NewPageAsync();
        organiserPage.PageError += (_, e) => failures.Add($"organiser: {e}");
        await organiserPage.GotoAsync(new Uri(_api.BaseAddress, $"/organiser.html#key={ExchangeApp.OrganiserKey}").ToString());
        var article = organiserPage.Locator($"article.session[data-session-id=\"{session.Id}\"]");
        await article.Locator(".edit-toggle").ClickAsync();
        var editor = article.Locator(".notice-editor");
        await Expect(editor.Locator(".notice-days")).ToHaveValueAsync("365");
        await Expect(editor.Locator(".notice-version")).ToHaveTextAsync("当前第 1 版，个人信息保留 365 天。");
        await editor.Locator(".notice-zh").FillAsync("本场记录机构、在场人员姓名和提问，仅主办方可见。");
        await editor.Locator(".notice-en").FillAsync("We record agencies, the names of people in the room and questions; only the organiser sees them.");
        await editor.Locator(".notice-days").FillAsync("90");
        await editor.Locator(".notice-save").ClickAsync();
        await Expect(editor.Locator(".notice-version")).ToHaveTextAsync("当前第 2 版，个人信息保留 90 天。");

        var page = await context.NewPageAsync();
        page.PageError += (_, e) => failures.Add(e);
        page.Console += (_, m) => log.Enqueue($"{m.Type}: {m.Text}");
        await page.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());

        // The organiser's words, the period, and a button that says what pressing it means.
        var notice = page.Locator("#consent-notice");
        await Expect(notice).ToBeVisibleAsync();
        await Expect(notice.Locator("#consent-text")).ToContainTextAsync("本场记录机构、在场人员姓名和提问，仅主办方可见。");
        await Expect(notice.Locator("#consent-text")).ToContainTextAsync("保留 90 天");
        await Expect(page.Locator("#join")).ToHaveTextAsync("同意并进入交流");

        await page.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(CultureInfo.InvariantCulture));
        await page.Locator("#display-name").FillAsync("会议室大屏");
        await page.Locator("#room-roster").FillAsync("张伟，社工\n李娜，督导\n\n王芳");
        await Expect(page.Locator("#headcount")).ToHaveValueAsync("3");
        Assert.False(await page.Locator("#headcount").IsEditableAsync());
        await Expect(page.Locator(".room-count")).ToHaveTextAsync("名单共 3 人");

        // The organiser changes the notice while the page is open: the old acceptance does not count, and the
        // page shows the new notice to accept.
        (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/notice", new
        {
            textZh = "本场记录机构、在场人员姓名、提问和反馈，仅主办方可见。", textEn = "We record agencies, names, questions and feedback.", retentionDays = 90,
        })).EnsureSuccessStatusCode();
        await page.Locator("#join").ClickAsync();
        await Expect(page.Locator("#error")).ToHaveTextAsync("主办方刚刚更新了参会告知，请阅读新的告知后再加入。");
        await Expect(notice.Locator("#consent-text")).ToContainTextAsync("提问和反馈");
        Assert.DoesNotContain("viewer.html", page.Url, StringComparison.Ordinal);

        await page.Locator("#join").ClickAsync();
        try
        {
            await Expect(page).ToHaveURLAsync(new Regex("viewer\\.html\\?code="));
            await Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        }
        catch (PlaywrightException)
        {
            Assert.Fail($"no viewer page after joining: {page.Url}\n{string.Join("\n", log)}");
        }

        // In the viewer page: the room as joined; 陈静 arrives late.
        await Expect(page.Locator("#room-summary")).ToHaveTextAsync("本屏幕前共 3 人：");
        await Expect(page.Locator("#room-members li")).ToHaveTextAsync(["张伟（社工）", "李娜（督导）", "王芳"]);
        await page.Locator("#room-card summary").ClickAsync();
        await Expect(page.Locator("#room-edit")).ToHaveValueAsync("张伟，社工\n李娜，督导\n王芳");
        await page.Locator("#room-edit").FillAsync("张伟，社工\n李娜，督导\n王芳\n陈静，志愿者");
        await page.Locator("#room-save").ClickAsync();
        await Expect(page.Locator("#room-summary")).ToHaveTextAsync("本屏幕前共 4 人：");
        await Expect(page.Locator("#room-members li")).ToHaveCountAsync(4);

        // The organiser sees the room and the headcount that follows it.
        var row = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!
            .Single(p => p.DisplayName == "会议室大屏");
        Assert.Equal(["张伟", "李娜", "王芳", "陈静"], row.Room);
        Assert.Equal(4, row.Headcount);

        // The people export, as CSV and as a workbook.
        var csv = Encoding.UTF8.GetString(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/people/people.csv?lang=zh"))
            .TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = Array.IndexOf(csv, "机构,城市,终端,姓名,职务,加入名单,移出名单,在场时长（分钟）,同意的告知版本,同意时间");
        Assert.True(header > 0, string.Join("\n", csv));
        Assert.Equal(["张伟,社工", "李娜,督导", "王芳,", "陈静,志愿者"], csv[(header + 1)..].Select(l => string.Join(',', l.Split(',')[3..5])));
        Assert.All(csv[(header + 1)..], l => Assert.Equal("3", l.Split(',')[8]));
        var book = Spreadsheets.Rows(Spreadsheets.Open(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/people.xlsx?lang=en")), "People");
        var top = Array.FindIndex(book, r => r.FirstOrDefault() == "Agency");
        Assert.Equal(["会议室大屏", "陈静", "志愿者"], book[top + 4][2..5]);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Someone_answering_from_the_feedback_link_reads_and_accepts_the_notice_first()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).EnsureSuccessStatusCode();

        var failures = new List<string>();
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var page = await context.NewPageAsync();
        page.PageError += (_, e) => failures.Add(e);
        await page.GotoAsync(new Uri(_api.BaseAddress, $"/feedback.html?code={session.Code}").ToString());
        await Expect(page.Locator("#consent-notice")).ToBeVisibleAsync();
        await Expect(page.Locator("#consent-text")).ToContainTextAsync("个人信息在交流结束后保留 365 天");
        await Expect(page.Locator("#respondent-submit")).ToHaveTextAsync("同意并填写反馈");
        await page.Locator("#agency").SelectOptionAsync(invited[1].Id.ToString(CultureInfo.InvariantCulture));
        await page.Locator("#display-name").FillAsync("王芳");
        await page.Locator("#respondent-submit").ClickAsync();
        await Expect(page.Locator("#feedback")).ToBeVisibleAsync();
        await Expect(page.Locator("#respondent-form")).ToBeHiddenAsync();
        var participants = (await organiser.GetFromJsonAsync<Hub.Participants.ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json))!;
        Assert.Contains(participants, p => p.DisplayName == "王芳");

        // After the end the organiser can still shorten how long the data is kept.
        var organiserPage = await context.NewPageAsync();
        organiserPage.PageError += (_, e) => failures.Add($"organiser: {e}");
        await organiserPage.GotoAsync(new Uri(_api.BaseAddress, $"/organiser.html#key={ExchangeApp.OrganiserKey}").ToString());
        var article = organiserPage.Locator($"article.session[data-session-id=\"{session.Id}\"]");
        await Expect(article.Locator(".edit-toggle")).ToBeHiddenAsync();
        await article.Locator(".notice-toggle").ClickAsync();
        await article.Locator(".notice-days").FillAsync("30");
        await article.Locator(".notice-save").ClickAsync();
        await Expect(article.Locator(".notice-version")).ToHaveTextAsync("当前第 2 版，个人信息保留 30 天。");
        var notice = await _api.Client().GetFromJsonAsync<Hub.Consent.ConsentNotice>($"/api/join/{session.Code}/notice", Api.Json);
        Assert.Equal(30, notice!.RetentionDays);
        Assert.Empty(failures);
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}

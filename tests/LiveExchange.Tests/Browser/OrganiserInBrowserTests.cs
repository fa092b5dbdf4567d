using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Sessions;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class OrganiserInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task The_organiser_schedules_a_session_watches_attendance_and_downloads_the_sheet()
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_api.BaseAddress, $"/organiser.html#key={ExchangeApp.OrganiserKey}").ToString());
        Assert.DoesNotContain(ExchangeApp.OrganiserKey, page.Url); // The key leaves the address bar.

        var suffix = Guid.NewGuid().ToString("N")[..6];
        foreach (var (name, city, province) in new[] { ($"益家乐社会工作服务中心{suffix}", "镇江", "江苏"), ($"邢台市益襄社会工作服务中心{suffix}", "邢台", "河北") })
        {
            await page.Locator("#agency-name").FillAsync(name);
            await page.Locator("#agency-city").FillAsync(city);
            await page.Locator("#agency-province").FillAsync(province);
            await page.Locator("#create-agency").ClickAsync();
            await Assertions.Expect(page.Locator("#agency-rows")).ToContainTextAsync(name);
        }

        using var organiser = _api.Organiser();
        var agencies = (await organiser.GetFromJsonAsync<Agency[]>("/api/agencies", Api.Json))!;
        var host = agencies.Single(a => a.Name == $"益家乐社会工作服务中心{suffix}");
        var remote = agencies.Single(a => a.Name == $"邢台市益襄社会工作服务中心{suffix}");

        await page.Locator("#session-title-input").FillAsync($"苏冀云牵手 {suffix}");
        await page.Locator("#session-description").FillAsync("社工如何参与社区疫情防控");
        await page.Locator("#host-agency").SelectOptionAsync(host.Id.ToString(CultureInfo.InvariantCulture));
        await page.Locator($"input[name=invited][value=\"{remote.Id}\"]").CheckAsync();
        // Live now (joining is open only from shortly before the start until the end).
        await page.Locator("#starts-at").FillAsync(LiveExchange.Bench.Cluster.LocalTime(DateTimeOffset.UtcNow.AddMinutes(-10)));
        await page.Locator("#ends-at").FillAsync(LiveExchange.Bench.Cluster.LocalTime(DateTimeOffset.UtcNow.AddHours(2)));
        await page.Locator("#time-zone").FillAsync("Asia/Shanghai");
        await page.Locator("#schedule").ClickAsync();
        await Assertions.Expect(page.Locator("#result-code")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[A-Z2-9]{6}$"));
        var code = await page.Locator("#result-code").InnerTextAsync();
        var session = (await organiser.GetFromJsonAsync<SessionScheduled[]>("/api/sessions", Api.Json))!.Single(s => s.Code == code);
        Assert.Equal(remote.Id, Assert.Single(session.InvitedAgencies).Id);
        Assert.Equal(TimeSpan.FromHours(8), session.StartsAt.Offset);

        // A remote agency joins with eight people; the organiser's live table shows it.
        var joined = await _api.JoinAsync(code, remote.Id, "李华", headcount: 8);
        await using (await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
            var article = page.Locator($"article.session[data-session-id=\"{session.Id}\"]");
            await article.Locator(".attendance-toggle").ClickAsync();
            await Assertions.Expect(article.Locator(".attendance-table")).ToContainTextAsync("李华");
            await Assertions.Expect(article.Locator(".attendance-table")).ToContainTextAsync("8");
        }

        var articleAgain = page.Locator($"article.session[data-session-id=\"{session.Id}\"]");
        // The table's role words are the file's.
        await Assertions.Expect(articleAgain.Locator(".attendance-table")).ToContainTextAsync("观看方");
        var download = await page.RunAndWaitForDownloadAsync(() =>
            articleAgain.Locator("a.download-csv[data-export=attendance][data-sheet=participants]").ClickAsync());
        Assert.EndsWith("出勤-参会者 attendance-participants.csv", download.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"交流活动,苏冀云牵手 {suffix}", lines[0]);
        Assert.Equal("机构,城市,显示名称,角色,人数,首次加入,最后离开,在线时长（分钟）,加入次数,同意的告知版本,同意时间", lines[3]);
        Assert.StartsWith($"邢台市益襄社会工作服务中心{suffix},邢台,李华,观看方,8,", Assert.Single(lines[4..]));

        // The session report in English: a zip of every file.
        await articleAgain.Locator("select.export-lang").SelectOptionAsync("en");
        var report = await page.RunAndWaitForDownloadAsync(() => articleAgain.Locator("a.download-report").ClickAsync());
        Assert.EndsWith("report.zip", report.SuggestedFilename);
        using (var zip = new System.IO.Compression.ZipArchive(File.OpenRead((await report.PathAsync())!)))
        {
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith(" attendance.xlsx", StringComparison.Ordinal));
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith(" questions.csv", StringComparison.Ordinal));
        }

        // Across sessions: this one is listed under its host agency, and the list exports.
        // Showing the list reloads the agencies too (both were made after the page opened).
        await page.Locator(".report-show").ClickAsync();
        await Assertions.Expect(page.Locator($"#report-agency option[value=\"{host.Id}\"]")).ToHaveCountAsync(1);
        await page.Locator("#report-agency").SelectOptionAsync(host.Id.ToString(CultureInfo.InvariantCulture));
        await page.Locator(".report-show").ClickAsync();
        var reportRow = page.Locator($".report-table tr[data-session-id=\"{session.Id}\"]");
        await Assertions.Expect(reportRow).ToContainTextAsync($"苏冀云牵手 {suffix}");
        await Assertions.Expect(page.Locator(".report-table tbody tr")).ToHaveCountAsync(1);
        var sessionsFile = await page.RunAndWaitForDownloadAsync(() => page.Locator("a.report-xlsx").ClickAsync());
        Assert.EndsWith("sessions.xlsx", sessionsFile.SuggestedFilename);

        // A screen that should not be there: the organiser removes it (after confirming), and it leaves the table.
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        var stuffer = await _api.JoinAsync(code, remote.Id, "刷票机器", headcount: 500);
        await using (var stuffing = await LiveClient.ConnectAsync(_api.BaseAddress, stuffer.ParticipantToken))
        {
            var table = articleAgain.Locator(".attendance-table");
            // The table refreshes every 10 s; closing and opening it loads it now.
            await articleAgain.Locator(".attendance-toggle").ClickAsync();
            await articleAgain.Locator(".attendance-toggle").ClickAsync();
            await Assertions.Expect(table).ToContainTextAsync("刷票机器");
            await table.Locator("tr", new() { HasText = "刷票机器" }).Locator("button.remove-participant").ClickAsync();
            await Assertions.Expect(table).Not.ToContainTextAsync("刷票机器");
            await stuffing.WaitForAsync<LiveExchange.Shared.SessionEnded>(e => e.Reason == "removed");
        }

        // The organiser ends the session: its badge says so and the button goes.
        await Assertions.Expect(articleAgain.Locator(".state-badge")).ToHaveAttributeAsync("data-state", "live");
        await articleAgain.Locator("button.end-session").ClickAsync();
        await Assertions.Expect(page.Locator($"article.session[data-session-id=\"{session.Id}\"] .state-badge")).ToHaveTextAsync("已结束");
        await Assertions.Expect(page.Locator($"article.session[data-session-id=\"{session.Id}\"] button.end-session")).ToBeHiddenAsync();
    }
}

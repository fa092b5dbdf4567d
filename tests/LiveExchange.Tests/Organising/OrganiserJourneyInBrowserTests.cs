using System.Globalization;
using System.Text.RegularExpressions;
using LiveExchange.Tests.Browser;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Organising;

/// <summary>
/// The organiser's whole exchange in the browser, as the model session runs it: invite, an agency
/// registers from its link and joins, the session ends, the agency answers the feedback form, the
/// organiser reads the results and downloads the session report.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class OrganiserJourneyInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task The_organiser_invites_an_agency_registers_joins_answers_feedback_and_the_organiser_downloads_the_report()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(20);
        var (session, invited) = await _api.ScheduleAsync("苏冀云牵手：社区疫情防控经验交流", startsAt, startsAt.AddHours(2));
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", AcceptDownloads = true });
        var problems = new List<string>();
        context.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(message.Text);
            }
        };

        // The organiser gives the session an agenda and takes the first agency's invitation link.
        var organiserPage = await context.NewPageAsync();
        organiserPage.Dialog += (_, dialog) => dialog.AcceptAsync();
        await organiserPage.GotoAsync(new Uri(_api.BaseAddress, $"/organiser.html#key={ExchangeApp.OrganiserKey}").ToString());
        var article = organiserPage.Locator($"article.session[data-session-id=\"{session.Id}\"]");
        await Assertions.Expect(article.Locator(".state-badge")).ToHaveTextAsync("可加入");
        await article.Locator(".edit-toggle").ClickAsync();
        await article.Locator(".agenda-add").ClickAsync();
        var part = article.Locator(".agenda-editor tbody tr").First;
        await part.Locator(".agenda-title-input").FillAsync("镇江经验分享");
        await part.Locator(".agenda-agency-select").SelectOptionAsync(session.HostAgency.Id.ToString(CultureInfo.InvariantCulture));
        await article.Locator(".agenda-save").ClickAsync();
        await Assertions.Expect(article.Locator("section.agenda .agenda-item")).ToHaveCountAsync(1);
        await Assertions.Expect(article.Locator("section.agenda .agenda-item")).ToContainTextAsync("镇江经验分享");

        await article.Locator(".invitations-toggle").ClickAsync();
        var card = article.Locator($"article.invitation[data-agency-id=\"{invited[0].Id}\"]");
        var link = await card.Locator("a.invitation-link").GetAttributeAsync("href");
        Assert.NotNull(link);

        // The agency registers from its link, then joins as a room of ten; the agenda is on its pages.
        var agencyPage = await context.NewPageAsync();
        await agencyPage.GotoAsync(link!);
        await Assertions.Expect(agencyPage.Locator("#agency")).ToBeDisabledAsync();
        await Assertions.Expect(agencyPage.Locator("#agenda .agenda-item")).ToContainTextAsync("镇江经验分享");
        await agencyPage.Locator("#contact-name").FillAsync("李华");
        await agencyPage.Locator("#expected-headcount").FillAsync("12");
        await agencyPage.Locator("#screens").FillAsync("1");
        await agencyPage.Locator("#register").ClickAsync();
        await Assertions.Expect(agencyPage.Locator(".registration-summary")).ToContainTextAsync("预计 12 人");
        await agencyPage.Locator("#display-name").FillAsync("会议室大屏");
        await agencyPage.Locator("#headcount").FillAsync("10");
        await agencyPage.Locator("#join").ClickAsync();
        await Assertions.Expect(agencyPage).ToHaveURLAsync(new Regex("/viewer\\.html")); // Polled: WaitForURLAsync can miss the navigation (SETUP-NOTES).
        await Assertions.Expect(agencyPage.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        await Assertions.Expect(agencyPage.Locator("#agenda .agenda-item")).ToContainTextAsync("镇江经验分享");

        // The organiser ends the session; the screen is told and gets the feedback form in its place.
        await organiserPage.ReloadAsync();
        await article.Locator(".end-session").ClickAsync();
        await Assertions.Expect(article.Locator(".state-badge")).ToHaveTextAsync("已结束");
        await Assertions.Expect(agencyPage.Locator("#session-ended")).ToHaveTextAsync("本场交流已结束，感谢参与。");
        var form = agencyPage.Locator("#feedback-after form.feedback-form");
        await Assertions.Expect(form).ToBeVisibleAsync();
        await form.Locator("fieldset[data-question=\"1\"] input[value=\"5\"]").CheckAsync();
        await form.Locator("fieldset[data-question=\"2\"] input[value=\"4\"]").CheckAsync();
        await form.Locator("fieldset[data-question=\"3\"] textarea").FillAsync("网格员与社工结对的做法");
        await form.Locator("fieldset[data-question=\"4\"] textarea").FillAsync("=HYPERLINK(\"http://example.invalid\")");
        await Assertions.Expect(form.Locator("#feedback-speaks-for")).ToHaveValueAsync("10");
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(form.Locator("p.ok")).ToContainTextAsync("感谢您的反馈");

        // The organiser sees who came and who stayed away, and the feedback as it arrives.
        await article.Locator(".invitations-toggle").ClickAsync();
        await Assertions.Expect(card.Locator(".invite-status")).ToHaveTextAsync("已到场");
        await Assertions.Expect(article.Locator($"article.invitation[data-agency-id=\"{invited[1].Id}\"] .invite-status")).ToHaveTextAsync("缺席");
        await article.Locator(".feedback-toggle").ClickAsync();
        var results = article.Locator(".feedback-results");
        await Assertions.Expect(results.Locator(".feedback-summary")).ToHaveTextAsync("共 1 份反馈，代表 10 人。");
        await Assertions.Expect(results.Locator(".feedback-result[data-question=\"1\"] .feedback-average")).ToContainTextAsync("5.00");
        await Assertions.Expect(results.Locator(".feedback-result[data-question=\"3\"] .feedback-text-body")).ToHaveTextAsync("网格员与社工结对的做法");
        // User text is text: the formula-looking answer is shown as typed, nothing is made of it.
        await Assertions.Expect(results.Locator(".feedback-result[data-question=\"4\"] .feedback-text-body")).ToHaveTextAsync("=HYPERLINK(\"http://example.invalid\")");

        await DownloadReportAsync(organiserPage, article);
        Assert.Empty(problems);
    }
}

using System.Net.Http.Json;
using LiveExchange.Hub.Registration;
using LiveExchange.Tests.Browser;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Organising;

[Collection(BrowserCollection.Name)]
public sealed class InvitationInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task The_organiser_shares_an_agency_link_the_agency_registers_and_joins_through_it()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(30);
        var (session, invited) = await _api.ScheduleAsync("邀请与报名", startsAt, startsAt.AddHours(2));
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var problems = new List<string>();
        context.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };

        // The organiser opens the session's invitations: one card per agency with its QR code and link.
        var organiserPage = await context.NewPageAsync();
        await organiserPage.GotoAsync(new Uri(_api.BaseAddress, $"/organiser.html#key={ExchangeApp.OrganiserKey}").ToString());
        var article = organiserPage.Locator($"article.session[data-session-id=\"{session.Id}\"]");
        await article.Locator(".invitations-toggle").ClickAsync();
        var card = article.Locator($"article.invitation[data-agency-id=\"{invited[0].Id}\"]");
        await Assertions.Expect(article.Locator("article.invitation")).ToHaveCountAsync(3);
        await Assertions.Expect(card.Locator("img.qr")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^blob:"));
        await organiserPage.WaitForFunctionAsync(
            $"() => document.querySelector('article.invitation[data-agency-id=\"{invited[0].Id}\"] img.qr')?.naturalWidth > 0");
        await card.Locator("button[data-kind=invitation][data-lang=zh]").ClickAsync();
        await Assertions.Expect(card.Locator(".invitation-text")).ToContainTextAsync(session.Code);
        await Assertions.Expect(card.Locator(".invite-status")).ToHaveTextAsync("已邀请");
        var link = await card.Locator("a.invitation-link").GetAttributeAsync("href");

        // The agency opens its link: its agency is chosen and fixed; it registers, then joins.
        var agencyPage = await context.NewPageAsync();
        await agencyPage.GotoAsync(link!);
        await Assertions.Expect(agencyPage.Locator("#session-title")).ToHaveTextAsync("邀请与报名");
        await Assertions.Expect(agencyPage.Locator("#agency")).ToBeDisabledAsync();
        await Assertions.Expect(agencyPage.Locator("#agency")).ToHaveValueAsync(invited[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(agencyPage.Locator("#lookup-form")).ToBeHiddenAsync();
        await agencyPage.Locator("#contact-name").FillAsync("李华");
        await agencyPage.Locator("#contact-phone").FillAsync("0319-222 3333");
        await agencyPage.Locator("#expected-headcount").FillAsync("12");
        await agencyPage.Locator("#screens").FillAsync("2");
        await agencyPage.Locator("#register").ClickAsync();
        await Assertions.Expect(agencyPage.Locator(".registration-summary")).ToContainTextAsync("预计 12 人");
        await Assertions.Expect(agencyPage.Locator("#register")).ToHaveTextAsync("更新报名");

        await agencyPage.Locator("#display-name").FillAsync("会议室大屏");
        await agencyPage.Locator("#headcount").FillAsync("10");
        await agencyPage.Locator("#join").ClickAsync();
        await Assertions.Expect(agencyPage).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/viewer\\.html")); // Polled: WaitForURLAsync can miss the navigation (SETUP-NOTES).

        // The organiser's roster has it registered and attending.
        using var organiser = _api.Organiser();
        RosterAgency? first = null;
        for (var i = 0; i < 50 && first?.Status != "attended"; i++)
        {
            await Task.Delay(200);
            first = (await organiser.GetFromJsonAsync<SessionRoster>($"/api/sessions/{session.Id}/roster", Api.Json))!.Agencies[0];
        }

        Assert.Equal("attended", first!.Status);
        Assert.Equal((12, 10), (first.Registration!.ExpectedHeadcount, first.Headcount));
        await article.Locator(".invitations-toggle").ClickAsync(); // hide
        await article.Locator(".invitations-toggle").ClickAsync(); // and show again, fresh
        await Assertions.Expect(card.Locator(".invite-status")).ToHaveTextAsync("已到场");
        await Assertions.Expect(card.Locator(".registration")).ToContainTextAsync("李华");
        Assert.DoesNotContain(problems, p => p.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }
}

using System.IO.Compression;
using System.Net.Http.Json;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Records;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class CertificatesInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task The_organiser_issues_and_downloads_certificates_a_qr_opens_the_verify_page_and_a_bad_code_is_not_found()
    {
        var now = DateTimeOffset.UtcNow;
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var (session, invited) = await _api.ScheduleAsync($"苏冀云牵手 {suffix}", now, now.AddHours(2));
        using var organiser = _api.Organiser();
        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN", AcceptDownloads = true });

        // A screen joins in the browser, watches a couple of seconds, and the organiser ends the session:
        // the viewer page offers the learning record and (later) its certificates.
        var viewer = await context.NewPageAsync();
        await viewer.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());
        await viewer.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await viewer.Locator("#display-name").FillAsync("李华");
        await viewer.Locator("#headcount").FillAsync("2");
        await viewer.Locator("#join").ClickAsync();
        await Assertions.Expect(viewer.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected");
        await Task.Delay(2000);
        Assert.True((await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).IsSuccessStatusCode);
        await Assertions.Expect(viewer.Locator("#after-session")).ToBeVisibleAsync();
        await viewer.Locator(".my-certificates-check").ClickAsync();
        await Assertions.Expect(viewer.Locator(".my-certificates")).ToHaveTextAsync("还没有颁发证书；组织者颁发后可在此下载。");
        var recordLink = await viewer.Locator("#after-session a.record-link").GetAttributeAsync("href");
        Assert.StartsWith("/record.html#token=", recordLink);

        var page = await context.NewPageAsync();
        var logs = new List<string>();
        page.Console += (_, message) => logs.Add(message.Text);
        try
        {
            await page.GotoAsync(new Uri(_api.BaseAddress, $"/organiser.html#key={ExchangeApp.OrganiserKey}").ToString());
            var article = page.Locator($"article.session[data-session-id=\"{session.Id}\"]");
            await article.Locator(".certificates-toggle").ClickAsync();
            var panel = article.Locator(".certificates-panel");
            await Assertions.Expect(panel.Locator(".cert-table")).ToContainTextAsync("李华");
            await panel.Locator(".cert-min-percent").FillAsync("1");
            await panel.Locator(".cert-ce-hours").FillAsync("1.5");
            await panel.Locator(".cert-save-rule").ClickAsync();
            await Assertions.Expect(panel.Locator(".cert-status")).ToHaveTextAsync("规则已保存。");
            await Assertions.Expect(panel.Locator("tr[data-name=\"李华\"] .cert-eligible")).ToHaveTextAsync("是");
            await panel.Locator(".cert-issue").ClickAsync();
            await Assertions.Expect(panel.Locator(".cert-status")).ToHaveTextAsync("新颁发 1 张，有效证书共 1 张。");
            await Assertions.Expect(panel.Locator("tr[data-name=\"李华\"] .cert-code")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[2-9A-Z]{10}$"));

            var download = await page.RunAndWaitForDownloadAsync(() => panel.Locator(".cert-download-all").ClickAsync());
            Assert.EndsWith("certificates.zip", download.SuggestedFilename);
            Assert.Contains($"苏冀云牵手 {suffix}", download.SuggestedFilename);
            string verifyUrl;
            using (var zip = new ZipArchive(File.OpenRead((await download.PathAsync())!)))
            {
                var entry = Assert.Single(zip.Entries);
                Assert.StartsWith("李华 ", entry.FullName);
                using var pdf = new MemoryStream();
                await using (var stream = entry.Open())
                {
                    await stream.CopyToAsync(pdf);
                }

                verifyUrl = CertificateTests.ReadCertificate(pdf.ToArray()).Qr;
            }

            Assert.StartsWith(_api.BaseAddress.ToString().TrimEnd('/') + "/verify/", verifyUrl);

            // The screen downloads its own certificate.
            await viewer.Locator(".my-certificates-check").ClickAsync();
            var own = await viewer.RunAndWaitForDownloadAsync(() => viewer.Locator("button.my-certificate").ClickAsync());
            Assert.EndsWith(".pdf", own.SuggestedFilename);
            Assert.StartsWith("李华", own.SuggestedFilename);
            Assert.Equal(verifyUrl, CertificateTests.ReadCertificate(await File.ReadAllBytesAsync((await own.PathAsync())!)).Qr);

            // The host page, opened after the end, links the record too (and offers no certificates: the host presents).
            var host = await context.NewPageAsync();
            await host.GotoAsync(new Uri(_api.BaseAddress, session.HostLink).ToString());
            await Assertions.Expect(host.Locator("#after-session a.record-link")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^/record\\.html#token="));
            await Assertions.Expect(host.Locator("#after-session .my-certificates-check")).ToBeHiddenAsync();

            // The QR's address opens the verify page, which confirms the holder.
            var verify = await context.NewPageAsync();
            await verify.GotoAsync(verifyUrl);
            await Assertions.Expect(verify).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/verify\.html#code=[2-9A-Z]{10}$"));
            await Assertions.Expect(verify.Locator(".verify-status")).ToHaveTextAsync("✓ 证书有效");
            await Assertions.Expect(verify.Locator(".verify-holder")).ToHaveTextAsync("持证人：李华");
            await Assertions.Expect(verify.Locator(".verify-hours")).ToContainTextAsync("1.5");
            await Assertions.Expect(verify.Locator(".verify-session")).ToContainTextAsync($"苏冀云牵手 {suffix}");

            // The learning record page, as the viewer's link opens it.
            var record = await context.NewPageAsync();
            await record.GotoAsync(new Uri(_api.BaseAddress, recordLink!).ToString());
            await Assertions.Expect(record.Locator("#record-title")).ToHaveTextAsync($"苏冀云牵手 {suffix}");
            await Assertions.Expect(record.Locator(".record-attendance")).ToContainTextAsync("1 家机构，1 块屏幕，2 人");
            await Assertions.Expect(record.Locator(".record-attendance")).Not.ToContainTextAsync("李华");

            // A code that does not exist: a clear message, in Chinese, then in English.
            var bad = await context.NewPageAsync();
            await bad.GotoAsync(new Uri(_api.BaseAddress, "/verify.html#code=ABCDEFGHJK").ToString());
            await Assertions.Expect(bad.Locator("#error")).ToHaveTextAsync("没有找到这个验证码对应的证书，请核对证书上印的验证码。");
            await Assertions.Expect(bad.Locator("#verify-result")).ToBeHiddenAsync();
            await bad.Locator("#lang-switch").ClickAsync();
            await Assertions.Expect(bad.Locator("#error")).ToHaveTextAsync("No certificate has this code: check the code printed on the certificate.");
        }
        catch
        {
            Console.WriteLine($"URL {page.Url}; console: {string.Join(" | ", logs)}");
            throw;
        }
    }
}

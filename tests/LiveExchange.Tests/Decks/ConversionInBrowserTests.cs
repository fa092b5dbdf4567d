using System.Globalization;
using System.Text.RegularExpressions;
using LiveExchange.Tests.Browser;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Decks;

/// <summary>A PowerPoint file chosen in the host page, converted by the real LibreOffice, on a viewer's screen as slides.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConversionInBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task A_pptx_chosen_in_the_host_page_is_converted_and_shown_to_a_viewer_as_slides()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var failures = new List<string>();

        await using var hostContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var host = await hostContext.NewPageAsync();
        host.PageError += (_, e) => failures.Add($"host: {e}");
        await host.GotoAsync(new Uri(_api.BaseAddress, session.HostLink).ToString());

        // The page knows up front that this server converts office files: the picker offers them.
        await Expect(host.Locator("#deck-formats-hint")).ToContainTextAsync("PowerPoint");
        await Expect(host.Locator("#deck-heading")).ToHaveTextAsync("演示文稿（PDF 或 PowerPoint）");
        Assert.Contains(".pptx", await host.Locator("#deck-file").GetAttributeAsync("accept") ?? "", StringComparison.Ordinal);

        // Every text the status line shows is kept, so the brief "converting" is seen however fast it passes.
        await host.EvaluateAsync("""
            () => {
              window.lxStatusTexts = [];
              const status = document.querySelector('#upload-status');
              new MutationObserver(() => window.lxStatusTexts.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
            }
            """);
        await host.Locator("#deck-file").SetInputFilesAsync(new FilePayload
        {
            Name = "社区防疫经验分享.pptx",
            MimeType = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Buffer = PowerPointFiles.Make(ConversionBehaviour.ModelDeck),
        });
        // The upload answers when LibreOffice is done: a fresh LibreOffice profile per conversion takes 4 to 14 s
        // on this machine while other tests run, which Playwright's 5 s expectation did not allow for (a fresh
        // clone's first run failed so). Waited for up to the server's own limit, Decks:ConvertSeconds (90 s),
        // past which it answers conversion_timeout; the outcome is then asserted, not the time.
        var upload = await host.RunAndWaitForResponseAsync(
            () => host.Locator("#upload-deck").ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.EndsWith("/deck", StringComparison.Ordinal),
            new() { Timeout = 100_000 });
        Assert.True(upload.Ok, $"the upload answered {upload.Status}: {await upload.TextAsync()}");
        await Expect(host.Locator("#page-indicator")).ToHaveAttributeAsync("data-page-count", "3");
        await Expect(host.Locator("#upload-status")).ToContainTextAsync("社区防疫经验分享.pdf");
        var statuses = await host.EvaluateAsync<string[]>("() => window.lxStatusTexts");
        Assert.Contains(statuses, s => s.Contains("转换中", StringComparison.Ordinal));

        // The host page's notes show the file's note for the page on screen.
        await Expect(host.Locator("#host-notes-text")).ToHaveValueAsync(ConversionBehaviour.ModelDeck[0].Notes!);

        // A viewer joins and sees the converted slides.
        await using var viewerContext = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        var viewer = await viewerContext.NewPageAsync();
        viewer.PageError += (_, e) => failures.Add($"viewer: {e}");
        await viewer.GotoAsync(new Uri(_api.BaseAddress, session.ViewerLink).ToString());
        await viewer.Locator("#agency").SelectOptionAsync(invited[0].Id.ToString(CultureInfo.InvariantCulture));
        await viewer.Locator("#display-name").FillAsync("李华");
        await viewer.Locator("#join").ClickAsync();
        try
        {
            // Polled, not WaitForURLAsync (playwright-dotnet #3364; SETUP-NOTES).
            await Assertions.Expect(viewer).ToHaveURLAsync(new Regex("/viewer\\.html\\?code="));
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            Assert.Fail($"no viewer page after joining; url {viewer.Url}: {e.Message}");
        }

        await Expect(viewer.Locator("#page-indicator")).ToHaveAttributeAsync("data-page-count", "3");
        await Expect(viewer.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");
        Assert.True(await InkedPixels(viewer) > 500, "the viewer's canvas shows the converted slide, not a blank");

        await host.Locator("#next-page").ClickAsync();
        await Expect(viewer.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "2");

        // The same card in English.
        await host.Locator("#lang-switch").ClickAsync();
        await Expect(host.Locator("#deck-heading")).ToHaveTextAsync("Slides (PDF or PowerPoint)");
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Where_LibreOffice_is_missing_the_host_page_offers_PDF_only_and_says_so_in_both_languages()
    {
        var file = TestServers.NewSqliteFile();
        var hub = await LiveExchange.Bench.HubProcess.StartAsync("no-libreoffice", new Dictionary<string, string>
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={file}",
            ["Organiser:Key"] = ExchangeApp.OrganiserKey,
            ["webroot"] = Path.Combine(TestServers.RepoRoot, "src", "Hub", "wwwroot"),
            ["Decks:Converter"] = "/nonexistent/soffice",
        });
        try
        {
            var api = new Api(hub.BaseAddress);
            var (session, _) = await api.ScheduleAsync();
            await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
            var host = await context.NewPageAsync();
            await host.GotoAsync(new Uri(api.BaseAddress, session.HostLink).ToString());

            await Expect(host.Locator("#deck-formats-hint")).ToHaveTextAsync("本服务器无法转换 PowerPoint 文件：请在 PowerPoint 中将幻灯片另存为 PDF 后上传。");
            await Expect(host.Locator("#deck-file")).ToHaveAttributeAsync("accept", "application/pdf,.pdf");

            // A PowerPoint file chosen anyway (a picker can be told "all files"): the answer says to use a PDF.
            await host.Locator("#deck-file").SetInputFilesAsync(new FilePayload
            {
                Name = "社区防疫经验分享.pptx",
                MimeType = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                Buffer = PowerPointFiles.Make(ConversionBehaviour.ModelDeck),
            });
            await host.Locator("#upload-deck").ClickAsync();
            await Expect(host.Locator("#error")).ToHaveTextAsync("本服务器无法转换 PowerPoint 或 Word 文件。请将幻灯片另存为 PDF 后上传。");
            await Expect(host.Locator("#no-deck")).ToBeVisibleAsync();

            await host.Locator("#lang-switch").ClickAsync();
            await Expect(host.Locator("#deck-formats-hint")).ToHaveTextAsync("This server cannot convert PowerPoint files: save the slides as PDF in PowerPoint and upload that.");
            await Expect(host.Locator("#error")).ToHaveTextAsync("This server cannot convert PowerPoint or Word files. Save the slides as PDF and upload the PDF.");
        }
        finally
        {
            await hub.DisposeAsync();
            TestServers.DeleteSqliteFile(file);
        }
    }

    private static Task<int> InkedPixels(IPage page) => page.EvaluateAsync<int>("""
        () => {
          const c = document.querySelector('#slide-canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
          return n;
        }
        """);

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LiveExchange.Hub.Demo;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// A viewer on a bad network: a link that stalls, a link that is cut and comes back, and a first load at
/// 500 kbit/s. Times are printed, never asserted: they depend on the machine.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NetworkInBrowserTests(BrowserFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task First_load_at_500_kbit_is_compressed_and_draws_the_first_slide()
    {
        var (session, invited) = await _api.ScheduleAsync("弱网首屏");
        await _api.UploadDeckAsync(session, DemoSession.SampleDeck(5));
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");

        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await RememberParticipant(context, session.Code, joined.ParticipantToken);
        var page = await context.NewPageAsync();
        // Playwright's own request events also see the pdf.js worker's script, which a CDP session on the
        // page does not (the worker is a target of its own).
        var finished = new ConcurrentQueue<IRequest>();
        page.RequestFinished += (_, request) => finished.Enqueue(request);
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.setCacheDisabled", new() { ["cacheDisabled"] = true });
        await cdp.SendAsync("Network.emulateNetworkConditions", new()
        {
            ["offline"] = false,
            ["latency"] = 100,
            ["downloadThroughput"] = 500_000 / 8,
            ["uploadThroughput"] = 500_000 / 8,
        });

        var clock = Stopwatch.StartNew();
        await page.GotoAsync(ViewerUrl(session.Code), new() { WaitUntil = WaitUntilState.Commit, Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected", new() { Timeout = 120_000 });
        var connected = clock.Elapsed;
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1", new() { Timeout = 120_000 });
        var firstSlide = clock.Elapsed;

        var files = new List<(string Path, string Encoding, long Bytes)>();
        foreach (var request in finished)
        {
            var sizes = await request.SizesAsync();
            var response = await request.ResponseAsync();
            var headers = response is null ? new Dictionary<string, string>() : await response.AllHeadersAsync();
            // Playwright has no body size for the worker's script; a static file's Content-Length is the
            // same figure (the encoded length when it is served compressed).
            var body = sizes.ResponseBodySize > 0 ? sizes.ResponseBodySize
                : long.TryParse(headers.GetValueOrDefault("content-length"), out var length) ? length : 0;
            files.Add((new Uri(request.Url).PathAndQuery, headers.GetValueOrDefault("content-encoding", ""), sizes.ResponseHeadersSize + body));
        }

        var total = files.Sum(f => f.Bytes);
        output.WriteLine($"500 kbit/s, 100 ms: connected after {connected.TotalSeconds:F1} s, first slide drawn after {firstSlide.TotalSeconds:F1} s, {total / 1024.0:F0} KB transferred in {files.Count} responses");
        foreach (var (path, encoding, bytes) in files.OrderByDescending(f => f.Bytes))
        {
            output.WriteLine($"  {bytes / 1024.0,8:F1} KB  {encoding,-4} {path}");
        }

        var scripts = files.Where(f => Regex.IsMatch(f.Path, @"^/assets/.+\.m?js$")).ToArray();
        Assert.Contains(scripts, s => s.Path.Contains("pdf.worker", StringComparison.Ordinal));
        Assert.All(scripts, s => Assert.Equal("br", s.Encoding));
        Assert.True(total < 900 * 1024, $"{total} bytes transferred before the first slide");
    }

    private string ViewerUrl(string code) => new Uri(_api.BaseAddress, $"/viewer.html?code={code}").ToString();

    private static Task RememberParticipant(IBrowserContext context, string code, string token) =>
        context.AddInitScriptAsync($"localStorage.setItem({JsonSerializer.Serialize("lx.participant." + code)}, {JsonSerializer.Serialize(token)});");
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace LiveExchange.Bench.Scenarios;

public sealed record VideoResult(
    int Viewers,
    double FirstFrameP50Ms,
    double FirstFrameMaxMs,
    int ViewersDecoding,
    double JanusCpuPercentHigh,
    double HighKbitPerViewer,
    int HighWidth,
    double JanusCpuPercentLow,
    double LowKbitPerViewer,
    int LowWidth);

/// <summary>
/// One host to N viewers through a real Janus: N headless Chromium pages (fake camera and microphone)
/// watch the host's camera. Measures the time from "go live" to each viewer's first decoded frame, then,
/// for a window at the automatic (top) layer and one at the low layer, Janus's CPU and the bytes each
/// viewer receives. Janus runs on the machine's first non-loopback interface (or
/// LIVEEXCHANGE_TEST_JANUS_IFACE), media stays on the machine.
/// </summary>
public static class VideoFanout
{
    public static async Task<VideoResult> RunAsync(BenchSettings s, CancellationToken ct)
    {
        await using var janus = new JanusServer();
        await janus.StartAsync();
        await using var cluster = await Cluster.StartOursAsync(s, new Dictionary<string, string>
        {
            ["Video:JanusUrl"] = janus.Url,
            ["Video:ApiSecret"] = JanusServer.ApiSecret,
            ["Video:RoomSecret"] = JanusServer.RoomSecret,
            ["webroot"] = WebRoot(),
        });
        var (session, agencyId) = await cluster.ScheduleAsync(0);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(ChromiumLaunch.Options(fakeMedia: true));

        var viewers = new List<IPage>();
        for (var i = 0; i < s.Viewers; i++)
        {
            var token = await cluster.JoinAsync(i, session, agencyId, ct);
            var context = await browser.NewContextAsync();
            await context.AddInitScriptAsync($"localStorage.setItem({JsonSerializer.Serialize("lx.participant." + session.Code)}, {JsonSerializer.Serialize(token)});");
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(cluster.Url(i), $"/viewer.html?code={session.Code}").ToString());
            viewers.Add(page);
        }

        var hostContext = await browser.NewContextAsync(new() { Permissions = ["camera", "microphone"] });
        var host = await hostContext.NewPageAsync();
        await host.GotoAsync(new Uri(cluster.Url(0), session.HostLink).ToString());
        await host.Locator("#go-live").WaitForAsync();
        await Task.Delay(1000, ct);

        // Go live; each viewer's first decoded frame, timed on one clock.
        var clock = Stopwatch.StartNew();
        await host.Locator("#go-live").ClickAsync();
        var firstFrame = await Task.WhenAll(viewers.Select(async page =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                var r = await ReceivingAsync(page);
                if (r.Length > 0 && r[0].FramesDecoded > 0)
                {
                    return clock.Elapsed.TotalMilliseconds;
                }

                await Task.Delay(50, ct);
            }

            return double.NaN;
        }));
        var decoding = firstFrame.Count(f => !double.IsNaN(f));

        await Task.Delay(3000, ct); // Let the bandwidth estimate settle on the top layer.
        var (highCpu, highKbit, highWidth) = await WindowAsync(janus, viewers, s.Seconds, ct);
        foreach (var page in viewers)
        {
            await page.Locator("#quality").SelectOptionAsync("low");
        }

        await Task.Delay(3000, ct);
        var (lowCpu, lowKbit, lowWidth) = await WindowAsync(janus, viewers, s.Seconds, ct);
        var frames = firstFrame.Where(f => !double.IsNaN(f)).ToList();
        return new VideoResult(
            s.Viewers, Stats.Percentile(frames, 50), frames.Count == 0 ? double.NaN : frames.Max(), decoding,
            highCpu, highKbit, highWidth, lowCpu, lowKbit, lowWidth);
    }

    public static string Table(VideoResult r) => Stats.Table(
        ["viewers", "decoding", "first frame p50 ms", "first frame max ms", "layer", "width px", "kbit/s per viewer", "Janus CPU % of a core"],
        [
            [r.Viewers.ToString(CultureInfo.InvariantCulture), r.ViewersDecoding.ToString(CultureInfo.InvariantCulture), Stats.F(r.FirstFrameP50Ms, "0"), Stats.F(r.FirstFrameMaxMs, "0"), "auto (top)", r.HighWidth.ToString(CultureInfo.InvariantCulture), Stats.F(r.HighKbitPerViewer, "0"), Stats.F(r.JanusCpuPercentHigh, "0.0")],
            ["", "", "", "", "low", r.LowWidth.ToString(CultureInfo.InvariantCulture), Stats.F(r.LowKbitPerViewer, "0"), Stats.F(r.JanusCpuPercentLow, "0.0")],
        ]);

    /// <summary>Janus's CPU and the bytes per viewer over a window; the median width the viewers decode.</summary>
    private static async Task<(double CpuPercent, double KbitPerViewer, int Width)> WindowAsync(JanusServer janus, List<IPage> viewers, double seconds, CancellationToken ct)
    {
        var before = await Task.WhenAll(viewers.Select(ReceivingAsync));
        var cpuBefore = janus.CpuTime();
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        var after = await Task.WhenAll(viewers.Select(ReceivingAsync));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (janus.CpuTime() - cpuBefore).TotalSeconds / elapsed * 100;
        // Per viewer, over the same subscription only: a page that subscribed anew meanwhile (its
        // counters restart) is left out rather than counted as negative bytes.
        var bytes = after.Zip(before, (a, b) => a.Length == 1 && b.Length == 1 && a[0].FeedId == b[0].FeedId && a[0].VideoBytes >= b[0].VideoBytes
                ? (double?)(a[0].VideoBytes + a[0].AudioBytes - b[0].VideoBytes - b[0].AudioBytes)
                : null)
            .OfType<double>().DefaultIfEmpty(double.NaN).ToList();
        var widths = after.Where(a => a.Length > 0).Select(a => (double)a[0].Width).ToList();
        return (cpu, bytes.Average() * 8 / 1000 / elapsed, (int)Stats.Percentile(widths, 50));
    }

    private static async Task<PageReception[]> ReceivingAsync(IPage page) =>
        JsonSerializer.Deserialize<PageReception[]>(
            await page.EvaluateAsync<string>("async () => window.lxStage ? JSON.stringify(await window.lxStage.receiving()) : '[]'"),
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    private static string WebRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LiveExchange.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? ".", "src", "Hub", "wwwroot");
    }

    private sealed record PageReception(long FeedId, long FramesDecoded, long AudioPackets, long VideoBytes, long AudioBytes, int Width);
}

using System.Text.Json;
using LiveExchange.Bench;
using LiveExchange.Tests.Browser;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Video;

/// <summary>
/// Live video end to end, on real components: Janus, two hub processes on PostgreSQL and Redis, and
/// headless Chromium with its fake camera (a test pattern) and fake microphone (a beep).
/// </summary>
public sealed class VideoFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public JanusServer Janus { get; } = new();

    public HubProcess A { get; private set; } = null!;

    public HubProcess B { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The hubs' channel prefix, which names their Janus rooms.</summary>
    public string ChannelPrefix { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Janus.StartAsync();
        var settings = await TestServers.FreshHubSettingsAsync();
        ChannelPrefix = settings["Realtime:ChannelPrefix"];
        settings["webroot"] = Path.Combine(TestServers.RepoRoot, "src", "Hub", "wwwroot");
        settings["Video:JanusUrl"] = Janus.Url;
        settings["Video:ApiSecret"] = JanusServer.ApiSecret;
        settings["Video:RoomSecret"] = JanusServer.RoomSecret;
        var a = HubProcess.StartAsync("A", settings);
        var b = HubProcess.StartAsync("B", settings);
        (A, B) = (await a, await b);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(ChromiumLaunch.Options(fakeMedia: true));
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Janus.DisposeAsync();
    }

    /// <summary>A page as a remote agency's screen: joined over HTTP, its token where the join page keeps it.</summary>
    public async Task<IPage> ViewerPageAsync(HubProcess hub, string code, string participantToken, List<string> log, string name)
    {
        var context = await Browser.NewContextAsync(new() { Locale = "zh-CN", Permissions = ["camera", "microphone"] });
        await context.AddInitScriptAsync($"localStorage.setItem({JsonSerializer.Serialize("lx.participant." + code)}, {JsonSerializer.Serialize(participantToken)});");
        var page = await context.NewPageAsync();
        Watch(page, log, name);
        await page.GotoAsync(new Uri(hub.BaseAddress, $"/viewer.html?code={code}").ToString());
        return page;
    }

    public async Task<IPage> HostPageAsync(HubProcess hub, string hostLink, List<string> log)
    {
        var context = await Browser.NewContextAsync(new() { Locale = "zh-CN", Permissions = ["camera", "microphone"] });
        var page = await context.NewPageAsync();
        Watch(page, log, "host");
        await page.GotoAsync(new Uri(hub.BaseAddress, hostLink).ToString());
        return page;
    }

    private static void Watch(IPage page, List<string> log, string name)
    {
        page.PageError += (_, e) => Add(log, $"{name} error: {e}");
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                Add(log, $"{name} {m.Type}: {m.Text}");
            }
        };
    }

    private static void Add(List<string> log, string line)
    {
        lock (log)
        {
            log.Add(line);
        }
    }
}

/// <summary>What a page's StageView receives, per subscription (window.lxStage.receiving()).</summary>
public sealed record Reception(long FeedId, string Kind, string Quality, long FramesDecoded, long AudioPackets, long VideoBytes, int Width, int VideoWidth);

public static class VideoPages
{
    public static async Task<Reception[]> ReceivingAsync(this IPage page) =>
        JsonSerializer.Deserialize<Reception[]>(
            await page.EvaluateAsync<string>("async () => JSON.stringify(await window.lxStage.receiving())"), Api.Json)!;

    /// <summary>Polls until <paramref name="ok"/> holds for what the page receives; fails with the last figures and the log.</summary>
    public static async Task<Reception[]> UntilReceivingAsync(this IPage page, Func<Reception[], bool> ok, string what, List<string> log, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        Reception[] last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await page.ReceivingAsync();
            if (ok(last))
            {
                return last;
            }

            await Task.Delay(500);
        }

        string text;
        lock (log)
        {
            text = string.Join("\n", log);
        }

        throw new Xunit.Sdk.XunitException($"{what}: not within {timeoutMs} ms. Last: {JsonSerializer.Serialize(last)}\nPage log:\n{text}");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class VideoCollection
{
    public const string Name = "Video";
}
